#!/usr/bin/env python3
"""Render the SAM templates and samconfig.toml from templates/ and context.toml.

Thin entry point: `python render.py ARGS` is `python -m payinfra render ARGS` (see its --help).
"""

import sys

from payinfra.cli import main

if __name__ == "__main__":
    sys.exit(main(["render", *sys.argv[1:]]))
