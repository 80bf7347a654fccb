"""Every plugin over three regions (examples/three-regions.toml), convergence when a region is
removed from the context, and `prepare_retirement` of the removed region."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from localaws.testing import fixes_applied
from payinfra.config import Context, load_context
from payinfra.config.loader import build_context
from payinfra.plugins.api import Status
from payinfra.plugins.default_security_group import DefaultSecurityGroupPlugin
from payinfra.plugins.dynamodb_replica import DynamoDbReplicaPlugin
from payinfra.plugins.errors import PluginError
from payinfra.plugins.peering_accepter import PeeringAccepterPlugin, routes_to
from payinfra.plugins.retirement import prepare_peering_retirement, prepare_retirement
from payinfra.plugins.s3_replication import GRANT_POLICY, ReplicationSettings, S3ReplicationPlugin
from payinfra.plugins.secret_replication import SecretReplicationPlugin
from payinfra.plugins.stack_status import StackStatusPlugin
from tests.plugins.conftest import PRIMARY, SECONDARY, THIRD, THREE_REGIONS, World

RULE_TO = {SECONDARY: "uploads-to-us-east-2", THIRD: "uploads-to-us-west-2"}


def without(region: str, **project: Any) -> Context:
    """examples/three-regions.toml with `region` removed from the context (its table too)."""
    raw = tomllib.loads(THREE_REGIONS.read_text())
    raw.pop(region)
    raw["project"]["secondary_regions"] = [r for r in raw["project"]["secondary_regions"] if r != region]
    raw["project"].update(project)
    return build_context(raw)


def s3_run(world: World, config: Context | None = None) -> None:
    S3ReplicationPlugin(ReplicationSettings()).after_deploy(
        world.context(config), world.reporter.for_plugin("s3")
    )


def rules(world: World) -> dict[str, dict[str, Any]]:
    bucket = world.outputs[PRIMARY]["UploadsBucketName"]
    stored = world.client("s3", PRIMARY).get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    return {r["ID"]: r for r in stored["Rules"]}


def with_secret(world: World) -> str:
    arn = world.client("secretsmanager", PRIMARY).create_secret(
        Name="payments-primary-dev-DatabaseSecret-abc",
        SecretString=json.dumps({"password": "x" * 32}),
        KmsKeyId=world.outputs[PRIMARY]["KeyArn"],
    )["ARN"]
    world.outputs[PRIMARY]["DatabaseSecretArn"] = arn
    return str(arn)


def replica_regions(world: World, arn: str) -> list[str]:
    described = world.client("secretsmanager", PRIMARY).describe_secret(SecretId=arn)
    return sorted(s["Region"] for s in described.get("ReplicationStatus", []))


# -- s3-replication ------------------------------------------------------------------------------
def test_one_rule_per_destination_with_its_key_and_its_own_priority(world3: World) -> None:
    with fixes_applied("s3_replication"):
        s3_run(world3)
        found = rules(world3)
        assert sorted(found) == sorted(RULE_TO.values())
        for region, rule_id in RULE_TO.items():
            destination = found[rule_id]["Destination"]
            assert destination["Bucket"] == world3.outputs[region]["UploadsBucketArn"]
            assert (
                destination["EncryptionConfiguration"]["ReplicaKmsKeyID"] == world3.outputs[region]["KeyArn"]
            )
        assert sorted(r["Priority"] for r in found.values()) == [1, 2]
        iam = world3.client("iam", PRIMARY)
        role = world3.outputs[PRIMARY]["ReplicationRoleArn"].rsplit("/", 1)[-1]
        grant = iam.get_role_policy(RoleName=role, PolicyName=GRANT_POLICY)["PolicyDocument"]
        assert grant["Statement"][0]["Resource"] == [world3.outputs[r]["KeyArn"] for r in RULE_TO]
        checks = S3ReplicationPlugin(ReplicationSettings()).verify(world3.context())
        where = [(c.promise, c.region) for c in checks]
        assert len(checks) == 8 and len(set(where)) == 8  # per destination, never merged
        assert {c.region for c in checks if c.promise.startswith("replication configured")} == {
            "us-east-1 -> us-east-2",
            "us-east-1 -> us-west-2",
        }
        assert all(c.status == Status.HOLDS for c in checks if not c.promise.startswith("objects"))
        world3.reset_log()
        s3_run(world3)
        assert world3.log.writes() == []


def test_removing_a_region_removes_its_rule_and_keeps_the_other(world3: World) -> None:
    with fixes_applied("s3_replication"):
        s3_run(world3)
        kept = rules(world3)[RULE_TO[THIRD]]
        world3.reset_log()
        s3_run(world3, without(SECONDARY))
        assert rules(world3) == {RULE_TO[THIRD]: kept}  # same rule, same priority
        world3.reset_log()
        s3_run(world3, without(SECONDARY))
        assert world3.log.writes() == []


# -- secret-replication --------------------------------------------------------------------------
def test_the_secret_replicates_to_every_secondary_and_leaves_a_removed_one(world3: World) -> None:
    with fixes_applied("secretsmanager"):
        arn = with_secret(world3)
        plugin = SecretReplicationPlugin()
        plugin.after_deploy(world3.context(), world3.reporter.for_plugin("sm"))
        assert replica_regions(world3, arn) == [SECONDARY, THIRD]
        checks = [c for c in plugin.verify(world3.context()) if "replica" in c.promise]
        assert [(c.region, c.status) for c in checks] == [(SECONDARY, Status.HOLDS), (THIRD, Status.HOLDS)]
        smaller = without(SECONDARY)
        world3.reset_log()
        plugin.after_deploy(world3.context(smaller), world3.reporter.for_plugin("sm"))
        assert replica_regions(world3, arn) == [THIRD]
        assert [op for _, _, op in world3.log.writes()] == ["RemoveRegionsFromReplication"]
        world3.reset_log()
        plugin.after_deploy(world3.context(smaller), world3.reporter.for_plugin("sm"))
        assert world3.log.writes() == []


# -- dynamodb-replica ----------------------------------------------------------------------------
def test_a_replica_in_a_region_no_longer_listed_is_removed(world: World) -> None:
    """Two-region context; the table still has a replica in us-west-2 (a removed region)."""
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/payments-sessions-dev"
    key = world.outputs[SECONDARY]["KeyArn"]
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

    def table(*replicas: str) -> dict[str, Any]:
        listed = [{"RegionName": r, "ReplicaStatus": "ACTIVE", "KMSMasterKeyId": key} for r in replicas]
        return {
            "TableName": "payments-sessions-dev",
            "TableArn": arn,
            "TableStatus": "ACTIVE",
            "StreamSpecification": stream,
            "Replicas": listed,
        }

    client = boto3.Session(region_name=PRIMARY).client("dynamodb")
    pc = world.context()
    pc.sessions.set_client("dynamodb", PRIMARY, client)
    name = {"TableName": "payments-sessions-dev"}
    stub = Stubber(client)
    stub.add_response("describe_table", {"Table": table(SECONDARY, THIRD)}, name)
    stub.add_response("list_tags_of_resource", {"Tags": []}, {"ResourceArn": arn})  # replica settings
    stub.add_response("describe_table", {"Table": table(SECONDARY, THIRD)}, name)
    delete = {**name, "ReplicaUpdates": [{"Delete": {"RegionName": THIRD}}]}
    stub.add_response("update_table", {"TableDescription": table(SECONDARY, THIRD)}, delete)
    stub.add_response("describe_table", {"Table": table(SECONDARY)}, name)
    replica = Stubber(boto3.Session(region_name=SECONDARY).client("dynamodb"))
    pc.sessions.set_client("dynamodb", SECONDARY, replica.client)
    replica_arn = arn.replace(PRIMARY, SECONDARY)
    replica.add_response("describe_table", {"Table": {**name, "TableArn": replica_arn}}, name)
    backups = {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"},
    }
    replica.add_response("describe_continuous_backups", {"ContinuousBackupsDescription": backups}, name)
    replica.add_response("list_tags_of_resource", {"Tags": []}, {"ResourceArn": replica_arn})
    with stub, replica:
        DynamoDbReplicaPlugin().after_deploy(pc, world.reporter.for_plugin("ddb"))
        stub.assert_no_pending_responses()
    assert [e.message for e in world.reporter.changes()] == [
        "payments-sessions-dev: removing the replica in us-west-2"
    ]


def test_verify_gives_each_secondary_its_own_replica_checks(world3: World) -> None:
    checks = DynamoDbReplicaPlugin().verify(world3.context())
    assert len(checks) == 8
    assert [c.region for c in checks] == [SECONDARY] * 4 + [THIRD] * 4


# -- peering-accepter, default security group, stack status --------------------------------------
def test_mesh_peerings_are_each_accepted_in_the_accepters_region(mesh3: World) -> None:
    plugin = PeeringAccepterPlugin(routes_in_stack=False)
    plugin.after_deploy(mesh3.context(), mesh3.reporter.for_plugin("acc"))
    accepted = sorted(region for region, _, op in mesh3.log.writes() if op == "AcceptVpcPeeringConnection")
    assert accepted == [SECONDARY, THIRD, THIRD]  # us-west-2 accepts from us-east-1 and us-east-2
    east2_to_west2 = mesh3.outputs[f"peering-{SECONDARY}-{THIRD}"]["PeeringConnectionId"]
    tables = mesh3.outputs[THIRD]["PrivateRouteTableIds"].split(",")
    routes = routes_to(mesh3.client("ec2", THIRD), tables, mesh3.outputs[SECONDARY]["VpcCidr"])
    assert {r["VpcPeeringConnectionId"] for r in routes.values() if r} == {east2_to_west2}
    checks = plugin.verify(mesh3.context())
    assert len(checks) == 3 * 4 and all(c.status == Status.HOLDS for c in checks)
    assert {c.region for c in checks} == {
        "us-east-1 <-> us-east-2",
        "us-east-1 <-> us-west-2",
        "us-east-2 <-> us-west-2",
    }
    mesh3.reset_log()
    plugin.after_deploy(mesh3.context(), mesh3.reporter.for_plugin("acc"))
    assert mesh3.log.writes() == []


def test_region_checks_come_once_per_region(world3: World) -> None:
    DefaultSecurityGroupPlugin().after_deploy(world3.context(), world3.reporter.for_plugin("sg"))
    groups = DefaultSecurityGroupPlugin().verify(world3.context())
    assert [(c.region, c.status) for c in groups] == [(r, Status.HOLDS) for r in (PRIMARY, SECONDARY, THIRD)]
    stacks = StackStatusPlugin().verify(world3.context())
    assert len({(c.promise, c.region) for c in stacks}) == len(stacks) == 6  # 3 regions, 2 peerings, global
    # The one global stack (DNS, health checks) is checked once, in the primary region.
    assert [c.region for c in stacks if "global" in c.promise] == [PRIMARY]


# -- retirement ----------------------------------------------------------------------------------
def test_prepare_retirement_removes_what_the_region_holds_then_changes_nothing(mesh3: World) -> None:
    with fixes_applied("s3_replication", "secretsmanager"):
        arn = with_secret(mesh3)
        s3_run(mesh3)
        SecretReplicationPlugin().after_deploy(mesh3.context(), mesh3.reporter.for_plugin("sm"))
        PeeringAccepterPlugin(routes_in_stack=False).after_deploy(
            mesh3.context(), mesh3.reporter.for_plugin("a")
        )
        s3 = mesh3.client("s3", SECONDARY)
        s3.put_object(Bucket=mesh3.outputs[SECONDARY]["UploadsBucketName"], Key="k", Body=b"x")
        pc = mesh3.context(without(SECONDARY, peering="mesh"))
        mesh3.reset_log()
        prepare_retirement(pc, SECONDARY, mesh3.reporter.for_plugin("retire"))
        assert sorted(rules(mesh3)) == [RULE_TO[THIRD]]
        assert replica_regions(mesh3, arn) == [THIRD]
        tables = mesh3.outputs[THIRD]["PrivateRouteTableIds"].split(",")
        left = routes_to(mesh3.client("ec2", THIRD), tables, mesh3.outputs[SECONDARY]["VpcCidr"])
        assert set(left.values()) == {None}  # us-west-2 no longer routes to the leaving region
        uploads = mesh3.outputs[SECONDARY]["UploadsBucketName"]
        assert "Versions" not in s3.list_object_versions(Bucket=uploads)
        mesh3.reset_log()
        prepare_retirement(pc, SECONDARY, mesh3.reporter.for_plugin("retire"))
        assert mesh3.log.writes() == []


def test_a_mesh_peering_between_two_staying_regions_is_unlinked_before_its_stack_goes(mesh3: World) -> None:
    """Mesh back to hub and spoke: us-east-2 and us-west-2 both stay, their peering goes. The
    return routes us-west-2 holds over it would turn into blackholes: they are removed first."""
    accepter = PeeringAccepterPlugin(routes_in_stack=False)
    accepter.after_deploy(mesh3.context(), mesh3.reporter.for_plugin("a"))
    tables = mesh3.outputs[THIRD]["PrivateRouteTableIds"].split(",")
    east2_cidr = mesh3.outputs[SECONDARY]["VpcCidr"]
    assert None not in routes_to(mesh3.client("ec2", THIRD), tables, east2_cidr).values()
    hub = mesh3.context(load_context(THREE_REGIONS))  # the same three regions, hub and spoke
    mesh3.reset_log()
    prepare_peering_retirement(hub, SECONDARY, THIRD, mesh3.reporter.for_plugin("retire"))
    assert set(routes_to(mesh3.client("ec2", THIRD), tables, east2_cidr).values()) == {None}
    # The hub's own return routes (us-east-1 over its peerings) are untouched.
    primary_cidr = mesh3.outputs[PRIMARY]["VpcCidr"]
    assert None not in routes_to(mesh3.client("ec2", THIRD), tables, primary_cidr).values()
    mesh3.reset_log()
    prepare_peering_retirement(hub, SECONDARY, THIRD, mesh3.reporter.for_plugin("retire"))
    assert mesh3.log.writes() == []
    with pytest.raises(PluginError, match="not a region of this deployment"):
        prepare_peering_retirement(
            mesh3.context(without(THIRD)), SECONDARY, THIRD, mesh3.reporter.for_plugin("r")
        )


def test_a_protected_environment_keeps_the_buckets_of_a_retired_region(world3: World) -> None:
    s3 = world3.client("s3", SECONDARY)
    uploads = world3.outputs[SECONDARY]["UploadsBucketName"]
    s3.put_object(Bucket=uploads, Key="k", Body=b"x")
    smaller = without(SECONDARY)  # protect = true would also need certificates: set it on the model
    protected = smaller.model_copy(update={"project": smaller.project.model_copy(update={"protect": True})})
    prepare_retirement(world3.context(protected), SECONDARY, world3.reporter.for_plugin("retire"))
    assert len(s3.list_object_versions(Bucket=uploads)["Versions"]) == 1


def test_retiring_a_region_still_listed_is_refused(world3: World) -> None:
    with pytest.raises(PluginError, match=r"us-east-2 is still a region of this deployment"):
        prepare_retirement(world3.context(), SECONDARY, world3.reporter.for_plugin("retire"))
