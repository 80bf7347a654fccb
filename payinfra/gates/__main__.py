"""`python -m payinfra.gates ARGS`: an alias of `python -m payinfra gates ARGS` (the Makefile's)."""

import sys

from payinfra.cli import main

sys.exit(main(["gates", *sys.argv[1:]]))
