"""Every stack output name, defined once: the contract between the templates that declare the
outputs and the code that reads them (plugins, `verify`, the peering stack, the local job).

The templates receive these as the render variable `output_names`
(`{{ output_names.regional.VPC_ID }}`), so a renamed or misspelt output fails the render instead
of a deploy. An output's value is read with `DescribeStacks` (plugins) or `Fn::GetStackOutput`
(the peering stack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payinfra.topology.model import RegionNode, Topology


class RegionalOutput(StrEnum):
    """The outputs of a regional stack, grouped by the partial that declares them."""

    # network
    VPC_ID = "VpcId"
    VPC_CIDR = "VpcCidr"
    DEFAULT_SECURITY_GROUP_ID = "DefaultSecurityGroupId"
    SERVICE_SECURITY_GROUP_ID = "ServiceSecurityGroupId"
    FUNCTION_SECURITY_GROUP_ID = "FunctionSecurityGroupId"
    DATABASE_SECURITY_GROUP_ID = "DatabaseSecurityGroupId"
    PUBLIC_SUBNET_IDS = "PublicSubnetIds"  # comma-joined
    PRIVATE_SUBNET_IDS = "PrivateSubnetIds"  # comma-joined
    ISOLATED_SUBNET_IDS = "IsolatedSubnetIds"  # comma-joined
    PRIVATE_ROUTE_TABLE_IDS = "PrivateRouteTableIds"  # comma-joined: the tables routed to the peer
    # keys
    KEY_ARN = "KeyArn"
    KEY_ALIAS_NAME = "KeyAliasName"
    # data
    DATABASE_ARN = "DatabaseArn"
    DATABASE_ENDPOINT = "DatabaseEndpoint"
    DATABASE_IDENTIFIER = "DatabaseIdentifier"
    DATABASE_SECRET_ARN = "DatabaseSecretArn"  # noqa: S105 - an output name, not a secret
    SESSIONS_TABLE_NAME = "SessionsTableName"
    SESSIONS_TABLE_ARN = "SessionsTableArn"
    SESSIONS_TABLE_STREAM_ARN = "SessionsTableStreamArn"
    LEDGER_TABLE_NAME = "LedgerTableName"  # the global table: the same name in every region
    AUDIT_TABLE_NAME = "AuditTableName"  # eventually consistent ledger only
    # storage
    UPLOADS_BUCKET_NAME = "UploadsBucketName"
    UPLOADS_BUCKET_ARN = "UploadsBucketArn"
    ALB_LOGS_BUCKET_NAME = "AlbLogsBucketName"
    REPLICATION_ROLE_ARN = "ReplicationRoleArn"
    # edge
    LOAD_BALANCER_ARN = "LoadBalancerArn"
    LOAD_BALANCER_DNS_NAME = "LoadBalancerDnsName"
    LOAD_BALANCER_CANONICAL_HOSTED_ZONE_ID = "LoadBalancerCanonicalHostedZoneId"  # alias records
    WEB_ACL_ARN = "WebAclArn"
    SERVICE_TARGET_GROUP_ARN = "ServiceTargetGroupArn"
    # containers
    CLUSTER_NAME = "ClusterName"
    SERVICE_NAME = "ServiceName"
    NAMESPACE_ID = "NamespaceId"
    # functions
    PAYMENT_FUNCTION_NAME = "PaymentFunctionName"
    PAYMENT_FUNCTION_ARN = "PaymentFunctionArn"
    PAYMENT_QUEUE_URL = "PaymentQueueUrl"
    PAYMENT_QUEUE_ARN = "PaymentQueueArn"
    PAYMENT_DEAD_LETTER_QUEUE_URL = "PaymentDeadLetterQueueUrl"
    # config
    CONFIG_PARAMETER_PATH = "ConfigParameterPath"
    # monitoring
    ALARM_TOPIC_ARN = "AlarmTopicArn"
    ALARM_NAMES = "AlarmNames"  # comma-joined (the fence alarm is not among them)
    FENCE_ALARM_NAME = "FenceAlarmName"  # ALARM while the region is fenced; a Route 53 check follows it
    # backup
    BACKUP_VAULT_NAME = "BackupVaultName"
    BACKUP_VAULT_ARN = "BackupVaultArn"
    BACKUP_PLAN_ID = "BackupPlanId"


# One output per route table routed to the peer (PeerRouteTable1..n): the peering stack reads
# them with Fn::GetStackOutput, which cfn-lint does not allow inside Fn::Split.
PEER_ROUTE_TABLE_PREFIX = "PeerRouteTable"


def peer_route_table(number: int) -> str:
    """The output holding the `number`-th (from 1) route table routed to the peer."""
    if number < 1:
        raise ValueError(f"route table numbers start at 1, not {number}")
    return f"{PEER_ROUTE_TABLE_PREFIX}{number}"


class PeeringOutput(StrEnum):
    """The outputs of the peering stack."""

    PEERING_CONNECTION_ID = "PeeringConnectionId"
    PEER_VPC_CIDR = "PeerVpcCidr"
    REQUESTER_VPC_CIDR = "RequesterVpcCidr"
    ROUTE_TABLE_COUNT = "RouteTableCount"


# The security groups whose IDs a regional stack exports (by logical ID): `verify` walks them for
# every flow that crosses the peering.
SECURITY_GROUP_OUTPUTS: dict[str, RegionalOutput] = {
    "ServiceSecurityGroup": RegionalOutput.SERVICE_SECURITY_GROUP_ID,
    "FunctionSecurityGroup": RegionalOutput.FUNCTION_SECURITY_GROUP_ID,
    "DatabaseSecurityGroup": RegionalOutput.DATABASE_SECURITY_GROUP_ID,
}
# The subnet IDs of each tier (network plan tiers).
SUBNET_OUTPUTS: dict[str, RegionalOutput] = {
    "public": RegionalOutput.PUBLIC_SUBNET_IDS,
    "private": RegionalOutput.PRIVATE_SUBNET_IDS,
    "isolated": RegionalOutput.ISOLATED_SUBNET_IDS,
}

# Outputs that only some regions declare; every other regional output is in every region.
PRIMARY_ONLY = frozenset({
    RegionalOutput.SESSIONS_TABLE_NAME,  # the global table is created in the primary
    RegionalOutput.SESSIONS_TABLE_ARN,
    RegionalOutput.SESSIONS_TABLE_STREAM_ARN,
    RegionalOutput.REPLICATION_ROLE_ARN,  # S3 replication runs from the primary's bucket
})
DATABASE_WRITER_ONLY = frozenset({RegionalOutput.DATABASE_SECRET_ARN})  # a replica has no own secret
# Only with `recovery.ledger_consistency = "eventual"` (every region then declares them).
EVENTUAL_LEDGER_ONLY = frozenset({RegionalOutput.AUDIT_TABLE_NAME})


def regional_outputs(
    topology: Topology, node: RegionNode, *, eventual_ledger: bool = False
) -> tuple[str, ...]:
    """The output names `node`'s regional stack declares, in registry order.

    `eventual_ledger`: the context's `recovery.ledger_consistency == "eventual"` (the topology
    does not carry it).
    """
    names: list[str] = [
        output
        for output in RegionalOutput
        if (node.is_primary or output not in PRIMARY_ONLY)
        and (topology.runs_database_writer(node) or output not in DATABASE_WRITER_ONLY)
        and (eventual_ledger or output not in EVENTUAL_LEDGER_ONLY)
    ]
    names += [peer_route_table(n) for n in range(1, node.peer_route_table_count + 1)]
    return tuple(names)


@dataclass(frozen=True)
class OutputNames:
    """What the templates see as `outputs`: `outputs.regional.VPC_ID`,
    `outputs.peering.PEERING_CONNECTION_ID`, `outputs.peer_route_table(n)`."""

    regional: type[RegionalOutput] = RegionalOutput
    peering: type[PeeringOutput] = PeeringOutput
    security_groups: Mapping[str, RegionalOutput] = field(default_factory=lambda: SECURITY_GROUP_OUTPUTS)

    def peer_route_table(self, number: int) -> str:
        return peer_route_table(number)


OUTPUT_NAMES = OutputNames()
