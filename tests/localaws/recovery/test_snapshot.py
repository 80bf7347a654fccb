"""A restored emulator answers as at the snapshot: later items, tables and faults are gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws import LocalAws
from localaws.snapshot import restore, snapshot


def test_restore_returns_every_service_to_the_snapshot(aws: LocalAws, client: Callable[..., Any]) -> None:
    ddb = client("dynamodb", "us-east-1")
    ddb.create_table(
        TableName="ledger",
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_table(TableName="ledger", ReplicaUpdates=[{"Create": {"RegionName": "us-east-2"}}])
    ddb.put_item(TableName="ledger", Item={"payment_id": {"S": "kept"}})
    client("sqs", "us-east-2").create_queue(QueueName="kept")
    saved = snapshot()

    ddb.put_item(TableName="ledger", Item={"payment_id": {"S": "added"}})
    ddb.delete_item(TableName="ledger", Key={"payment_id": {"S": "kept"}})
    client("sqs", "us-east-2").create_queue(QueueName="added")
    client("s3", "us-east-1").create_bucket(Bucket="added-after")
    aws.clock.advance(600)
    aws.outage("us-west-2")

    for _ in range(2):  # one snapshot restores any number of times
        restore(saved)
        items = ddb.scan(TableName="ledger")["Items"]
        assert items == [{"payment_id": {"S": "kept"}}]
        queues = client("sqs", "us-east-2").list_queues()["QueueUrls"]
        assert [url.rsplit("/", 1)[1] for url in queues] == ["kept"]
        assert client("s3", "us-east-1").list_buckets()["Buckets"] == []
        assert aws.clock.skipped == 0
        assert client("sqs", "us-west-2").list_queues() is not None  # the outage came later
        aws.flush_replication()
        assert client("dynamodb", "us-east-2").scan(TableName="ledger")["Items"] == [
            {"payment_id": {"S": "kept"}}
        ]
        ddb.put_item(TableName="ledger", Item={"payment_id": {"S": "again"}})  # still replicates
        aws.flush_replication()
        assert len(client("dynamodb", "us-east-2").scan(TableName="ledger")["Items"]) == 2
