"""`failover` and `failback` on the command line: confirmation, progress lines, the timeline.

Bad input (an unknown region, --to the active region, a lock someone else holds) is one line
and exit 2; a step that fails exits 1 after saying the rerun resumes.
"""

from __future__ import annotations

import sys

from payinfra.config import Context
from payinfra.plugins.aws import RegionalSessions, endpoint_description
from payinfra.recovery.runbook import Timeline, run_failback, run_failover
from payinfra.recovery.runtime import RunbookError

EXPECTED_FAILURE = 2


def run(ctx: Context, command: str, *, to: str | None, planned: bool, yes: bool) -> int:
    sessions = RegionalSessions()
    what = f"failover to {to}" + (" (planned)" if planned else "") if command == "failover" else "failback"
    print(f"{what} of {ctx.project.app}-{ctx.project.suffix}: {endpoint_description()}")
    if not yes and not _confirm(what):
        print("nothing done", file=sys.stderr)
        return EXPECTED_FAILURE
    try:
        timeline: Timeline
        if command == "failover":
            assert to is not None  # argparse requires --to
            timeline = run_failover(ctx, sessions.client, to=to, planned=planned)
        else:
            timeline = run_failback(ctx, sessions.client)
    except RunbookError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXPECTED_FAILURE
    print(timeline.render())
    return 0


def _confirm(what: str) -> bool:
    if not sys.stdin.isatty():
        print(f"{what} changes which region serves payments: pass --yes", file=sys.stderr)
        return False
    return input(f"{what}: type yes to continue: ").strip() == "yes"
