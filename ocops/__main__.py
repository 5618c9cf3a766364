"""Run the command line: ``python -m ocops``."""

import sys

from ocops.cli import main

sys.exit(main())
