"""recovery-state: the first active-region record (an item of the global ledger), never overwritten;
the fence metric follows the recorded active region, never the context's primary."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import EndpointConnectionError

from localaws.testing import fixes_applied
from payinfra.config import Context, load_context
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.recovery_state import RecoveryStatePlugin
from payinfra.recovery.active import ACTIVE_RECORD_KEY, ActiveState
from tests.plugins.conftest import PRIMARY, SECONDARY, THIRD, World

LEDGER = "payments-ledger-global-dev"
ALARM = "payments-dev-region-active"
EVENTUAL = load_context(overrides=['recovery.ledger_consistency="eventual"'])


def ledger(region: str) -> Any:
    ddb = boto3.client("dynamodb", region_name=region)
    ddb.create_table(
        TableName=LEDGER,
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return ddb


def record(region: str, state: ActiveState) -> None:
    boto3.client("dynamodb", region_name=region).put_item(TableName=LEDGER, Item=state.item(region))


def held(region: str) -> ActiveState | None:
    item = (
        boto3.client("dynamodb", region_name=region)
        .get_item(TableName=LEDGER, Key=ACTIVE_RECORD_KEY, ConsistentRead=True)
        .get("Item")
    )
    return ActiveState.from_item(item) if item else None


def alarm(region: str) -> None:
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=ALARM,
        Namespace="PayInfra/Recovery",
        MetricName="RegionActive",
        Dimensions=[{"Name": "Environment", "Value": "dev"}],
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )


def deploy(world: World, config: Context | None = None) -> list[tuple[EventKind, str]]:
    world.reporter.events.clear()
    plugin = RecoveryStatePlugin()
    plugin.after_deploy(world.context(config), world.reporter.for_plugin(plugin.name))
    return [(e.kind, e.message) for e in world.reporter.events]


def test_a_failover_is_kept_published_and_reported_degraded(world: World) -> None:
    for region in (PRIMARY, SECONDARY):
        ledger(region)
        alarm(region)
    record(PRIMARY, ActiveState(PRIMARY, 0))  # the lost region's old record (not caught up)
    record(SECONDARY, ActiveState(SECONDARY, 1))
    said = [m for _, m in deploy(world)]
    assert any(
        m.startswith(f"{SECONDARY}: published RegionActive=1 (active region {SECONDARY}, epoch 1)")
        for m in said
    )
    assert any(
        m.startswith(f"{PRIMARY}: published RegionActive=0 (active region {SECONDARY}, epoch 1)")
        for m in said
    )
    for region in (PRIMARY, SECONDARY):
        cw = boto3.client("cloudwatch", region_name=region)
        assert cw.list_metrics(Namespace="PayInfra/Recovery", MetricName="RegionActive")["Metrics"]
    assert held(PRIMARY) == ActiveState(PRIMARY, 0)  # a deploy never writes over a record
    checks = RecoveryStatePlugin().verify(world.context())
    stale = next(c for c in checks if c.region == PRIMARY and "records active region" in c.promise)
    assert stale.status == Status.BROKEN and "stale" in stale.reason
    degraded = checks[-1]
    assert degraded.status == Status.HOLDS
    assert degraded.reason == f"degraded: active region {SECONDARY} since epoch 1 (failback pending)"


def test_eventual_mode_writes_the_first_record_once_in_the_primary(world: World) -> None:
    for region in (PRIMARY, SECONDARY):
        ledger(region)
    events = deploy(world, EVENTUAL)
    first = f"{PRIMARY}: first active-region record in {LEDGER}: {PRIMARY} at epoch 0"
    assert (EventKind.CHANGED, first) in events
    assert held(PRIMARY) == ActiveState(PRIMARY, 0)
    assert not any("first active-region record" in m for _, m in deploy(world, EVENTUAL))  # converged


def test_a_record_anywhere_means_no_first_record(world: World) -> None:
    for region in (PRIMARY, SECONDARY):
        ledger(region)
    record(SECONDARY, ActiveState(SECONDARY, 3))
    deploy(world, EVENTUAL)
    assert held(PRIMARY) is None and held(SECONDARY) == ActiveState(SECONDARY, 3)


class Unreachable:
    def get_item(self, **_: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-2.amazonaws.com")


def test_a_region_that_does_not_answer_leaves_the_record_unwritten(world: World) -> None:
    """It might hold a newer record, which an eventual-mode write would later overwrite."""
    for region in (PRIMARY, SECONDARY):
        ledger(region)
    pc = world.context(EVENTUAL)
    pc.sessions.set_client("dynamodb", SECONDARY, Unreachable())
    RecoveryStatePlugin().after_deploy(pc, world.reporter.for_plugin("recovery-state"))
    said = [(e.kind, e.message) for e in world.reporter.events]
    assert any(kind == EventKind.NOT_PERFORMED and f"{SECONDARY} did not answer" in m for kind, m in said)
    assert (EventKind.NOT_PERFORMED, "RegionActive not published: no active-region record to follow") in said
    assert held(PRIMARY) is None


def test_strong_mode_writes_the_first_record_only_once_the_table_is_global(world: World) -> None:
    """An MRSC table forms only while empty: a record in a single-Region table would block it.
    Before the replicas exist, the other regions have no table (and so no record)."""
    with fixes_applied("dynamodb", "dynamodb_global_tables"):
        ddb = ledger(PRIMARY)
        events = deploy(world)
        assert any(kind == EventKind.NOT_PERFORMED and "not a global table yet" in m for kind, m in events)
        assert held(PRIMARY) is None
        ddb.update_table(
            TableName=LEDGER,
            ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}],
            GlobalTableWitnessUpdates=[{"Create": {"RegionName": THIRD}}],
            MultiRegionConsistency="STRONG",
        )
        deploy(world)
        assert held(PRIMARY) == held(SECONDARY) == ActiveState(PRIMARY, 0)  # replicated


def test_destroy_deletes_the_runbook_parameters_everywhere(world: World) -> None:
    ssm = boto3.client("ssm", region_name=SECONDARY)
    ssm.put_parameter(Name="/payments/dev/recovery/lock", Value="x", Type="String")
    plugin = RecoveryStatePlugin()
    plugin.before_destroy(world.context(), world.reporter.for_plugin(plugin.name))
    assert [e.message for e in world.reporter.changes()] == [
        f"{SECONDARY}: deleted /payments/dev/recovery/lock"
    ]
    assert ssm.describe_parameters()["Parameters"] == []
