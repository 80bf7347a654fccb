"""`python -m payinfra gates [templates...]`: exit 0 when every finding is waived with a reason.

The parser is `payinfra.cli`'s; `python -m payinfra.gates` is an alias.

Exit codes: 0 pass, 1 unwaived findings (or waivers without a reason), 2 the gate could not run
(missing tool, unreadable template): the message names the fix, e.g. `make setup`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from payinfra.gates import report, runner
from payinfra.gates.model import GateError
from payinfra.gates.tools import ROOT


def run(templates: list[Path], *, region: str | None, jobs: int, build_dir: Path) -> int:
    """Gate `templates` (default: the three rendered ones); 0 pass, 1 unwaived findings, 2 cannot run."""
    started = time.monotonic()
    try:
        if templates:
            targets = [(p.resolve(), runner.region_for(p, region)) for p in templates]
        else:
            targets = runner.default_targets()
        gate_run = runner.run(targets, jobs=jobs, build_dir=build_dir)
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
