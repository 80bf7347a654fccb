"""DynamoDB global tables: replicas from UpdateTable, MREC lag and LWW, MRSC quorum and rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws import LocalAws

TABLE = "ledger"
Clients = Callable[..., Any]


def _create(client: Clients, region: str = "us-east-1") -> Any:
    ddb = client("dynamodb", region)
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return ddb


def _mrec(client: Clients) -> None:
    _create(client).update_table(
        TableName=TABLE, ReplicaUpdates=[{"Create": {"RegionName": "us-east-2", "KMSMasterKeyId": "key-2"}}]
    )


def _mrsc(client: Clients) -> None:
    _create(client).update_table(
        TableName=TABLE,
        ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
        GlobalTableWitnessUpdates=[{"Create": {"RegionName": "us-west-2"}}],
        MultiRegionConsistency="STRONG",
    )


def _put(client: Clients, region: str, payment: str, amount: str = "100", **kw: Any) -> None:
    item = {"payment_id": {"S": payment}, "amount": {"N": amount}}
    client("dynamodb", region).put_item(TableName=TABLE, Item=item, **kw)


def _get(client: Clients, region: str, payment: str) -> dict[str, Any] | None:
    found = client("dynamodb", region).get_item(TableName=TABLE, Key={"payment_id": {"S": payment}})
    item: dict[str, Any] | None = found.get("Item")
    return item


def _error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call()
    return dict(caught.value.response["Error"])


def test_replica_updates_create_the_replica_and_every_member_describes_the_group(client: Clients) -> None:
    _mrec(client)
    for region in ("us-east-1", "us-east-2"):
        table = client("dynamodb", region).describe_table(TableName=TABLE)["Table"]
        assert table["KeySchema"] == [{"AttributeName": "payment_id", "KeyType": "HASH"}]
        assert table["MultiRegionConsistency"] == "EVENTUAL"
        assert {r["RegionName"]: r["ReplicaStatus"] for r in table["Replicas"]} == {
            "us-east-1": "ACTIVE",
            "us-east-2": "ACTIVE",
        }
    replicas = client("dynamodb", "us-east-1").describe_table(TableName=TABLE)["Table"]["Replicas"]
    assert [r.get("KMSMasterKeyId") for r in replicas if r["RegionName"] == "us-east-2"] == ["key-2"]


def test_deleting_a_replica_deletes_its_table(client: Clients) -> None:
    _mrec(client)
    client("dynamodb", "us-east-1").update_table(
        TableName=TABLE, ReplicaUpdates=[{"Delete": {"RegionName": "us-east-2"}}]
    )
    assert client("dynamodb", "us-east-2").list_tables()["TableNames"] == []
    assert "Replicas" not in client("dynamodb", "us-east-1").describe_table(TableName=TABLE)["Table"]


def test_eventual_replication_arrives_after_the_lag(aws: LocalAws, client: Clients) -> None:
    _mrec(client)
    aws.set_replication_lag(2)
    _put(client, "us-east-1", "p1")
    assert _get(client, "us-east-2", "p1") is None  # not yet: the lag has not passed
    aws.clock.advance(2)
    assert _get(client, "us-east-2", "p1") == {"payment_id": {"S": "p1"}, "amount": {"N": "100"}}
    client("dynamodb", "us-east-2").delete_item(TableName=TABLE, Key={"payment_id": {"S": "p1"}})
    aws.flush_replication()
    assert _get(client, "us-east-1", "p1") is None


def test_eventual_replication_holds_during_an_outage_and_resumes(aws: LocalAws, client: Clients) -> None:
    _mrec(client)
    _put(client, "us-east-1", "p1")
    aws.outage("us-east-1")  # before the lag passed: the write is stuck in us-east-1
    aws.clock.advance(60)
    assert _get(client, "us-east-2", "p1") is None
    aws.restore("us-east-1")
    assert _get(client, "us-east-2", "p1") is not None


def test_concurrent_eventual_writes_resolve_last_writer_wins(aws: LocalAws, client: Clients) -> None:
    _mrec(client)
    _put(client, "us-east-1", "p1", amount="1")
    aws.clock.advance(0.1)
    _put(client, "us-east-2", "p1", amount="2")  # later: wins everywhere
    aws.flush_replication()
    assert _get(client, "us-east-1", "p1")["amount"] == {"N": "2"}  # type: ignore[index]
    assert _get(client, "us-east-2", "p1")["amount"] == {"N": "2"}  # type: ignore[index]


def test_strong_writes_are_visible_at_once_and_conditional_writes_see_them(client: Clients) -> None:
    _mrsc(client)
    table = client("dynamodb", "us-east-2").describe_table(TableName=TABLE)["Table"]
    assert table["MultiRegionConsistency"] == "STRONG"
    assert table["GlobalTableWitnesses"] == [{"RegionName": "us-west-2", "WitnessStatus": "ACTIVE"}]
    _put(client, "us-east-1", "p1")
    assert _get(client, "us-east-2", "p1") is not None  # no lag
    error = _error(
        lambda: _put(client, "us-east-2", "p1", ConditionExpression="attribute_not_exists(payment_id)")
    )
    assert error["Code"] == "ConditionalCheckFailedException"  # the retry is a duplicate, not a charge


def test_strong_write_without_quorum_is_refused(aws: LocalAws, client: Clients) -> None:
    _mrsc(client)
    aws.isolate("us-east-1")
    assert _error(lambda: _put(client, "us-east-1", "p1"))["Code"] == "InternalServerError"
    assert _get(client, "us-east-1", "p1") is None  # refused before writing
    aws.restore("us-east-1")
    aws.isolate("us-east-2")  # us-east-1 still reaches the witness: quorum holds
    _put(client, "us-east-1", "p2")
    assert _get(client, "us-east-2", "p2") is None  # queued for the cut-off replica
    aws.restore("us-east-2")
    assert _get(client, "us-east-2", "p2") is not None  # delivered before it serves


def test_updates_and_batches_replicate(aws: LocalAws, client: Clients) -> None:
    _mrec(client)
    ddb = client("dynamodb", "us-east-1")
    ddb.batch_write_item(
        RequestItems={TABLE: [{"PutRequest": {"Item": {"payment_id": {"S": f"b{i}"}}}} for i in range(3)]}
    )
    ddb.update_item(
        TableName=TABLE,
        Key={"payment_id": {"S": "b0"}},
        UpdateExpression="SET amount = :a",
        ExpressionAttributeValues={":a": {"N": "7"}},
    )
    aws.flush_replication()
    assert _get(client, "us-east-2", "b0") == {"payment_id": {"S": "b0"}, "amount": {"N": "7"}}
    assert _get(client, "us-east-2", "b2") is not None


def test_mrsc_rules_refuse_what_aws_refuses(client: Clients) -> None:
    ddb = _create(client)
    _put(client, "us-east-1", "p1")
    not_empty = _error(
        lambda: ddb.update_table(
            TableName=TABLE,
            ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
            GlobalTableWitnessUpdates=[{"Create": {"RegionName": "us-west-2"}}],
            MultiRegionConsistency="STRONG",
        )
    )
    assert not_empty["Code"] == "ValidationException" and "must be empty" in not_empty["Message"]
    assert client("dynamodb", "us-east-2").list_tables()["TableNames"] == []  # refused before any replica
    ddb.delete_item(TableName=TABLE, Key={"payment_id": {"S": "p1"}})
    two_members = _error(
        lambda: ddb.update_table(
            TableName=TABLE,
            ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
            MultiRegionConsistency="STRONG",
        )
    )
    assert "exactly three members" in two_members["Message"]
    outside_set = _error(
        lambda: ddb.update_table(
            TableName=TABLE,
            ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}],
            GlobalTableWitnessUpdates=[{"Create": {"RegionName": "eu-west-1"}}],
            MultiRegionConsistency="STRONG",
        )
    )
    assert "region set" in outside_set["Message"]


def test_mode_is_fixed_and_transactions_are_refused_on_mrsc(client: Clients) -> None:
    _mrsc(client)
    ddb = client("dynamodb", "us-east-1")
    changed = _error(lambda: ddb.update_table(TableName=TABLE, MultiRegionConsistency="EVENTUAL"))
    assert "DDB003" in changed["Message"]
    transaction = _error(
        lambda: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": {"payment_id": {"S": "t1"}}}}]
        )
    )
    assert transaction["Code"] == "ValidationException" and "DDB004" in transaction["Message"]


def test_transactions_replicate_on_mrec(aws: LocalAws, client: Clients) -> None:
    _mrec(client)
    client("dynamodb", "us-east-1").transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE, "Item": {"payment_id": {"S": "t1"}}}}]
    )
    aws.flush_replication()
    assert _get(client, "us-east-2", "t1") is not None
