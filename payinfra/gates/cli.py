"""`python -m payinfra.gates [templates...]`: exit 0 when every finding is waived with a reason.

Exit codes: 0 pass, 1 unwaived findings (or waivers without a reason), 2 the gate could not run
(missing tool, unreadable template): the message names the fix, e.g. `make setup`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from payinfra.gates import report, runner
from payinfra.gates.model import GateError
from payinfra.gates.tools import ROOT


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m payinfra.gates",
        description="Static security gates: sam validate --lint, checkov and the Control Tower "
        "cfn-guard rules on the SAM-expanded template, and the project's own checks.",
    )
    parser.add_argument(
        "templates",
        nargs="*",
        type=Path,
        help="templates to gate (default: the three rendered templates, each in its stack's region)",
    )
    parser.add_argument(
        "--region", help="region of the templates given (needed for any but the rendered ones)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="tool processes at a time (default 2)")
    parser.add_argument(
        "--build-dir", type=Path, default=runner.BUILD_DIR, help="where expanded templates are written"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    try:
        if args.templates:
            targets = [(p.resolve(), runner.region_for(p, args.region)) for p in args.templates]
        else:
            targets = runner.default_targets()
        gate_run = runner.run(targets, jobs=args.jobs, build_dir=args.build_dir)
    except GateError as err:
        print(f"gates: cannot run: {err}", file=sys.stderr)
        return 2
    reports = gate_run.reports
    print(report.render(reports, ROOT))
    print("timings: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in gate_run.timings.items()))
    failed = [r for r in reports if not r.passed]
    elapsed = time.monotonic() - started
    if failed:
        total = sum(len(r.unwaived()) for r in failed)
        print(f"gates: FAIL: {total} unwaived finding(s) in {len(failed)} of {len(reports)} template(s)"
              f" ({elapsed:.1f} s)")
        return 1
    print(f"gates: PASS: {len(reports)} template(s), every finding waived with a reason ({elapsed:.1f} s)")
    return 0
