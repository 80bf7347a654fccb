"""`python render.py`: render (or `--check`) the templates and samconfig from the context."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from payinfra.config import ConfigError, load_context
from payinfra.config.loader import DEFAULT_PATH
from payinfra.paths import ROOT
from payinfra.render.renderer import RenderError, render_all, stale_files, write_all


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="render.py",
        description="Render templates/ + context.toml into the regional and peering SAM "
        "templates and samconfig.toml.",
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_PATH, help="context file (TOML)")
    parser.add_argument("--suffix", help="override project.suffix (the EnvironmentSuffix)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one context key, e.g. us-east-2.alarms.latency_p99_ms=250 (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=ROOT, help="output directory (default: repo root)")
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 naming files a render would change"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ctx = load_context(args.config, args.overrides, args.suffix)
        rendered = render_all(ctx)
    except ConfigError as err:
        print(f"config error in {args.config}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 2
    except RenderError as err:
        print(f"render error: {err}\nnothing was written", file=sys.stderr)
        return 2
    if not args.out.is_dir():
        print(f"output directory {args.out} does not exist; nothing was written", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_files(rendered, args.out)
        if stale:
            print("stale rendered files (run `python render.py` and commit):", file=sys.stderr)
            for name in stale:
                print(f"  {name}", file=sys.stderr)
            return 1
        print(f"rendered files are up to date ({len(rendered)} files)")
        return 0
    written = write_all(rendered, args.out)
    print(f"rendered {len(rendered)} files; changed: {', '.join(written) or 'none'}")
    return 0
