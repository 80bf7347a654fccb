"""dynamodb-replica: exact UpdateTable requests, bounded waits, a backend that ignores replicas."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from localaws.testing import mock_aws
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.dynamodb_replica import DynamoDbReplicaPlugin
from payinfra.plugins.errors import PluginError
from tests.plugins.conftest import Interrupted, World, fresh_world

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/payments-sessions-dev"
REPLICA_ARN = ARN.replace("us-east-1", "us-east-2")
STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
PRIMARY_TAGS = {
    "Name": "payments-sessions-dev", "Environment": "dev", "Region": "us-east-1", "CostCenter": "fin"
}
# What the replica must carry: the template's tags, in its own region (never the plugin's note tag).
REPLICA_TAGS = {**PRIMARY_TAGS, "Region": "us-east-2"}


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


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def primary_tags(stub: Stubber, tags: dict[str, str] = PRIMARY_TAGS) -> None:
    with_note = {**tags, "payinfra:not-performed-by-backend": "never copied"}
    stub.add_response("list_tags_of_resource", {"Tags": tag_list(with_note)}, {"ResourceArn": ARN})


def replica_side(
    pc: Any, *, pitr: bool = True, tags: dict[str, str] = REPLICA_TAGS, protection: bool = False
) -> Stubber:
    """The replica as us-east-2 describes it (DescribeTable, DescribeContinuousBackups, tags)."""
    client = boto3.Session(region_name="us-east-2").client("dynamodb")
    pc.sessions.set_client("dynamodb", "us-east-2", client)
    stub = Stubber(client)
    name = {"TableName": "payments-sessions-dev"}
    table = {**name, "TableArn": REPLICA_ARN, "DeletionProtectionEnabled": protection}
    stub.add_response("describe_table", {"Table": table}, name)
    status = "ENABLED" if pitr else "DISABLED"
    backups = {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": status},
    }
    stub.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": backups}, name)
    stub.add_response("list_tags_of_resource", {"Tags": tag_list(tags)}, {"ResourceArn": REPLICA_ARN})
    return stub


def replica_request(action: str, key: str) -> dict[str, Any]:
    return {
        "TableName": "payments-sessions-dev",
        "ReplicaUpdates": [{action: {"RegionName": "us-east-2", "KMSMasterKeyId": key}}],
    }


# -- against a backend that creates replicas (the exact requests) -------------------------------


def test_creates_the_replica_with_the_secondary_key_and_waits(world: World) -> None:
    key = world.outputs["us-east-2"]["KeyArn"]
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
    primary_tags(stub)
    replica = replica_side(pc, pitr=False, tags={})
    name = {"TableName": "payments-sessions-dev"}
    enable = {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}}
    replica.add_response("update_continuous_backups", {}, {**name, **enable})
    replica.add_response("tag_resource", {}, {"ResourceArn": REPLICA_ARN, "Tags": tag_list(REPLICA_TAGS)})
    with stub, replica:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
        replica.assert_no_pending_responses()  # deletion protection already off: no UpdateTable
    kinds = [e.kind for e in world.reporter.events]
    assert kinds[0] == EventKind.CHANGED and EventKind.NOT_PERFORMED not in kinds
    changes = [e.message for e in world.reporter.changes()]
    assert "payments-sessions-dev replica in us-east-2: point-in-time recovery enabled" in changes
    tagged = "tagged CostCenter=fin, Environment=dev, Name=payments-sessions-dev, Region=us-east-2"
    assert any(m.endswith(tagged) for m in changes)
    assert any("replica CREATING, table UPDATING" in e.message for e in world.reporter.events)
    assert world.clock.sleeps == [10.0]


def test_active_replica_with_the_right_key_is_left_alone(world: World) -> None:
    key = world.outputs["us-east-2"]["KeyArn"]
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", key.rsplit("/", 1)[-1]))  # DynamoDB may report the bare key id
    primary_tags(stub)
    with stub, replica_side(pc) as replica:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
        replica.assert_no_pending_responses()
    assert [e.kind for e in world.reporter.events] == [EventKind.NO_CHANGE, EventKind.NO_CHANGE]
    assert world.reporter.events[1].message.endswith("recovery, tags, deletion protection as declared")


def test_a_protected_environment_turns_deletion_protection_on_for_the_replica(world: World) -> None:
    key = world.outputs["us-east-2"]["KeyArn"]
    _, stub, pc = stubbed(world)
    pc.config = world.config.model_copy(
        update={"project": world.config.project.model_copy(update={"protect": True})}
    )
    describe(stub, table("ACTIVE", "ACTIVE", key))
    primary_tags(stub)
    replica = replica_side(pc)
    replica.add_response(
        "update_table", {}, {"TableName": "payments-sessions-dev", "DeletionProtectionEnabled": True}
    )
    with stub, replica:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        replica.assert_no_pending_responses()
    assert world.reporter.changes()[-1].message.endswith("deletion protection on (project.protect)")


def test_replica_with_another_key_is_rekeyed(world: World) -> None:
    key = world.outputs["us-east-2"]["KeyArn"]
    old = "arn:aws:kms:us-east-2:123456789012:key/00000000-0000-0000-0000-000000000000"
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", old))
    stub.add_response(
        "update_table",
        {"TableDescription": table("UPDATING", "UPDATING", old)},
        replica_request("Update", key),
    )
    describe(stub, table("ACTIVE", "ACTIVE", key))
    primary_tags(stub)
    with stub, replica_side(pc):
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
    assert "re-keyed" in world.reporter.changes()[0].message


def test_wait_is_bounded_and_says_how_to_resume(world: World) -> None:
    key = world.outputs["us-east-2"]["KeyArn"]
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
    key = world.outputs["us-east-2"]["KeyArn"]
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
    with stub, pytest.raises(PluginError, match="Retry later"):
        DynamoDbReplicaPlugin().before_destroy(pc, world.reporter.for_plugin("ddb"))


# -- against moto, which accepts ReplicaUpdates and does nothing --------------------------------


def test_on_moto_the_ignored_request_is_recorded_not_waited_for(world: World) -> None:
    DynamoDbReplicaPlugin().after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    assert [op for _, _, op in world.log.writes()] == ["UpdateTable", "TagResource"]
    kinds = [e.kind for e in world.reporter.events]
    assert kinds == [EventKind.CHANGED, EventKind.NOT_PERFORMED, EventKind.NOT_PERFORMED]
    assert world.reporter.events[-1].message == (
        "replica settings (point-in-time recovery, tags, deletion protection): no replica on this backend"
    )
    assert world.clock.sleeps == []  # no endless wait for a replica that will never come


def test_on_moto_a_second_run_writes_nothing(world: World) -> None:
    plugin = DynamoDbReplicaPlugin()
    plugin.after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    world.reset_log()
    plugin.after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    assert world.log.writes() == []
    kinds = [e.kind for e in world.reporter.events]
    assert kinds == [EventKind.NO_CHANGE, EventKind.NOT_PERFORMED, EventKind.NOT_PERFORMED]


def test_verify_never_reports_holds_for_a_replica_that_does_not_exist(world: World) -> None:
    plugin = DynamoDbReplicaPlugin()
    before = plugin.verify(world.context())
    assert len(before) == 4  # the replica, then its point-in-time recovery, tags, deletion protection
    assert all(c.status == Status.BROKEN and "has no replica in us-east-2" in c.reason for c in before)
    plugin.after_deploy(world.context(), world.reporter.for_plugin("ddb"))
    after = plugin.verify(world.context())
    assert [c.promise for c in after] == [c.promise for c in before]
    assert all(c.status == Status.NOT_PERFORMED for c in after)  # never "holds" for settings of nothing
    assert all("accepted but no replica listed" in c.reason for c in after)


def verify_existing(world: World, **replica: Any) -> dict[str, Any]:
    """verify against an ACTIVE replica with the right key; `replica` sets what us-east-2 reports."""
    key = world.outputs["us-east-2"]["KeyArn"]
    _, stub, pc = stubbed(world)
    describe(stub, table("ACTIVE", "ACTIVE", key))
    primary_tags(stub)
    with stub, replica_side(pc, **replica):
        checks = DynamoDbReplicaPlugin().verify(pc)
    return {c.promise.split("us-east-2 ", 1)[-1]: c for c in checks}


def test_verify_checks_each_replica_setting_in_its_region(world: World) -> None:
    good = verify_existing(world)
    bad = verify_existing(world, pitr=False, tags={**REPLICA_TAGS, "Region": "us-east-1"}, protection=True)

    assert {k: c.status for k, c in good.items()} == {
        "ACTIVE with that region's key": Status.HOLDS,
        "has point-in-time recovery": Status.HOLDS,
        "carries the project tags": Status.HOLDS,
        "deletion protection off (project.protect)": Status.HOLDS,
    }
    assert bad["ACTIVE with that region's key"].status == Status.HOLDS
    assert bad["has point-in-time recovery"].status == Status.BROKEN
    tags = bad["carries the project tags"]
    assert (tags.status, tags.reason) == (Status.BROKEN, "Region=us-east-1 (want us-east-2)")
    protection = bad["deletion protection off (project.protect)"]
    assert protection.status == Status.BROKEN
    assert protection.reason == "DeletionProtectionEnabled is True, want False"


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
