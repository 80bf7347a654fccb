"""DDB003 (MRSC formed from an empty table; mode fixed) and DDB004 (no transactions on MRSC)."""

from __future__ import annotations

from typing import Any

from ...rules.support import STRICT_OR_NOT, refused, strict_unless

MRSC_UPDATE: dict[str, Any] = {
    "TableName": "ledger",
    "ReplicaUpdates": [{"Create": {"RegionName": "us-east-2"}}],
    "GlobalTableWitnessUpdates": [{"Create": {"RegionName": "us-west-2"}}],
    "MultiRegionConsistency": "STRONG",
}


def _ledger(client: Any) -> Any:
    ddb = client("dynamodb", "us-east-1")
    ddb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


@STRICT_OR_NOT
def test_a_table_with_items_cannot_become_mrsc(is_strict: bool) -> None:
    with strict_unless(is_strict, "DDB003") as client:
        ddb = _ledger(client)
        ddb.put_item(TableName="ledger", Item={"payment_id": {"S": "p1"}})
        if not is_strict:
            ddb.update_table(**MRSC_UPDATE)
            return
        message = refused(lambda: ddb.update_table(**MRSC_UPDATE), "ValidationException", "DDB003")
        assert "must be empty" in message


@STRICT_OR_NOT
def test_transact_write_items_is_refused_on_mrsc(is_strict: bool) -> None:
    with strict_unless(is_strict, "DDB004") as client:
        ddb = _ledger(client)
        ddb.update_table(**MRSC_UPDATE)
        items = [{"Put": {"TableName": "ledger", "Item": {"payment_id": {"S": "t1"}}}}]
        if not is_strict:
            ddb.transact_write_items(TransactItems=items)
            return
        refused(lambda: ddb.transact_write_items(TransactItems=items), "ValidationException", "DDB004")


def test_removing_a_replica_and_the_witness_together_leaves_a_single_region_table() -> None:
    """AWS: deleting both a witness and a replica converts the remaining replica to a single-Region
    table; deleting only the witness is refused."""
    with strict_unless(True, "DDB003") as client:
        ddb = _ledger(client)
        ddb.update_table(**MRSC_UPDATE)
        only_witness = {
            "TableName": "ledger",
            "GlobalTableWitnessUpdates": [{"Delete": {"RegionName": "us-west-2"}}],
        }
        refused(lambda: ddb.update_table(**only_witness), "ValidationException", "DDB003")
        ddb.update_table(
            TableName="ledger",
            ReplicaUpdates=[{"Delete": {"RegionName": "us-east-2"}}],
            GlobalTableWitnessUpdates=[{"Delete": {"RegionName": "us-west-2"}}],
        )
        table = ddb.describe_table(TableName="ledger")["Table"]
        assert [r["RegionName"] for r in table.get("Replicas", [])] in ([], ["us-east-1"])
        assert not table.get("GlobalTableWitnesses")
