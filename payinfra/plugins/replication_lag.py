"""verify: DynamoDB replication lag below the alarm threshold over the last five minutes.

`ReplicationLatency` (AWS/DynamoDB) is published in the writing region, per `TableName` and
`ReceivingRegion`, for global tables replicated asynchronously (MREC):
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
So the sessions table is always checked, the ledger only in eventual mode (a strongly consistent
ledger acknowledges a write once a second region holds it: no lag to measure). The writer is the
recorded active region. No datapoint in the window is said as such, never as holding.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.aws import error_message
from payinfra.recovery.active import ActiveStateError, read_active

WINDOW = timedelta(minutes=5)
PERIOD = timedelta(minutes=1)


class ReplicationLagPlugin(Plugin):
    name = "replication-lag"
    summary = "verify: DynamoDB ReplicationLatency per receiving region below the alarm threshold (5 min)"
    hooks = (Hook.VERIFY,)

    @staticmethod
    def tables(pc: PluginContext) -> list[str]:
        names = pc.config.names
        tables = [names.concrete("sessions_table")]
        if pc.config.recovery.ledger_consistency == "eventual":
            tables.append(names.concrete("ledger_table"))
        return tables

    @staticmethod
    def writer(pc: PluginContext) -> str:
        try:
            return read_active(pc.config, pc.client).state.active
        except ActiveStateError:
            return pc.primary_region

    def verify(self, pc: PluginContext) -> list[Check]:
        source = self.writer(pc)
        threshold = pc.config.regions[source].alarms.dynamodb_replication_latency_ms
        cloudwatch = pc.client("cloudwatch", source)
        # The window ends one period ahead so the minute in progress counts (periods are aligned).
        end = datetime.now(UTC) + PERIOD
        checks = []
        for table in self.tables(pc):
            for receiver in (r for r in pc.config.project.region_names if r != source):
                promise = f"{table} replication latency to {receiver} below {threshold} ms (5 min)"
                where = f"{source} -> {receiver}"
                try:
                    points = cloudwatch.get_metric_statistics(
                        Namespace="AWS/DynamoDB",
                        MetricName="ReplicationLatency",
                        Dimensions=[
                            {"Name": "TableName", "Value": table},
                            {"Name": "ReceivingRegion", "Value": receiver},
                        ],
                        StartTime=end - WINDOW,
                        EndTime=end,
                        Period=int(PERIOD.total_seconds()),
                        Statistics=["Maximum"],
                    ).get("Datapoints", [])
                except ClientError as err:
                    checks.append(Check(promise, Status.BROKEN, f"cannot read: {error_message(err)}", where))
                    continue
                if not points:
                    reason = (
                        "no ReplicationLatency datapoints in the last 5 minutes (no writes, or no replica)"
                    )
                    checks.append(Check(promise, Status.NOT_PERFORMED, reason, where))
                    continue
                worst = max(float(p["Maximum"]) for p in points)
                status = Status.HOLDS if worst < threshold else Status.BROKEN
                checks.append(Check(promise, status, f"maximum {worst:g} ms", where))
        return checks
