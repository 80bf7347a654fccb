"""ledger-replicas: MRSC formed in one UpdateTable (replica + witness + STRONG) while empty, MREC via the
sessions machinery, removal before destroy, and a backend that ignores replicas (moto)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from payinfra.config import load_context
from payinfra.plugins.api import EventKind, PluginContext, Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.ledger_replicas import LedgerReplicasPlugin
from tests.plugins.conftest import PRIMARY, SECONDARY, THIRD, World
from tests.plugins.fake_global_table import FakeGlobalTable

LEDGER = "payments-ledger-global-dev"


def with_fake(world: World, fake: FakeGlobalTable, config: Any = None) -> PluginContext:
    pc = world.context(config)
    for region in (PRIMARY, SECONDARY, THIRD):
        pc.sessions.set_client("dynamodb", region, fake.client(region))
    return pc


def events(world: World, kind: EventKind) -> list[str]:
    return [e.message for e in world.reporter.events if e.kind == kind]


def test_strong_forms_mrsc_in_one_call_with_the_witness_then_converges(world: World) -> None:
    fake = FakeGlobalTable(LEDGER, PRIMARY)
    plugin = LedgerReplicasPlugin()
    plugin.after_deploy(with_fake(world, fake), world.reporter.for_plugin(plugin.name))
    [mrsc] = fake.updates  # one request forms the MRSC table (deletion protection already off)
    assert any("CREATING" in m for m in events(world, EventKind.PROGRESS))  # waited for ACTIVE
    assert mrsc["MultiRegionConsistency"] == "STRONG"
    assert mrsc["ReplicaUpdates"] == [
        {"Create": {"RegionName": SECONDARY, "KMSMasterKeyId": world.outputs[SECONDARY]["KeyArn"]}}
    ]
    assert mrsc["GlobalTableWitnessUpdates"] == [{"Create": {"RegionName": THIRD}}]
    assert fake.pitr[SECONDARY] is True
    world.reset_log()
    fake.updates.clear()
    plugin.after_deploy(with_fake(world, fake), world.reporter.for_plugin(plugin.name))
    assert not any("ReplicaUpdates" in u for u in fake.updates)
    assert not world.reporter.changes()
    checks = plugin.verify(with_fake(world, fake))
    assert {c.status for c in checks} == {Status.HOLDS}, checks
    promises = {c.promise for c in checks}
    assert f"{LEDGER} is strongly consistent (MRSC)" in promises
    assert f"ledger witness in {THIRD} ACTIVE" in promises


def test_strong_refuses_a_table_that_holds_items(world: World) -> None:
    fake = FakeGlobalTable(LEDGER, PRIMARY, items=[{"payment_id": {"S": "p1"}}])
    plugin = LedgerReplicasPlugin()
    with pytest.raises(PluginError, match="only while empty"):
        plugin.after_deploy(with_fake(world, fake), world.reporter.for_plugin(plugin.name))
    assert fake.updates == []


def test_strong_refuses_an_eventually_consistent_global_table(world: World) -> None:
    fake = FakeGlobalTable(LEDGER, PRIMARY, creating_polls=0)
    fake.replicas[SECONDARY] = {"RegionName": SECONDARY, "KMSMasterKeyId": "k"}
    plugin = LedgerReplicasPlugin()
    with pytest.raises(PluginError, match="fixed at creation"):
        plugin.after_deploy(with_fake(world, fake), world.reporter.for_plugin(plugin.name))
    checks = plugin.verify(with_fake(world, fake))
    mode = next(c for c in checks if "strongly consistent" in c.promise)
    assert mode.status == Status.BROKEN
    witness = next(c for c in checks if "witness" in c.promise)
    assert witness.status == Status.BROKEN and "missing" in witness.reason


def test_strong_destroy_removes_replica_and_witness_in_one_call(world: World) -> None:
    fake = FakeGlobalTable(LEDGER, PRIMARY, creating_polls=0)
    plugin = LedgerReplicasPlugin()
    plugin.after_deploy(with_fake(world, fake), world.reporter.for_plugin(plugin.name))
    fake.updates.clear()
    plugin.before_destroy(with_fake(world, fake), world.reporter.for_plugin(plugin.name))
    assert fake.updates == [
        {
            "TableName": LEDGER,
            "ReplicaUpdates": [{"Delete": {"RegionName": SECONDARY}}],
            "GlobalTableWitnessUpdates": [{"Delete": {"RegionName": THIRD}}],
        }
    ]
    assert not fake.replicas and not fake.witnesses


def test_eventual_adds_an_mrec_replica_with_its_regions_key(world: World) -> None:
    eventual = load_context(overrides=['recovery.ledger_consistency="eventual"'])
    fake = FakeGlobalTable(LEDGER, PRIMARY)
    plugin = LedgerReplicasPlugin()
    plugin.after_deploy(with_fake(world, fake, eventual), world.reporter.for_plugin(plugin.name))
    create = fake.updates[0]
    assert "MultiRegionConsistency" not in create and "GlobalTableWitnessUpdates" not in create
    assert create["ReplicaUpdates"] == [
        {"Create": {"RegionName": SECONDARY, "KMSMasterKeyId": world.outputs[SECONDARY]["KeyArn"]}}
    ]
    checks = plugin.verify(with_fake(world, fake, eventual))
    assert {c.status for c in checks} == {Status.HOLDS}, checks
    assert any(c.promise.startswith("ledger table replica in us-east-2") for c in checks)


def test_a_backend_that_ignores_replicas_is_reported_not_performed(world: World) -> None:
    boto3.client("dynamodb", region_name=PRIMARY).create_table(
        TableName=LEDGER,
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    plugin = LedgerReplicasPlugin()
    plugin.after_deploy(world.context(), world.reporter.for_plugin(plugin.name))
    assert events(world, EventKind.NOT_PERFORMED)
    checks = plugin.verify(world.context())
    assert checks and {c.status for c in checks} == {Status.NOT_PERFORMED}
    world.reset_log()
    plugin.after_deploy(world.context(), world.reporter.for_plugin(plugin.name))
    assert not any(call[2] == "UpdateTable" for call in world.log.calls)  # recorded: not retried
