"""Run failover or failback: the step list in order, its progress saved in the target region.

`run_failover` / `run_failback` are the Python API (the CLI and the drill call them). A rerun
after an interruption finds the unfinished record in the target's SSM and resumes that run:
every step is idempotent, so completed ones are re-checked (cheaply) and the rest run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from payinfra.config import Context
from payinfra.recovery import progress
from payinfra.recovery.active import read_active
from payinfra.recovery.runtime import ClientFactory, Clock, Echo, Kind, Prober, RealClock, Run, RunbookError
from payinfra.recovery.steps import STEPS, Step

AfterStep = Callable[[int, Step], None]  # tests raise here to interrupt after step k (1-based)


@dataclass(frozen=True)
class TimelineEntry:
    step: str
    start_s: float  # offset from the run's start, on the run's clock
    duration_s: float
    detail: str
    rto_path: bool


@dataclass
class Timeline:
    run_id: str
    kind: Kind
    source: str
    target: str
    planned: bool
    entries: list[TimelineEntry] = field(default_factory=list)
    redriven: int = 0

    def render(self) -> str:
        lines = [
            f"{self.kind} {self.source} -> {self.target} (run {self.run_id}):",
            f"  {'step':<26} {'start':>8} {'duration':>9}",
        ]
        for e in self.entries:
            mark = "*" if e.rto_path else " "
            lines.append(f" {mark}{e.step:<26} {e.start_s:>7.1f}s {e.duration_s:>8.1f}s")
        lines.append("  (* on the payment RTO path)")
        return "\n".join(lines)


def run_failover(
    ctx: Context,
    client: ClientFactory,
    *,
    to: str,
    planned: bool = False,
    prober: Prober | None = None,
    clock: Clock | None = None,
    echo: Echo = print,
    after_step: AfterStep | None = None,
    function_timeout_s: float | None = None,
) -> Timeline:
    """Move payments to `to`. Unplanned: the active region is lost and never called."""
    regions = ctx.project.region_names
    if to not in regions:
        raise RunbookError(f"--to {to}: not a region of this context ({', '.join(regions)})")
    current = read_active(ctx, client, (to,)).state  # the target's record: never the lost region
    record = _pending(ctx, client, to, "failover")
    source = str(record["from"]) if record else current.active
    if record is None and current.active == to:
        raise RunbookError(f"--to {to}: {to} is already the active region (epoch {current.epoch})")
    if record is not None:
        planned = bool(record["planned"])
    reachable = (to, *(r for r in regions if r != to and (planned or r != source)))
    run = _new_run(
        ctx, client, "failover", source, to, planned, reachable, prober, clock, echo, function_timeout_s
    )
    return _execute(run, record, after_step)


def run_failback(
    ctx: Context,
    client: ClientFactory,
    *,
    prober: Prober | None = None,
    clock: Clock | None = None,
    echo: Echo = print,
    after_step: AfterStep | None = None,
    function_timeout_s: float | None = None,
) -> Timeline:
    """From the recorded active region back to the context's primary (which must answer)."""
    primary = ctx.project.primary_region
    reading = read_active(ctx, client, ctx.project.region_names)
    if reading.seen.get(primary) is None:
        raise RunbookError(f"failback needs the primary {primary}: it does not answer")
    record = _pending(ctx, client, primary, "failback")
    if record is None and reading.state.active == primary:
        raise RunbookError(f"nothing to fail back: {primary} is already the active region")
    source = str(record["from"]) if record else reading.state.active
    reachable = (primary, *(r for r in ctx.project.region_names if r != primary))
    run = _new_run(
        ctx, client, "failback", source, primary, True, reachable, prober, clock, echo, function_timeout_s
    )
    return _execute(run, record, after_step)


def _pending(ctx: Context, client: ClientFactory, target: str, kind: Kind) -> dict[str, Any] | None:
    """An unfinished run of `kind` to `target` recorded there (to resume), else None."""
    probe = Run(ctx, client, kind, target, target, False, (target,), RealClock(), lambda _: None)
    record = progress.load(probe)
    if record and record.get("kind") == kind and record.get("to") == target and not record.get("done"):
        return record
    return None


def _new_run(  # noqa: PLR0917 - internal: both callers pass the same eleven facts in order
    ctx: Context,
    client: ClientFactory,
    kind: Kind,
    source: str,
    target: str,
    planned: bool,
    reachable: tuple[str, ...],
    prober: Prober | None,
    clock: Clock | None,
    echo: Echo,
    function_timeout_s: float | None,
) -> Run:
    timeout = function_timeout_s if function_timeout_s is not None else float(ctx.primary.function.timeout_s)
    return Run(
        ctx,
        client,
        kind,
        source,
        target,
        planned,
        reachable,
        clock or RealClock(),
        echo,
        prober,
        function_timeout_s=timeout,
    )


def _execute(run: Run, record: dict[str, Any] | None, after_step: AfterStep | None) -> Timeline:
    steps = STEPS[run.kind]
    if record is not None:
        run.state.update(record.get("state", {}))
        run.echo(f"resuming {run.kind} run {run.state['run_id']} recorded in {run.target}")
    else:
        run.state["run_id"] = uuid.uuid4().hex[:12]
        run.state["started"] = run.clock.now()
    started = float(run.state["started"])
    run.state.setdefault("steps", {})
    timeline = Timeline(str(run.state["run_id"]), run.kind, run.source, run.target, run.planned)
    for index, step in enumerate(steps, start=1):
        where = ", ".join(step.regions(run)) or "no region"
        prefix = f"[{index}/{len(steps)}] {step.name} in {where}"
        begin = run.clock.now()
        if step.when(run):
            run.echo(f"{prefix}: started")
            detail = step.run(run)
        else:
            detail = f"skipped ({step.skipped_because})"
        end = run.clock.now()
        previous = run.state["steps"].get(step.name, {})
        entry = {"start": previous.get("start", begin - started), "end": end - started, "detail": detail}
        run.state["steps"][step.name] = entry
        _save(run, done=False)
        run.echo(f"{prefix}: {detail}")
        timeline.entries.append(
            TimelineEntry(step.name, float(entry["start"]), end - begin, detail, step.rto_path)
        )
        if after_step is not None and index < len(steps):
            after_step(index, step)
    _save(run, done=True)
    timeline.redriven = int(run.state.get("redriven", 0))
    return timeline


def _save(run: Run, *, done: bool) -> None:
    """The lock step runs first, so every save happens under our lock (release is the last step)."""
    progress.save(
        run,
        {
            "run_id": run.state["run_id"],
            "kind": run.kind,
            "from": run.source,
            "to": run.target,
            "planned": run.planned,
            "done": done,
            "state": run.state,
        },
    )
