#!/usr/bin/env bash
# The GPU check in one command: prints one JSON line per measurement (see benchmarks/gpu_check.py).
#
#   bash benchmarks/gpu_check.sh            # the goals' sizes, on the GPU when one is visible (under 8 minutes there)
#   bash benchmarks/gpu_check.sh --tiny     # tiny sizes: checks on a CPU that every measurement runs
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-python}" benchmarks/gpu_check.py "$@"
