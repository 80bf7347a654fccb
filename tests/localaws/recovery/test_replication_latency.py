"""ReplicationLatency from delivered global-table writes, and verify's probe against real replication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from localaws import LocalAws
from localaws.clock import CLOCK
from payinfra.plugins.api import Clock, Status
from payinfra.plugins.replication_lag import PROBE_PREFIX, ProbeTable, probe_replication

TABLE = "sessions"
Clients = Callable[..., Any]


def _global_table(client: Clients, consistency: str = "EVENTUAL") -> None:
    ddb = client("dynamodb", "us-east-1")
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    strong = consistency == "STRONG"
    ddb.update_table(
        TableName=TABLE,
        ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
        **(
            {
                "GlobalTableWitnessUpdates": [{"Create": {"RegionName": "us-west-2"}}],
                "MultiRegionConsistency": "STRONG",
            }
            if strong
            else {}
        ),
    )


def _latency(client: Clients, region: str) -> list[dict[str, Any]]:
    now = datetime.fromtimestamp(CLOCK.now(), UTC)
    points: list[dict[str, Any]] = client("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/DynamoDB",
        MetricName="ReplicationLatency",
        Dimensions=[
            {"Name": "TableName", "Value": TABLE},
            {"Name": "ReceivingRegion", "Value": "us-east-2"},
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum", "SampleCount"],
    )["Datapoints"]
    return points


def _put(client: Clients, session: str) -> None:
    client("dynamodb", "us-east-1").put_item(TableName=TABLE, Item={"session_id": {"S": session}})


def test_a_delivered_write_publishes_its_latency_in_the_source_region(aws: LocalAws, client: Clients) -> None:
    try:
        _global_table(client)
        aws.set_replication_lag(30)
        _put(client, "s1")
        assert _latency(client, "us-east-1") == []  # not delivered yet: nothing measured
        aws.clock.advance(30)
        client("dynamodb", "us-east-2").get_item(TableName=TABLE, Key={"session_id": {"S": "s1"}})
        [point] = _latency(client, "us-east-1")
        assert point["SampleCount"] == 1 and 30_000 <= point["Maximum"] < 35_000  # the lag, plus real time
        assert point["Unit"] == "Milliseconds"
        assert _latency(client, "us-east-2") == []  # published where the write came from
    finally:
        CLOCK.reset()


def test_a_write_delivered_late_for_want_of_a_request_counts_the_lag_a_held_one_the_outage(
    aws: LocalAws, client: Clients
) -> None:
    """Delivery is lazy (before the next request): an idle minute must not read as a minute of
    replication latency; a write a region's outage held back arrives late, and says so."""
    try:
        _global_table(client)
        aws.set_replication_lag(0.5)
        _put(client, "idle")
        aws.clock.advance(60)  # nobody asks for a minute
        client("dynamodb", "us-east-2").get_item(TableName=TABLE, Key={"session_id": {"S": "idle"}})
        [point] = _latency(client, "us-east-1")
        assert 500 <= point["Maximum"] < 5_000, point  # the modelled lag, not the idle minute
        aws.outage("us-east-2")
        _put(client, "held")
        aws.clock.advance(60)
        client("dynamodb", "us-east-1").get_item(TableName=TABLE, Key={"session_id": {"S": "held"}})
        aws.restore("us-east-2")
        client("dynamodb", "us-east-2").get_item(TableName=TABLE, Key={"session_id": {"S": "held"}})
        assert max(p["Maximum"] for p in _latency(client, "us-east-1")) >= 60_000
    finally:
        aws.restore("us-east-2")
        CLOCK.reset()


def test_a_strongly_consistent_table_publishes_no_latency(client: Clients) -> None:
    _global_table(client, "STRONG")
    _put(client, "s1")
    assert client("dynamodb", "us-east-2").get_item(TableName=TABLE, Key={"session_id": {"S": "s1"}})["Item"]
    assert _latency(client, "us-east-1") == []


def _probe(client: Clients, threshold_ms: float) -> dict[str, tuple[Status, str]]:
    return probe_replication(
        client("dynamodb", "us-east-1"),
        {"us-east-2": client("dynamodb", "us-east-2")},
        ProbeTable(TABLE, "session_id", ttl=True),
        threshold_ms,
        Clock(),  # real time: the emulator delivers once the lag has passed on its clock
    )


def _items(client: Clients, region: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client("dynamodb", region).scan(TableName=TABLE)["Items"]
    return items


def test_the_probe_holds_when_replication_beats_the_threshold_and_leaves_nothing(
    aws: LocalAws, client: Clients
) -> None:
    _global_table(client)
    aws.set_replication_lag(0.2)
    [(status, reason)] = _probe(client, 2000).values()
    assert status == Status.HOLDS, reason
    assert "reached the replica after" in reason
    aws.flush_replication()
    assert _items(client, "us-east-1") == [] and _items(client, "us-east-2") == []


def test_the_probe_is_broken_when_replication_is_slower_than_the_threshold(
    aws: LocalAws, client: Clients
) -> None:
    _global_table(client)
    aws.set_replication_lag(0.6)
    [(status, reason)] = _probe(client, 300).values()
    assert status == Status.BROKEN and "reached the replica after" in reason


def test_the_probe_is_broken_when_the_item_never_arrives(aws: LocalAws, client: Clients) -> None:
    _global_table(client)
    aws.isolate("us-east-2")  # cut off from the other regions, still answering reads
    try:
        [(status, reason)] = probe_replication(
            client("dynamodb", "us-east-1"),
            {"us-east-2": client("dynamodb", "us-east-2")},
            ProbeTable(TABLE, "session_id", ttl=True),
            100,
            Clock(now=CLOCK.now, sleep=CLOCK.advance),  # the 10 s bound passes on the emulator's clock
        ).values()
    finally:
        aws.restore("us-east-2")
        CLOCK.reset()
    assert status == Status.BROKEN and "did not reach the replica within 10 s" in reason
    aws.flush_replication()
    assert not [i for i in _items(client, "us-east-2") if i["session_id"]["S"].startswith(PROBE_PREFIX)]
