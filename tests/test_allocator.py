"""keep_freed_memory keeps a freed large block in the process (measured in a child process)."""

import json
import subprocess
import sys

import pytest

CHILD = """
import json, os, sys
import numpy as np
from stkeras.allocator import keep_freed_memory

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

applied = keep_freed_memory() if sys.argv[1] == "keep" else None
block = np.ones(64 * 2**20, np.uint8)  # 64 MiB, touched
with_block = rss()
del block
print(json.dumps({"applied": applied, "released": with_block - rss()}))
"""


def _released(mode):
    result = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_freed_block_stays_with_the_process():
    default, kept = _released("default"), _released("keep")
    assert kept["applied"] is True
    # By default glibc unmaps the freed 64 MiB block; kept, the pages stay resident.
    assert default["released"] > 60 * 2**20
    assert kept["released"] < 4 * 2**20
