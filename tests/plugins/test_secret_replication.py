"""secret-replication: the replica in each secondary region with that region's key, idempotence,
failed and wrongly keyed replicas, teardown, and the rotation promise."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from localaws.services.secretsmanager.rotation import configure_hosted
from localaws.testing import backend, fixes_applied
from payinfra.config import load_context
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.peering_accepter import PeeringAccepterPlugin
from payinfra.plugins.registry import default_plugins
from payinfra.plugins.secret_replication import SecretReplicationPlugin, replica_arn
from tests.plugins.conftest import World

SECRET_NAME = "payments-primary-dev-DatabaseSecret-abc"
REPLICATE = ("us-east-1", "secretsmanager", "ReplicateSecretToRegions")
REMOVE = ("us-east-1", "secretsmanager", "RemoveRegionsFromReplication")


@pytest.fixture
def secret_world(world: World) -> Iterator[World]:
    """The world plus the primary stack's database secret (and the emulator's replica-key fix:
    plain moto reports `alias/aws/secretsmanager` for every replica, whatever key was asked for)."""
    with fixes_applied("secretsmanager"):
        value = json.dumps({"username": "payments", "password": "x" * 32})
        arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name=SECRET_NAME, SecretString=value, KmsKeyId=world.outputs["us-east-1"]["KeyArn"]
        )["ARN"]
        world.outputs["us-east-1"]["DatabaseSecretArn"] = arn
        yield world


def run(world: World, hook: str = "after_deploy", **options: Any) -> None:
    plugin = SecretReplicationPlugin()
    getattr(plugin, hook)(world.context(**options), world.reporter.for_plugin(plugin.name))


def status(world: World) -> list[dict[str, Any]]:
    sm = world.client("secretsmanager", "us-east-1")
    return list(
        sm.describe_secret(SecretId=world.outputs["us-east-1"]["DatabaseSecretArn"]).get(
            "ReplicationStatus", []
        )
    )


def set_rotation(world: World, lambda_arn: str, days: int = 30) -> None:
    secret = backend("secretsmanager", "us-east-1").secrets[SECRET_NAME]
    secret.rotation_requested = secret.rotation_enabled = True
    secret.rotation_lambda_arn = lambda_arn
    secret.auto_rotate_after_days = days


def test_registered_right_after_the_peering_accepter() -> None:
    names = [type(p) for p in default_plugins()]
    assert names[names.index(PeeringAccepterPlugin) + 1] is SecretReplicationPlugin


def test_replicates_with_the_secondary_key_then_a_second_run_writes_nothing(secret_world: World) -> None:
    world = secret_world
    key = world.outputs["us-east-2"]["KeyArn"]
    run(world)
    assert world.log.writes() == [REPLICATE]
    assert [(s["Region"], s["KmsKeyId"], s["Status"]) for s in status(world)] == [
        ("us-east-2", key, "InSync")
    ]
    replica = world.client("secretsmanager", "us-east-2").describe_secret(
        SecretId=replica_arn(world.outputs["us-east-1"]["DatabaseSecretArn"], "us-east-2")
    )
    assert (replica["PrimaryRegion"], replica["KmsKeyId"]) == ("us-east-1", key)

    world.reset_log()
    run(world)
    assert world.log.writes() == []
    assert [e.kind for e in world.reporter.events] == [EventKind.NO_CHANGE]


def test_a_wrongly_keyed_replica_is_replaced_once(secret_world: World) -> None:
    world = secret_world
    other_key = world.client("kms", "us-east-2").create_key()["KeyMetadata"]["Arn"]
    world.client("secretsmanager", "us-east-1").replicate_secret_to_regions(
        SecretId=world.outputs["us-east-1"]["DatabaseSecretArn"],
        AddReplicaRegions=[{"Region": "us-east-2", "KmsKeyId": other_key}],
    )
    run(world)
    assert world.log.writes() == [REMOVE, REPLICATE]
    assert [s["KmsKeyId"] for s in status(world)] == [world.outputs["us-east-2"]["KeyArn"]]
    assert f"was key {other_key}" in world.reporter.changes()[0].message


def test_a_failed_replica_stops_the_hook_and_verify_shows_the_status_message(secret_world: World) -> None:
    world = secret_world
    # A standalone secret of the same name in us-east-2 makes the replica fail (no overwrite asked).
    world.client("secretsmanager", "us-east-2").create_secret(Name=SECRET_NAME, SecretString="{}")
    with pytest.raises(PluginError, match="in us-east-2 is Failed: Replication failed"):
        run(world)
    checks = SecretReplicationPlugin().verify(world.context())
    replica = next(c for c in checks if "replica" in c.promise)
    assert replica.status == Status.BROKEN
    assert replica.reason.startswith("replica is Failed: Replication failed")


def test_verify_holds_only_for_an_in_sync_replica_with_the_region_key(secret_world: World) -> None:
    world = secret_world
    before = SecretReplicationPlugin().verify(world.context())
    assert [(c.status, c.reason.split(" is not")[-1]) for c in before if "replica" in c.promise] == [
        (Status.BROKEN, " replicated to us-east-2")
    ]
    run(world)
    after = next(c for c in SecretReplicationPlugin().verify(world.context()) if "replica" in c.promise)
    assert (after.status, after.region) == (Status.HOLDS, "us-east-2")


def test_rotation_promise_holds_only_on_evidence_of_a_kept_schedule(secret_world: World) -> None:
    world = secret_world
    secret = backend("secretsmanager", "us-east-1").secrets[SECRET_NAME]

    def rotation() -> Any:
        return next(c for c in SecretReplicationPlugin().verify(world.context()) if "rotated" in c.promise)

    assert (rotation().status, rotation().reason.startswith("rotation is off")) == (Status.BROKEN, True)
    set_rotation(world, "")  # rules recorded, no rotation ever completed
    check = rotation()
    assert check.status == Status.BROKEN and "never rotated (no LastRotatedDate)" in check.reason
    # the emulator's hosted single-user rotation: a new password moved to AWSCURRENT
    configure_hosted(
        backend("secretsmanager", "us-east-1"), secret, {"RotationType": "x"}, 30, rotate_now=True
    )
    check = rotation()
    assert check.status == Status.HOLDS, check.reason
    assert "every 30 days by the hosted rotation function; last rotated" in check.reason
    secret.last_rotation_date = int(time.time()) - 32 * 86400
    check = rotation()
    assert check.status == Status.BROKEN and check.reason.startswith("overdue: last rotated")
    secret.last_rotation_date = int(time.time())
    world.client("secretsmanager", "us-east-1").put_secret_value(
        SecretId=SECRET_NAME, SecretString="{}", VersionStages=["AWSPENDING"]
    )
    check = rotation()
    assert check.status == Status.BROKEN and "in progress or failed: AWSPENDING" in check.reason


def test_rotation_promise_names_a_given_rotation_function(secret_world: World) -> None:
    world = secret_world
    secret = backend("secretsmanager", "us-east-1").secrets[SECRET_NAME]
    configure_hosted(
        backend("secretsmanager", "us-east-1"), secret, {"RotationType": "x"}, 30, rotate_now=True
    )
    set_rotation(world, "arn:aws:lambda:us-east-1:123456789012:function:rotate")
    check = next(c for c in SecretReplicationPlugin().verify(world.context()) if "rotated" in c.promise)
    assert (check.status, "every 30 days by arn:aws:lambda" in check.reason) == (Status.HOLDS, True)


def test_before_destroy_removes_the_replicas_so_the_secret_can_be_deleted(secret_world: World) -> None:
    world = secret_world
    arn = world.outputs["us-east-1"]["DatabaseSecretArn"]
    sm = world.client("secretsmanager", "us-east-1")
    run(world)
    with pytest.raises(ClientError, match="still has replica regions"):
        sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    world.reset_log()
    run(world, "before_destroy")
    assert world.log.writes() == [REMOVE]
    assert status(world) == []
    world.reset_log()
    run(world, "before_destroy")
    assert world.log.writes() == []
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def test_before_destroy_without_the_primary_stack_is_a_no_op(secret_world: World) -> None:
    world = secret_world
    del world.outputs["us-east-1"]
    run(world, "before_destroy")
    assert world.log.writes() == []
    assert world.reporter.events[0].kind == EventKind.NO_CHANGE


def test_independent_mode_replicates_nothing_and_checks_each_region_rotation(secret_world: World) -> None:
    world = secret_world
    world.config = load_context(overrides=["project.database_mode='independent'"])
    east2 = world.client("secretsmanager", "us-east-2").create_secret(Name="own", SecretString="{}")["ARN"]
    world.outputs["us-east-2"]["DatabaseSecretArn"] = east2
    run(world)
    assert world.log.writes() == []
    checks = SecretReplicationPlugin().verify(world.context())
    assert [(c.region, c.status) for c in checks] == [
        ("us-east-1", Status.BROKEN),
        ("us-east-2", Status.BROKEN),
    ]
    assert all("rotation is off" in c.reason for c in checks)


def test_a_replica_stuck_in_progress_ends_in_a_bounded_wait(secret_world: World) -> None:
    world = secret_world
    arn = world.outputs["us-east-1"]["DatabaseSecretArn"]
    client = boto3.Session(region_name="us-east-1").client("secretsmanager")
    pc = world.context(wait_timeout_s=30.0)
    pc.sessions.set_client("secretsmanager", "us-east-1", client)
    key = world.outputs["us-east-2"]["KeyArn"]
    stub = Stubber(client)
    stub.add_response("describe_secret", {"ARN": arn, "Name": SECRET_NAME}, {"SecretId": arn})
    stub.add_response(
        "replicate_secret_to_regions",
        {"ARN": arn},
        {
            "SecretId": arn,
            "AddReplicaRegions": [{"Region": "us-east-2", "KmsKeyId": key}],
            "ForceOverwriteReplicaSecret": False,
        },
    )
    pending = {
        "ARN": arn,
        "ReplicationStatus": [{"Region": "us-east-2", "KmsKeyId": key, "Status": "InProgress"}],
    }
    for _ in range(5):
        stub.add_response("describe_secret", pending, {"SecretId": arn})
    with stub, pytest.raises(PluginError, match="timed out after 30s waiting for replica"):
        SecretReplicationPlugin().after_deploy(pc, world.reporter.for_plugin("secret-replication"))
    assert world.clock.sleeps == [10.0, 10.0, 10.0]
