"""replication-lag: datapoints judged against the threshold; without any, a probe item is timed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from localaws.services.dynamodb.global_tables import flush_replication
from localaws.testing import fixes_applied
from payinfra.plugins.api import Status
from payinfra.plugins.replication_lag import PROBE_PREFIX, ReplicationLagPlugin
from tests.plugins.conftest import PRIMARY, SECONDARY, FakeClock, World

TABLE = "payments-sessions-dev"


def latency(ms: float) -> None:
    boto3.client("cloudwatch", region_name=PRIMARY).put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[
            {
                "MetricName": "ReplicationLatency",
                "Dimensions": [
                    {"Name": "TableName", "Value": TABLE},
                    {"Name": "ReceivingRegion", "Value": SECONDARY},
                ],
                "Value": ms,
                "Unit": "Milliseconds",
            }
        ],
    )


@dataclass
class ReplicatingClock(FakeClock):
    """Fake time in which the emulator delivers replication once `deliver_after` seconds passed
    (None: never), as its server does before answering a request."""

    deliver_after: float | None = 0.0

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.deliver_after is not None and self.t >= self.deliver_after:
            flush_replication()


@pytest.fixture
def replicated(world: World) -> Iterator[World]:
    """The world's sessions table made global (us-east-2 replica) by the emulator's fix."""
    with fixes_applied("dynamodb_global_tables"):
        boto3.client("dynamodb", region_name=PRIMARY).update_table(
            TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}]
        )
        yield world


def probes_left(region: str) -> list[str]:
    items = boto3.client("dynamodb", region_name=region).scan(TableName=TABLE)["Items"]
    return [i["session_id"]["S"] for i in items if i["session_id"]["S"].startswith(PROBE_PREFIX)]


def test_no_datapoint_and_no_replica_is_not_performed(world: World) -> None:
    [check] = ReplicationLagPlugin().verify(world.context())  # strong ledger: sessions only
    assert check.status == Status.NOT_PERFORMED and "lists no replica" in check.reason


def test_latency_is_judged_against_the_threshold(world: World) -> None:
    threshold = world.config.regions[PRIMARY].alarms.dynamodb_replication_latency_ms
    latency(threshold / 2)
    [check] = ReplicationLagPlugin().verify(world.context())
    assert check.status == Status.HOLDS and check.region == f"{PRIMARY} -> {SECONDARY}"
    latency(threshold * 2)
    [check] = ReplicationLagPlugin().verify(world.context())
    assert check.status == Status.BROKEN and f"{threshold * 2:g} ms" in check.reason


def test_an_idle_table_is_probed_and_holds_when_the_probe_arrives_in_time(replicated: World) -> None:
    replicated.clock = ReplicatingClock(deliver_after=0.0)
    [check] = ReplicationLagPlugin().verify(replicated.context())
    assert check.status == Status.HOLDS, check.reason
    assert "probe item" in check.reason and "after 100 ms" in check.reason
    flush_replication()
    assert probes_left(PRIMARY) == [] and probes_left(SECONDARY) == []


def test_a_probe_arriving_after_the_threshold_is_broken(replicated: World) -> None:
    threshold = replicated.config.regions[PRIMARY].alarms.dynamodb_replication_latency_ms
    replicated.clock = ReplicatingClock(deliver_after=threshold / 1000 + 1)
    [check] = ReplicationLagPlugin().verify(replicated.context())
    assert check.status == Status.BROKEN and "reached the replica after" in check.reason


def test_a_probe_that_never_arrives_is_broken_after_the_bound(replicated: World) -> None:
    clock = ReplicatingClock(deliver_after=None)
    replicated.clock = clock
    [check] = ReplicationLagPlugin().verify(replicated.context())
    assert check.status == Status.BROKEN and "did not reach the replica within 10 s" in check.reason
    assert 10 <= clock.t < 10.5  # bounded: polled until max(2 x 2000 ms, 10 s), then stopped
    flush_replication()  # the held put arrives, then the deletes: nothing stays
    assert probes_left(SECONDARY) == []
