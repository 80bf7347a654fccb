"""The drill on the local AWS: wires the drill to the emulator, the runbook and reconciliation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws import LocalAws
from localaws.clock import CLOCK
from payinfra.config import Context
from payinfra.deploy import commands
from payinfra.drill.options import DrillOptionError, DrillOptions
from payinfra.drill.run import Drill, RunbookEntry, print_report
from payinfra.drill.traffic import Unreachable, outcome_of
from payinfra.recovery.reconcile import reconcile
from payinfra.recovery.runbook import Timeline, run_failback, run_failover


class DrillClock:
    """The runbook's clock in a drill: the local AWS's, so modelled waits take no wall time."""

    def now(self) -> float:
        return CLOCK.now()

    def sleep(self, seconds: float) -> None:
        CLOCK.sleep(seconds)


def _entries(timeline: Timeline) -> list[RunbookEntry]:
    return [(e.step, e.start_s, e.duration_s, e.detail) for e in timeline.entries]


def drill_scenario(ctx: Context, options: DrillOptions) -> Callable[[LocalAws, commands.Runtime], int]:
    """Checks the options against the context now (before a deploy), runs the drill later."""
    secondaries = ctx.project.secondary_regions
    if options.to is not None and options.to not in secondaries:
        raise DrillOptionError(
            f"--to {options.to}: not a secondary region of this context ({', '.join(secondaries)})"
        )

    def scenario(aws: LocalAws, rt: commands.Runtime) -> int:
        echo = rt.echo
        echo("\ndisaster-recovery drill")
        aws.set_replication_lag(options.lag_ms / 1000)
        pc = rt.plugin_context()

        def outputs(region: str) -> dict[str, str]:
            return dict(pc.deployed(region).values)

        drill = Drill(aws, ctx, options, outputs, echo)
        client = drill.client  # cached: one client per service and region
        clock = DrillClock()

        def prober(region: str) -> str:
            """The runbook's validation: one synthetic payment through the region's handler."""
            payment = drill.payment(999_999) | {
                "payment_id": f"synthetic-{drill.run_id}",
                "account_id": "acct_synthetic",
            }
            try:
                status, outcome = outcome_of(drill.regions[region].post(payment))
            except Unreachable as exc:
                raise RuntimeError(str(exc)) from exc
            if status not in (200, 201):
                raise RuntimeError(f"synthetic payment in {region}: {status} {outcome}")
            return f"synthetic payment {outcome} ({status}) in {region}"

        def failover(after: Callable[[str], None]) -> list[RunbookEntry]:
            timeline = run_failover(
                ctx,
                client,
                to=drill.target,
                planned=False,
                prober=prober,
                clock=clock,
                echo=echo,
                after_step=lambda _index, step: after(step.name),
            )
            echo(timeline.render())
            return _entries(timeline)

        def failback() -> list[RunbookEntry]:
            timeline = run_failback(ctx, client, prober=prober, clock=clock, echo=echo)
            echo(timeline.render())
            drill.report.redriven_messages = timeline.redriven
            return _entries(timeline)

        def reconciled() -> Any:
            return reconcile(ctx, client, serving=ctx.project.primary_region)

        report = drill.run(failover, failback, reconciled)
        print_report(report, echo)
        if options.report is not None:
            report.write(options.report)
            echo(f"drill report written to {options.report}")
        return 0 if report.passed else 1

    return scenario
