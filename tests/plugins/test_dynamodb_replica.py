"""dynamodb-replica: exact UpdateTable requests, bounded waits, a backend that ignores replicas."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.dynamodb_replica import DynamoDbReplicaPlugin
from payinfra.plugins.errors import PluginError
from tests.plugins.conftest import Interrupted, World, fresh_world

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/payments-sessions-dev"
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def table(status: str = "ACTIVE", replica: str | None = None, key: str = "", **extra: Any) -> dict[str, Any]:
    description: dict[str, Any] = {
        "TableName": "payments-sessions-dev",
        "TableArn": ARN,
        "TableStatus": status,
        "StreamSpecification": extra.get("stream", STREAM),
    }
    if replica:
        description["Replicas"] = [
            {"RegionName": "us-east-2", "ReplicaStatus": replica, "KMSMasterKeyId": key}
        ]
    return description


def stubbed(world: World) -> tuple[Any, Stubber, Any]:
    client = boto3.Session(region_name="us-east-1").client("dynamodb")
    pc = world.context()
    pc.sessions.set_client("dynamodb", "us-east-1", client)
    return client, Stubber(client), pc


def describe(stub: Stubber, description: dict[str, Any]) -> None:
    stub.add_response("describe_table", {"Table": description}, {"TableName": "payments-sessions-dev"})


def replica_request(action: str, key: str) -> dict[str, Any]:
    return {
        "TableName": "payments-sessions-dev",
        "ReplicaUpdates": [{action: {"RegionName": "us-east-2", "KMSMasterKeyId": key}}],
    }


# -- against a backend that creates replicas (the exact requests) -------------------------------


def test_creates_the_replica_with_the_secondary_key_and_waits(world: World) -> None:
    key = world.outputs["secondary"]["KeyArn"]
    _, stub, pc = stubbed(world)
    describe(stub, table())
    stub.add_response("list_tags_of_resource", {"Tags": []}, {"ResourceArn": ARN})
    stub.add_response(
        "update_table",
        {"TableDescription": table("UPDATING", "CREATING", key)},
        replica_request("Create", key),
    )
    describe(stub, table("UPDATING", "CREATING", key))
    describe(stub, table("ACTIVE", "ACTIVE", key))
    with stub:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
    kinds = [e.kind for e in world.reporter.events]
    assert kinds[0] == EventKind.CHANGED and EventKind.NOT_PERFORMED not in kinds
    assert any("replica CREATING, table UPDATING" in e.message for e in world.reporter.events)
    assert world.clock.sleeps == [10.0]


def test_active_replica_with_the_right_key_is_left_alone(world: World) -> None:
    key = world.outputs["secondary"]["KeyArn"]
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", key.rsplit("/", 1)[-1]))  # DynamoDB may report the bare key id
    with stub:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
    assert [e.kind for e in world.reporter.events] == [EventKind.NO_CHANGE]


def test_replica_with_another_key_is_rekeyed(world: World) -> None:
    key = world.outputs["secondary"]["KeyArn"]
    old = "arn:aws:kms:us-east-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", old))
    stub.add_response(
        "update_table",
        {"TableDescription": table("UPDATING", "UPDATING", old)},
        replica_request("Update", key),
    )
    describe(stub, table("ACTIVE", "ACTIVE", key))
    with stub:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
    assert "re-keyed" in world.reporter.changes()[0].message


def test_wait_is_bounded_and_says_how_to_resume(world: World) -> None:
    key = world.outputs["secondary"]["KeyArn"]
    _, stub, pc = stubbed(world)
    pc.wait_timeout_s, pc.poll_interval_s = 30.0, 10.0
    describe(stub, table("UPDATING", "CREATING", key))  # found creating: wait for it
    for _ in range(4):
        describe(stub, table("UPDATING", "CREATING", key))
    with stub, pytest.raises(PluginError, match=r"timed out after 30s .* run the same command again"):
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
    assert world.clock.sleeps == [10.0, 10.0, 10.0]
    progress = [e.message for e in world.reporter.events if e.kind == EventKind.PROGRESS]
    assert progress[0].startswith(
        "waiting for replica of payments-sessions-dev in us-east-2: replica CREATING"
    )


def test_a_table_without_the_stream_is_refused(world: World) -> None:
    _, stub, pc = stubbed(world)
    describe(stub, table(stream={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}))
    with stub, pytest.raises(PluginError, match=r"needs a NEW_AND_OLD_IMAGES stream .*KEYS_ONLY"):
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))


def test_failed_replica_is_reported(world: World) -> None:
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "k"))
    with stub, pytest.raises(PluginError, match="INACCESSIBLE_ENCRYPTION_CREDENTIALS"):
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))


def test_before_destroy_deletes_the_replica_and_waits(world: World) -> None:
    key = world.outputs["secondary"]["KeyArn"]
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", key))
    stub.add_response(
        "update_table",
        {"TableDescription": table("UPDATING", "DELETING", key)},
        {"TableName": "payments-sessions-dev", "ReplicaUpdates": [{"Delete": {"RegionName": "us-east-2"}}]},
    )
    describe(stub, table("UPDATING", "DELETING", key))
    describe(stub, table("ACTIVE"))
    with stub:
        DynamoDbReplicaPlugin().before_destroy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
    assert world.reporter.changes()[0].message == "payments-sessions-dev: removing the replica in us-east-2"


def test_before_destroy_explains_the_24_hour_rule(world: World) -> None:
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", "k"))
    stub.add_client_error(
        "update_table",
        "ValidationException",
        "Replica cannot be deleted because it has acted as a source region for new replica(s) being added "
        "to the table in the last 24 hours.",
    )
    with stub, pytest.raises(PluginError, match="Retry destroy later"):
        DynamoDbReplicaPlugin().before_destroy(pc, world.reporter.for_plugin("ddb"))


# -- against moto, which accepts ReplicaUpdates and does nothing --------------------------------


def test_on_moto_the_ignored_request_is_recorded_not_waited_for(world: World) -> None:
    DynamoDbReplicaPlugin().after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    assert [op for _, _, op in world.log.writes()] == ["UpdateTable", "TagResource"]
    assert [e.kind for e in world.reporter.events] == [EventKind.CHANGED, EventKind.NOT_PERFORMED]
    assert world.clock.sleeps == []  # no endless wait for a replica that will never come


def test_on_moto_a_second_run_writes_nothing(world: World) -> None:
    plugin = DynamoDbReplicaPlugin()
    plugin.after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    world.reset_log()
    plugin.after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    assert world.log.writes() == []
    assert [e.kind for e in world.reporter.events] == [EventKind.NO_CHANGE, EventKind.NOT_PERFORMED]


def test_verify_never_reports_holds_for_a_replica_that_does_not_exist(world: World) -> None:
    plugin = DynamoDbReplicaPlugin()
    (before,) = plugin.verify(world.context())
    assert before.status == Status.BROKEN and "has no replica in us-east-2" in before.reason
    plugin.after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    (after,) = plugin.verify(world.context())
    assert after.status == Status.NOT_PERFORMED
    assert "accepted but no replica listed" in after.reason


@pytest.mark.parametrize("fail_at", [1, 2])
def test_converges_after_an_interruption(aws_env: None, config, fail_at: int) -> None:
    with mock_aws():
        world = fresh_world(config)
        world.log.fail_at_write = fail_at
        with pytest.raises(Interrupted):
            DynamoDbReplicaPlugin().after_deploy(world.context(), world.reporter.for_plugin("ddb"))
        world.reset_log()
        DynamoDbReplicaPlugin().after_deploy(world.context(), world.reporter.for_plugin("ddb"))
        world.reset_log()
        DynamoDbReplicaPlugin().after_deploy(world.context(), world.reporter.for_plugin("ddb"))
        assert world.log.writes() == []
        assert DynamoDbReplicaPlugin().verify(world.context())[0].status == Status.NOT_PERFORMED
