"""`python -m payinfra <command>`: see `payinfra.cli`."""

from __future__ import annotations

import sys

from payinfra.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
