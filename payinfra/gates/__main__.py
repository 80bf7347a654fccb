"""`python -m payinfra.gates`: see `payinfra.gates.cli`."""

import sys

from payinfra.gates.cli import main

sys.exit(main())
