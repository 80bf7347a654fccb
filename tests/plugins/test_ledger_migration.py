"""ledger-migration: legacy items copied once with conditional puts, conflicts named and never overwritten."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from payinfra.plugins.api import Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.ledger_migration import LedgerMigrationPlugin
from tests.plugins.conftest import PRIMARY, SECONDARY, World

LEGACY, GLOBAL = "payments-ledger-dev", "payments-ledger-global-dev"


def ledger(region: str, name: str, items: dict[str, str]) -> Any:
    ddb = boto3.client("dynamodb", region_name=region)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for payment, fingerprint in items.items():
        ddb.put_item(TableName=name, Item={"payment_id": {"S": payment}, "fingerprint": {"S": fingerprint}})
    return ddb


def test_copies_every_legacy_item_once_and_verify_holds(world: World) -> None:
    ledger(PRIMARY, LEGACY, {"p1": "a", "p2": "b"})
    ledger(SECONDARY, LEGACY, {"p3": "c"})  # no global replica there: written through the primary
    ddb = ledger(PRIMARY, GLOBAL, {"p2": "b"})
    plugin = LedgerMigrationPlugin()
    out = world.reporter.for_plugin(plugin.name)
    plugin.after_deploy(world.context(), out)
    keys = {i["payment_id"]["S"] for i in ddb.scan(TableName=GLOBAL)["Items"]}
    assert keys == {"p1", "p2", "p3"}
    assert any("1 copied, 1 already there, 0 conflict" in e.message for e in world.reporter.changes())
    world.reset_log()
    plugin.after_deploy(world.context(), out)
    assert not world.reporter.changes()  # a rerun copies nothing
    checks = plugin.verify(world.context())
    assert [(c.region, c.status) for c in checks] == [(PRIMARY, Status.HOLDS), (SECONDARY, Status.HOLDS)]


def test_a_conflicting_item_is_named_and_left_alone(world: World) -> None:
    ledger(PRIMARY, LEGACY, {"p1": "a"})
    ddb = ledger(PRIMARY, GLOBAL, {"p1": "other"})
    plugin = LedgerMigrationPlugin()
    with pytest.raises(PluginError, match="p1"):
        plugin.after_deploy(world.context(), world.reporter.for_plugin(plugin.name))
    item = ddb.get_item(TableName=GLOBAL, Key={"payment_id": {"S": "p1"}})["Item"]
    assert item["fingerprint"]["S"] == "other"
    [check] = plugin.verify(world.context())
    assert check.status == Status.BROKEN and "other fingerprint: p1" in check.reason


def test_no_legacy_ledger_means_nothing_to_verify(world: World) -> None:
    plugin = LedgerMigrationPlugin()
    plugin.after_deploy(world.context(), world.reporter.for_plugin(plugin.name))
    assert plugin.verify(world.context()) == []
