"""`python -m stkeras` runs the command line."""

import sys

from stkeras.cli import main

sys.exit(main())
