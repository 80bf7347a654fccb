"""verify: DynamoDB replication lag below the alarm threshold over the last five minutes.

`ReplicationLatency` (AWS/DynamoDB) is published in the writing region, per `TableName` and
`ReceivingRegion`, for global tables replicated asynchronously (MREC):
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html
So the sessions table is always checked, the ledger only in eventual mode: a strongly consistent
(MRSC) write returns only once it is replicated, so there is no lag to promise about
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html).
The writer is the recorded active region.

A table with no write in the window has no datapoint (on AWS too, for an idle table). Then the
lag is measured: one probe item (key `#replication-probe-<hex>`, never a valid payment or
session id; a session probe also carries a short `expires_at`) is written in the writer, each
replica is read (GetItem, eventually consistent: what a replica offers) until it shows the probe
or `probe_bound_s` passes, and the probe is deleted in every region. Arrived within the
threshold: holds; late or never: broken. Only a table that lists no replica at all (a backend
that keeps none) leaves the promise not performed.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Clock, Hook, Plugin, PluginContext, Status
from payinfra.plugins.aws import error_message
from payinfra.recovery.active import ActiveStateError, read_active

WINDOW = timedelta(minutes=5)
PERIOD = timedelta(minutes=1)
PROBE_PREFIX = "#replication-probe-"
PROBE_TTL_S = 600  # a session probe left behind (cleanup failed) expires on its own
PROBE_POLL_S = 0.1
PROBE_MIN_BOUND_S = 10.0


@dataclass(frozen=True)
class ProbeTable:
    """A table to probe: its name and key attribute, and whether items carry a TTL `expires_at`."""

    name: str
    key: str
    ttl: bool


def probe_bound_s(threshold_ms: float) -> float:
    """How long a probe is awaited: twice the threshold, at least 10 s (a late arrival is told
    apart from none)."""
    return max(2 * threshold_ms / 1000, PROBE_MIN_BOUND_S)


def probe_replication(
    writer: Any,
    replicas: dict[str, Any],
    table: ProbeTable,
    threshold_ms: float,
    clock: Clock,
    *,
    wall_time: Callable[[], float] = time.time,
) -> dict[str, tuple[Status, str]]:
    """Write one probe item with `writer` (a DynamoDB client) and say, per replica region (-> its
    client), whether it arrived within `threshold_ms`. The probe is deleted everywhere after."""
    key = {table.key: {"S": f"{PROBE_PREFIX}{uuid.uuid4().hex}"}}
    item = dict(key)
    if table.ttl:
        item["expires_at"] = {"N": str(int(wall_time()) + PROBE_TTL_S)}
    try:
        writer.put_item(TableName=table.name, Item=item)
    except ClientError as err:
        return {r: (Status.BROKEN, f"cannot write the probe item: {error_message(err)}") for r in replicas}
    start = clock.now()
    try:
        arrivals, errors = _await_arrivals(
            replicas, table.name, key, start + probe_bound_s(threshold_ms), clock
        )
    finally:
        for client in (writer, *replicas.values()):
            _delete_quietly(client, table.name, key)
    return {
        region: _judge(arrivals.get(region), start, threshold_ms, errors.get(region)) for region in replicas
    }


def _await_arrivals(
    replicas: dict[str, Any], table: str, key: dict[str, Any], deadline: float, clock: Clock
) -> tuple[dict[str, float], dict[str, str]]:
    """Poll every replica until each shows the item or the deadline passes; (arrival times, last
    read error per region still waiting)."""
    arrivals: dict[str, float] = {}
    errors: dict[str, str] = {}
    while True:
        for region, client in replicas.items():
            if region in arrivals:
                continue
            try:
                found = client.get_item(TableName=table, Key=key, ConsistentRead=False).get("Item")
            except ClientError as err:
                errors[region] = error_message(err)
                continue
            errors.pop(region, None)
            if found:
                arrivals[region] = clock.now()
        if len(arrivals) == len(replicas) or clock.now() >= deadline:
            return arrivals, errors
        clock.sleep(PROBE_POLL_S)


def _judge(arrived: float | None, start: float, threshold_ms: float, error: str | None) -> tuple[Status, str]:
    measured = "no ReplicationLatency datapoint in 5 minutes, so a probe item was written"
    if arrived is None:
        bound = probe_bound_s(threshold_ms)
        why = f" (last read: {error})" if error else ""
        return Status.BROKEN, f"{measured}: it did not reach the replica within {bound:g} s{why}"
    elapsed_ms = (arrived - start) * 1000
    status = Status.HOLDS if elapsed_ms < threshold_ms else Status.BROKEN
    return status, f"{measured}: it reached the replica after {elapsed_ms:.0f} ms"


def _delete_quietly(client: Any, table: str, key: dict[str, Any]) -> None:
    # a region that cannot be reached now receives the writer's replicated delete later
    with contextlib.suppress(ClientError):
        client.delete_item(TableName=table, Key=key)


class ReplicationLagPlugin(Plugin):
    name = "replication-lag"
    summary = "verify: DynamoDB ReplicationLatency per receiving region below the alarm threshold (5 min)"
    hooks = (Hook.VERIFY,)

    @staticmethod
    def tables(pc: PluginContext) -> list[ProbeTable]:
        names = pc.config.names
        tables = [ProbeTable(names.concrete("sessions_table"), "session_id", ttl=True)]
        if pc.config.recovery.ledger_consistency == "eventual":
            tables.append(ProbeTable(names.concrete("ledger_table"), "payment_id", ttl=False))
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
        receivers = [r for r in pc.config.project.region_names if r != source]
        checks = []
        for table in self.tables(pc):
            results = {r: self._from_metrics(pc, source, table.name, r, threshold) for r in receivers}
            idle = [r for r, result in results.items() if result is None]
            if idle:
                results.update(self._probe(pc, source, table, idle, threshold))
            for receiver, result in results.items():
                assert result is not None
                promise = f"{table.name} replication latency to {receiver} below {threshold} ms (5 min)"
                checks.append(Check(promise, *result, f"{source} -> {receiver}"))
        return checks

    @staticmethod
    def _from_metrics(
        pc: PluginContext, source: str, table: str, receiver: str, threshold: float
    ) -> tuple[Status, str] | None:
        """The worst datapoint of the window against the threshold; None when there is none."""
        # The window ends one period ahead so the minute in progress counts (periods are aligned).
        end = datetime.now(UTC) + PERIOD
        try:
            points = (
                pc.client("cloudwatch", source)
                .get_metric_statistics(
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
                )
                .get("Datapoints", [])
            )
        except ClientError as err:
            return Status.BROKEN, f"cannot read: {error_message(err)}"
        if not points:
            return None
        worst = max(float(p["Maximum"]) for p in points)
        return (Status.HOLDS if worst < threshold else Status.BROKEN), f"maximum {worst:g} ms"

    @staticmethod
    def _probe(
        pc: PluginContext, source: str, table: ProbeTable, receivers: list[str], threshold: float
    ) -> dict[str, tuple[Status, str]]:
        writer = pc.client("dynamodb", source)
        try:
            described = writer.describe_table(TableName=table.name)["Table"]
        except ClientError as err:
            return {
                r: (Status.BROKEN, f"cannot describe {table.name}: {error_message(err)}") for r in receivers
            }
        listed = {r.get("RegionName") for r in described.get("Replicas") or []}
        if not listed:
            reason = (
                f"no ReplicationLatency datapoint in 5 minutes, and {table.name} in {source} lists no "
                "replica on this backend: no replication to measure"
            )
            return {r: (Status.NOT_PERFORMED, reason) for r in receivers}
        missing = {
            r: (
                Status.BROKEN,
                f"{table.name} in {source} lists no replica in {r} (replicas: {sorted(listed)})",
            )
            for r in receivers
            if r not in listed
        }
        present = [r for r in receivers if r in listed]
        clients = {r: pc.client("dynamodb", r) for r in present}
        return {
            **missing,
            **(probe_replication(writer, clients, table, threshold, pc.clock) if present else {}),
        }
