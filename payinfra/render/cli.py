"""`python -m payinfra render` (and `python render.py`): write or `--check` an environment's files.

The committed environment renders into the repository root; any other (`--suffix`/`--set` that
change the context) into its own folder (`payinfra.render.environments`), never over the committed
files. `--out` names any other directory. The parser is `payinfra.cli`'s.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from payinfra.config import Context
from payinfra.render.environments import Environment
from payinfra.render.renderer import render_all, stale_files, write_all


def run(
    ctx: Context, env: Environment, *, out: Path | None, check: bool, echo: Callable[[str], None] = print
) -> int:
    """0 written or current, 1 stale (`check`), 2 no such output directory. Raises `RenderError`."""
    if out is not None and not out.is_dir():  # before the render: a bad --out costs nothing
        print(f"output directory {out} does not exist; nothing was written", file=sys.stderr)
        return 2
    rendered = render_all(ctx)
    target = env.home if out is None else out
    where = "" if out is not None or env.committed else f" (environment {env.suffix}, {env.shown()}/)"
    if check:
        stale = stale_files(rendered, target)
        if stale:
            print(f"stale rendered files{where} (run `python render.py` and commit):", file=sys.stderr)
            for name in stale:
                print(f"  {name}", file=sys.stderr)
            return 1
        echo(f"rendered files are up to date ({len(rendered)} files){where}")
        return 0
    target.mkdir(parents=True, exist_ok=True)  # only an environment's own folder can be missing here
    written = write_all(rendered, target)
    echo(f"rendered {len(rendered)} files{where}; changed: {', '.join(written) or 'none'}")
    return 0
