"""How long `stkeras --help` takes, beside the import of the whole library.

The command line's parser imports no Keras (its names come from
`stkeras.choices`); a command imports TensorFlow only when it runs. This
times, as whole processes, `stkeras --help`, `stkeras train --help` and
`python -c "import stkeras"` (the library with TensorFlow and Keras),
interleaved, and prints one JSON line per command and the ratio.

    python benchmarks/cli_help.py --repeats 5
"""

import argparse
import json
import subprocess
import sys

from timing import median_times

COMMANDS = {
    "stkeras --help": [sys.executable, "-m", "stkeras", "--help"],
    "stkeras train --help": [sys.executable, "-m", "stkeras", "train", "--help"],
    "import stkeras": [sys.executable, "-c", "import stkeras"],
}


def _run(command):
    return lambda: subprocess.run(command, check=True, capture_output=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each command, after two warm-ups")
    args = parser.parse_args(argv)
    seconds = median_times({name: _run(command) for name, command in COMMANDS.items()}, args.repeats)
    for name, value in seconds.items():
        print(json.dumps({"command": name, "seconds": round(value, 3),
                          "times_faster_than_import": round(seconds["import stkeras"] / value, 1)}), flush=True)


if __name__ == "__main__":
    main()
