"""A moto world holding what the stacks would have created, and a plugin context over it.

The plugins only ever see stack outputs, so the tests create the resources with boto3 directly
(under `mock_aws`) and feed their ids through `StaticOutputs`, keyed by stack key (the region
name for a regional stack, `peering-<accepter>` for a peering): the same contract as
CloudFormation's outputs, without depending on moto's CloudFormation. `config` is the default
two-region context; `three_regions` is examples/three-regions.toml (`mesh_regions`: the same in
mesh peering).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from localaws.testing import mock_aws
from payinfra.config import Context, load_context
from payinfra.config.loader import DEFAULT_PATH
from payinfra.plugins.api import Clock, PluginContext, Reporter
from payinfra.plugins.aws import RegionalSessions
from payinfra.plugins.outputs import StaticOutputs
from payinfra.topology import Topology

SHARED_LOADER = botocore.loaders.create_loader()
READ_PREFIXES = ("Describe", "Get", "List", "Head")


class Interrupted(Exception):
    """Stands for a crash, Ctrl-C or lost connection in the middle of a plugin run."""


@dataclass
class CallLog:
    """Every AWS operation the plugins call, as (region, service, operation)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)
    fail_at_write: int | None = None  # 1-based index of the write call that is interrupted

    def writes(self) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if not c[2].startswith(READ_PREFIXES)]

    def hook(self, region: str):  # type: ignore[no-untyped-def]
        def before_call(model: Any, **_: Any) -> None:
            call = (region, model.service_model.service_name, model.name)
            self.calls.append(call)
            is_write = not model.name.startswith(READ_PREFIXES)
            if is_write and len(self.writes()) == self.fail_at_write:
                raise Interrupted(f"interrupted before {call}")

        return before_call


@dataclass
class FakeClock:
    """Advances time only when a plugin sleeps: waits are bounded without waiting for real."""

    t: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds

    def clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


THREE_REGIONS = DEFAULT_PATH.parent / "examples" / "three-regions.toml"
PRIMARY, SECONDARY, THIRD = "us-east-1", "us-east-2", "us-west-2"
PEERING = f"peering-{SECONDARY}"  # the default context's one peering stack key


@pytest.fixture(scope="session")
def config() -> Context:
    return load_context()


@pytest.fixture(scope="session")
def three_regions() -> Context:
    return load_context(THREE_REGIONS)


@pytest.fixture(scope="session")
def mesh_regions() -> Context:
    return load_context(THREE_REGIONS, overrides=['project.peering="mesh"'])


def _vpc(ec2: Any, cidr: str, tables: int) -> dict[str, Any]:
    vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    # AWS's default group also allows ingress from itself; moto's only has the egress rule.
    ec2.authorize_security_group_ingress(
        GroupId=default_sg,
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default_sg}]}],
    )
    route_tables = [ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"] for _ in range(tables)]
    return {
        "VpcId": vpc_id,
        "VpcCidr": cidr,
        "DefaultSecurityGroupId": default_sg,
        "RouteTables": route_tables,
    }


def _bucket(s3: Any, name: str, region: str, key_arn: str) -> None:
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}
            ]
        },
    )


