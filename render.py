#!/usr/bin/env python3
"""Render the SAM templates and samconfig.toml from templates/ and context.toml.

Thin entry point: the renderer lives in `payinfra.render`. See `python render.py --help`.
"""

import sys

from payinfra.render.cli import main

if __name__ == "__main__":
    sys.exit(main())
