"""The drill's JSON report and timeline, and the real-AWS RTO it is compared with.

Every figure in the report was measured in this run (on the drill's clock, which runs with real
time and jumps over the waits the local AWS models); `modelled_aws_rto` is the other column: the
same outage on AWS, built second by second from AWS's published figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from payinfra.config import Context


@dataclass
class StepTiming:
    name: str
    started_s: float  # since the drill began, on the drill's clock
    duration_s: float
    detail: str = ""


@dataclass
class DrillReport:
    ledger_consistency: str
    primary: str
    failover_to: str
    payments: int
    rate: float
    lag_ms: int
    rto_s: float | None = None
    wall_s: float = 0.0
    rpo_s: float = 0.0
    rpo_payments: list[str] = field(default_factory=list)
    double_recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    acknowledged: int = 0
    answers_lost: int = 0  # requests whose answer never came (resent)
    resent_as_duplicate: int = 0  # resends the ledger recognised (no second charge)
    stranded_messages: int = 0
    redriven_messages: int = 0
    fenced_refusals: int = 0  # payments a fenced region refused (no write)
    calls_to_lost_region_during_failover: int = 0
    first_ack_in_new_region_s: float | None = None
    t0_s: float = 0.0
    steps: list[StepTiming] = field(default_factory=list)
    reconciliation: dict[str, Any] = field(default_factory=dict)
    modelled_aws_rto: dict[str, float] = field(default_factory=dict)
    not_performed: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.duplicates and not self.lost and self.rto_s is not None

    def to_json(self) -> str:
        data = asdict(self)
        data["passed"] = self.passed
        return json.dumps(data, indent=2, sort_keys=False)

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json() + "\n")


def modelled_aws_rto(ctx: Context) -> dict[str, float]:
    """Seconds from losing the primary to the first payment acknowledged in the standby, on AWS.

    - detection: Route 53 marks an endpoint unhealthy after FailureThreshold failed probes at
      RequestInterval (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html);
      the surviving region's alarm starts the runbook.
    - runbook to the switch: a few API calls in the surviving region (SSM PutParameter,
      CloudWatch PutMetricData): about 2 s (estimate).
    - fence alarm: the alarm evaluates one 60 s period
      (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
    - health check follows the alarm: Route 53 reads a CloudWatch alarm's state; counted as one
      probe interval here (estimate; the docs give no figure).
    - DNS: alias records to a load balancer have a fixed 60 s TTL
      (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html).
    - cold start: about 1 s for the Python function's first event in the standby (estimate).
    Database promotion (minutes) is not on this path: payments depend only on DynamoDB.
    """
    interval = float(ctx.recovery.health_check_interval_s)
    return {
        "detection_s": interval * ctx.recovery.health_check_failure_threshold,
        "runbook_to_switch_s": 2.0,
        "fence_alarm_period_s": 60.0,
        "health_check_follows_alarm_s": interval,
        "dns_ttl_s": 60.0,
        "cold_start_s": 1.0,
        "total_s": interval * ctx.recovery.health_check_failure_threshold
        + 2.0
        + 60.0
        + interval
        + 60.0
        + 1.0,
    }


def print_timeline(report: DrillReport, echo: Callable[[str], None]) -> None:
    echo("\ndrill timeline (seconds on the drill's clock since the first payment):")
    for step in sorted(report.steps, key=lambda s: s.started_s):
        detail = f"  - {step.detail}" if step.detail else ""
        echo(f"  {step.started_s:8.1f}  {step.duration_s:7.2f}s  {step.name}{detail}")


def print_summary(report: DrillReport, echo: Callable[[str], None]) -> None:
    echo("\ndrill results:")
    rto = (
        "none: no payment was acknowledged in the new region"
        if report.rto_s is None
        else f"{report.rto_s:.1f} s"
    )
    rows = [
        ("ledger consistency", report.ledger_consistency),
        ("failover", f"{report.primary} -> {report.failover_to}"),
        ("RTO (drill clock)", rto),
        ("RTO modelled on AWS", f"{report.modelled_aws_rto.get('total_s', 0):.0f} s"),
        ("RPO", f"{report.rpo_s:.2f} s, {len(report.rpo_payments)} payments"),
        ("acknowledged", str(report.acknowledged)),
        (
            "answers lost and resent",
            f"{report.answers_lost} ({report.resent_as_duplicate} came back duplicate)",
        ),
        ("recorded twice (listed, resolved)", str(len(report.double_recorded))),
        ("duplicates after reconciliation", str(len(report.duplicates))),
        ("lost", str(len(report.lost))),
        ("stranded messages (redriven)", f"{report.stranded_messages} ({report.redriven_messages})"),
        ("calls to the lost region by the failover", str(report.calls_to_lost_region_during_failover)),
        ("wall time", f"{report.wall_s:.1f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        echo(f"  {key:<{width}}  {value}")
    for item in report.not_performed:
        echo(f"  not performed by this backend: {item}")
    echo(f"drill: {'PASSED' if report.passed else 'FAILED'}")