def build_world(config: Context) -> dict[str, dict[str, str]]:
    """Create the stacks' resources in moto; returns the outputs per stack key."""
    topology = Topology.from_context(config)
    names = config.names
    outputs: dict[str, dict[str, str]] = {}
    primary_region = topology.primary.name
    account = boto3.client("sts", region_name=primary_region).get_caller_identity()["Account"]
    for node in topology.regions:
        region = node.name
        ec2 = boto3.client("ec2", region_name=region)
        network = _vpc(ec2, node.settings.vpc_cidr, node.settings.az_count + 1)
        key_arn = boto3.client("kms", region_name=region).create_key()["KeyMetadata"]["Arn"]
        s3 = boto3.client("s3", region_name=region)
        uploads = names.concrete("uploads_bucket", region=region, account=account)
        logs = names.concrete("alb_logs_bucket", region=region, account=account)
        _bucket(s3, uploads, region, key_arn)
        _bucket(s3, logs, region, key_arn)
        outputs[node.stack.key] = {
            "VpcId": network["VpcId"],
            "VpcCidr": network["VpcCidr"],
            "DefaultSecurityGroupId": network["DefaultSecurityGroupId"],
            "PrivateRouteTableIds": ",".join(network["RouteTables"]),
            "KeyArn": key_arn,
            "UploadsBucketName": uploads,
            "UploadsBucketArn": f"arn:aws:s3:::{uploads}",
            "AlbLogsBucketName": logs,
        }
    primary = outputs[topology.primary.stack.key]
    table = names.concrete("sessions_table")
    boto3.client("dynamodb", region_name=primary_region).create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    primary["SessionsTableName"] = table
    iam = boto3.client("iam", region_name=primary_region)
    role_name = names.concrete("role_replication", region=primary_region)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # What the primary template can grant itself: its own bucket and key.
    source_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": primary["KeyArn"]},
            {
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": primary["UploadsBucketArn"],
            },
        ],
    }
    iam.put_role_policy(
        RoleName=role_name, PolicyName="Replication", PolicyDocument=json.dumps(source_policy)
    )
    primary["ReplicationRoleArn"] = role_arn
    # Each peering stack: the request from the requester's VPC and the requester side's routes.
    for peering in topology.peerings:
        requester, accepter = outputs[peering.requester.stack.key], outputs[peering.accepter.stack.key]
        ec2 = boto3.client("ec2", region_name=peering.requester.name)
        connection = ec2.create_vpc_peering_connection(
            VpcId=requester["VpcId"], PeerVpcId=accepter["VpcId"], PeerRegion=peering.accepter.name
        )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        for table_id in requester["PrivateRouteTableIds"].split(","):
            ec2.create_route(
                RouteTableId=table_id,
                DestinationCidrBlock=accepter["VpcCidr"],
                VpcPeeringConnectionId=connection,
            )
        outputs[peering.stack.key] = {"PeeringConnectionId": connection, "PeerVpcCidr": accepter["VpcCidr"]}
    return outputs


@dataclass
class World:
    config: Context
    outputs: dict[str, dict[str, str]]
    log: CallLog
    clock: FakeClock
    reporter: Reporter

    def context(self, config: Context | None = None, **overrides: Any) -> PluginContext:
        """A fresh plugin context (new sessions, so each run reads live state anew); `config`
        replaces the world's context (a region removed from it, for instance)."""
        log = self.log

        def factory(region: str) -> boto3.Session:
            core = botocore.session.get_session()
            core.register_component("data_loader", SHARED_LOADER)  # parse service models once
            session = boto3.Session(region_name=region, botocore_session=core)
            session.events.register("before-call.*.*", log.hook(region))
            return session

        options: dict[str, Any] = {"wait_timeout_s": 120.0, "poll_interval_s": 10.0}
        options.update(overrides)
        return PluginContext(
            config=config or self.config,
            sessions=RegionalSessions(factory),
            outputs=StaticOutputs(self.outputs),
            reporter=self.reporter,
            clock=self.clock.clock(),
            **options,
        )

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region)

    def reset_log(self) -> None:
        self.log.calls.clear()
        self.log.fail_at_write = None
        self.reporter.events.clear()


@pytest.fixture
def world(aws_env: None, config: Context) -> Iterator[World]:
    with mock_aws():
        outputs = build_world(config)
        yield World(config, outputs, CallLog(), FakeClock(), Reporter(echo=lambda _line: None))


@pytest.fixture
def world3(aws_env: None, three_regions: Context) -> Iterator[World]:
    """us-east-1 primary, us-east-2 and us-west-2 secondaries, hub and spoke."""
    with mock_aws():
        yield fresh_world(three_regions)


@pytest.fixture
def mesh3(aws_env: None, mesh_regions: Context) -> Iterator[World]:
    """The three regions in mesh peering (us-east-2 also requests a peering with us-west-2)."""
    with mock_aws():
        yield fresh_world(mesh_regions)


def fresh_world(config: Context) -> World:
    """For tests that need several independent worlds (call inside `with mock_aws():`)."""
    return World(config, build_world(config), CallLog(), FakeClock(), Reporter(echo=lambda _line: None))
