"""Retire a secondary region removed from the context, before orchestration deletes its stacks.

Removing a region from `project.secondary_regions` and deploying again converges the plugins
(its replication rule, table replica and secret replica go with the next after-deploy); then its
peering stacks and its regional stack are deleted. `prepare_retirement` does what must happen
before those deletes, whether or not that after-deploy ran, and is safe to run again:

1. the uploads replication rule to the region (a rule would keep writing replicas into the
   bucket being emptied);
2. the sessions table's replica and the database secret's replica in the region: both are
   encrypted with the region's key, which its stack schedules for deletion, and neither is part of
   any stack (DynamoDB UpdateTable ReplicaUpdates Delete, Secrets Manager
   RemoveRegionsFromReplication):
   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
   https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RemoveRegionsFromReplication.html
3. the Cloud Map zone associations between the region and every remaining one, both ways: a
   namespace's private zone cannot be deleted while another VPC is associated with it:
   https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHostedZone.html
4. the return routes the peering-accepter plugin added over each of its peerings (in a mesh a
   remaining secondary may be the accepter: its routes would turn into blackholes);
5. its buckets emptied (every version), unless the environment is protected: CloudFormation
   cannot delete a non-empty bucket, and a protected environment keeps its data.

The region is no longer in `pc.topology`, so its stacks are named from `pc.topology.names` and
the region string, exactly as the topology names them.
"""

from __future__ import annotations

from payinfra.plugins.api import PluginContext, PluginReporter
from payinfra.plugins.dynamodb_replica import DynamoDbReplicaPlugin, remove_replica
from payinfra.plugins.errors import PluginError
from payinfra.plugins.outputs import StackOutputs
from payinfra.plugins.peering_accepter import remove_return_routes
from payinfra.plugins.peering_dns import disassociate
from payinfra.plugins.s3_replication import remove_rules
from payinfra.plugins.secret_replication import SECRET_OUTPUT, SecretReplicationPlugin
from payinfra.plugins.versioned_buckets import VersionedBucketsPlugin
from payinfra.topology import PEERING_OUTPUT, REGIONAL_OUTPUTS, Role, Stack, peering_key
from payinfra.topology.outputs import PeeringOutput, RegionalOutput


def retired_stack(pc: PluginContext, region: str) -> Stack:
    """The regional stack of a secondary that left the topology (named as the topology names it)."""
    name = pc.topology.names.concrete("stack_secondary")
    return Stack(Role.SECONDARY, region, REGIONAL_OUTPUTS[Role.SECONDARY], region, name, region)


def possible_peerings(pc: PluginContext, region: str) -> list[tuple[str, str, Stack]]:
    """(requester, accepter, peering stack) for every peering the region may have had with a
    remaining region, either side requesting (the old context's order and mode are unknown)."""
    primary = pc.topology.primary.name
    found = []
    for other in pc.topology.region_names:
        for requester, accepter in ((other, region), (region, other)):
            if accepter == primary:
                continue  # the primary always requests
            env = peering_key(requester, accepter, primary)
            name = pc.topology.names.concrete("stack_peering", peer=accepter)
            found.append(
                (requester, accepter, Stack(Role.PEERING, requester, PEERING_OUTPUT, env, name, env))
            )
    return found


def prepare_retirement(pc: PluginContext, region: str, out: PluginReporter) -> None:
    """Everything that must go before `region`'s peering and regional stacks are deleted
    (idempotent: a second run reports no change)."""
    if region in pc.topology.region_names:
        raise PluginError(
            f"{region} is still a region of this deployment ({', '.join(pc.topology.region_names)}): "
            "remove it from project.secondary_regions before retiring it"
        )
    retired = pc.existing(retired_stack(pc, region))
    primary = pc.existing(pc.topology.primary)
    if primary is not None:
        _remove_replication(pc, region, primary, out)
    else:
        out.unchanged(f"primary stack is gone: no replication, replica or secret replica to {region}")
    for other in pc.topology.region_names:
        remaining = pc.existing(other)
        disassociate(pc, out, (other, remaining), (region, retired))
        disassociate(pc, out, (region, retired), (other, remaining))
    for requester, accepter, stack in possible_peerings(pc, region):
        _remove_routes(pc, (requester, accepter), pc.existing(stack), (region, retired), out)
    if retired is None:
        out.unchanged(f"stack {retired_stack(pc, region).name} is gone from {region}: no buckets to empty")
    elif pc.config.project.protected:
        out.unchanged(
            f"environment {pc.config.project.environment!r} is protected: the buckets in {region} keep "
            "their data (retained with the stack)"
        )
    else:
        VersionedBucketsPlugin().empty_region(pc, retired, region, out)


