"""Terminal output: durations, plain-text tables, the end-of-run summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from payinfra.deploy.graph import StepResult
from payinfra.deploy.retire import RetireOutcome
from payinfra.plugins.api import Check, Status
from payinfra.plugins.runner import HookResult

Echo = Callable[[str], None]
MAX_CELL = 100


def duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def table(echo: Echo, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    cells = [
        [str(c) if len(str(c)) <= MAX_CELL else str(c)[: MAX_CELL - 3] + "..." for c in row] for row in rows
    ]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    echo("  " + "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    echo("  " + "  ".join("-" * w for w in widths))
    for row in cells:
        echo("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def steps_table(echo: Echo, results: dict[str, StepResult]) -> None:
    rows = [
        [r.key, r.state, duration(r.elapsed_s), r.detail.splitlines()[0] if r.detail else ""]
        for r in results.values()
    ]
    table(echo, ["stack", "result", "elapsed", "detail"], rows)
    for r in results.values():
        if r.state == "failed" and "\n" in r.detail:
            echo(f"  {r.key} failure:\n{r.detail}")


def hooks_table(echo: Echo, results: list[HookResult]) -> None:
    table(
        echo,
        ["plugin", "result", "error"],
        [[r.plugin, "ok" if r.ok else "FAILED", r.error] for r in results],
    )


def checks_table(echo: Echo, checks: list[Check]) -> None:
    order = {Status.BROKEN: 0, Status.NOT_PERFORMED: 1, Status.HOLDS: 2}
    rows = [
        [c.status, c.region or "-", c.promise, c.reason]
        for c in sorted(checks, key=lambda c: order[c.status])
    ]
    table(echo, ["state", "region", "promise", "reason"], rows)
    counts = Counter(c.status for c in checks)
    echo(
        f"  {counts[Status.HOLDS]} hold, {counts[Status.BROKEN]} broken, "
        f"{counts[Status.NOT_PERFORMED]} not performed by this backend"
    )


def summary(
    echo: Echo, verb: str, steps: dict[str, StepResult], hooks: list[HookResult], checks: list[Check]
) -> None:
    echo("")
    echo(f"{verb} summary")
    steps_table(echo, steps)
    if hooks:
        echo("")
        hooks_table(echo, hooks)
    if checks:
        echo("")
        checks_table(echo, checks)


def retirement(echo: Echo, outcome: RetireOutcome) -> None:
    """What was retired (stacks of regions the context no longer lists), what failed, what waits."""
    echo("")
    echo("retirement (stacks the context no longer lists)")
    if outcome.stacks:
        steps_table(echo, outcome.stacks)
    for region, error in outcome.prepare_failures.items():
        echo(f"  preparing {region} FAILED: {error}")
    if outcome.refused:
        echo(f"  kept (protected environment): {', '.join(outcome.refused)}")