def prepare_peering_retirement(pc: PluginContext, requester: str, accepter: str, out: PluginReporter) -> None:
    """A peering between two regions that both stay (a mesh switched back to hub and spoke): its
    Cloud Map zone associations, both ways, and the accepter's return routes go before its stack
    (idempotent). Left in place, an association keeps the namespace's zone from being deleted
    at destroy, and a route over the deleted connection becomes a blackhole."""
    for region in (requester, accepter):
        if region not in pc.topology.region_names:
            raise PluginError(f"{region} is not a region of this deployment: retire it as a region")
    ends = {region: pc.existing(region) for region in (requester, accepter)}
    disassociate(pc, out, (requester, ends[requester]), (accepter, ends[accepter]))
    disassociate(pc, out, (accepter, ends[accepter]), (requester, ends[requester]))
    name = pc.topology.names.concrete("stack_peering", peer=accepter)
    key = peering_key(requester, accepter, pc.topology.primary.name)
    stack = Stack(Role.PEERING, requester, PEERING_OUTPUT, key, name, key)
    _remove_routes(pc, (requester, accepter), pc.existing(stack), (accepter, ends[accepter]), out)


def _remove_replication(pc: PluginContext, region: str, primary: StackOutputs, out: PluginReporter) -> None:
    """The replication rule, the table replica and the secret replica to `region`."""
    source = pc.topology.primary.name
    bucket = primary.optional(RegionalOutput.UPLOADS_BUCKET_NAME)
    if bucket:
        remove_rules(pc.client("s3", source), bucket, {region}, out)
    table = primary.optional(RegionalOutput.SESSIONS_TABLE_NAME)
    ddb = pc.client("dynamodb", source)
    if table and DynamoDbReplicaPlugin.describe(ddb, table) is not None:
        remove_replica(pc, out, ddb, table, region)
    secret_arn = primary.optional(SECRET_OUTPUT)
    plugin = SecretReplicationPlugin()
    sm = pc.client("secretsmanager", source)
    if secret_arn and plugin.describe(sm, secret_arn) is not None:
        plugin.remove_replicas(pc, out, sm, secret_arn, [region])


def _remove_routes(
    pc: PluginContext,
    ends: tuple[str, str],
    peering: StackOutputs | None,
    retired: tuple[str, StackOutputs | None],
    out: PluginReporter,
) -> None:
    """The accepter's return routes to the requester's CIDR over one peering of the region."""
    connection_id = peering.optional(PeeringOutput.PEERING_CONNECTION_ID) if peering else None
    if not connection_id:
        return  # no such peering (the other side requested it, or it is already deleted)
    requester, accepter = ends
    retired_region, retired_outputs = retired

    def outputs_of(name: str) -> StackOutputs | None:
        return retired_outputs if name == retired_region else pc.existing(name)

    requester_outputs, accepter_outputs = outputs_of(requester), outputs_of(accepter)
    cidr = requester_outputs.optional(RegionalOutput.VPC_CIDR) if requester_outputs else None
    tables = accepter_outputs.optional(RegionalOutput.PRIVATE_ROUTE_TABLE_IDS) if accepter_outputs else None
    if not (cidr and tables):
        out.unchanged(f"{requester} <-> {accepter}: a regional stack is gone: no return routes to remove")
        return
    ec2 = pc.client("ec2", accepter)
    remove_return_routes(ec2, tables.split(","), cidr, connection_id, where=accepter, out=out)
