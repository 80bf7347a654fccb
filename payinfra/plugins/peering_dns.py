"""Names across the peering: the peering's DNS option and the Cloud Map zones' VPC associations.

Routes and rules let a packet cross; a client still needs a name that resolves to a private
address from its own VPC. Which names each flow needs comes from the declared flows
(`payinfra.model.peering`):
- a VPC DNS hostname (the primary database endpoint) resolves privately from the peer VPC once
  the peering's `AllowDnsResolutionFromRemoteVpc` is on for the destination's side. No
  CloudFormation property sets it (`AWS::EC2::VPCPeeringConnection` has none), it can be set
  only on an active connection, and for an inter-region peering each side's option is set in
  that side's region (requester options in the requester region, accepter options in the
  accepter region):
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcPeeringConnectionOptions.html
  https://docs.aws.amazon.com/vpc/latest/peering/modify-peering-connections.html
- a Cloud Map name (`<service>.<namespace>`) lives in the namespace's Route 53 private hosted
  zone, which answers only VPCs associated with it; a same-account VPC of another region is
  associated directly (no authorization step):
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_AssociateVPCWithHostedZone.html
  Before destroy the foreign association is removed, so the namespace's own zone can be
  deleted with its stack:
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_DisassociateVPCFromHostedZone.html
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from payinfra.model.peering import (
    Flow,
    declare_flows,
    dns_resolution_sides,
    peering_side,
    zone_associations,
)
from payinfra.plugins.api import Hook, Plugin, PluginContext, PluginReporter
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError
from payinfra.plugins.outputs import StackOutputs
from payinfra.plugins.peering_accepter import describe_connection
from payinfra.topology import Peering
from payinfra.topology.outputs import PeeringOutput, RegionalOutput

DNS_OPTION = "AllowDnsResolutionFromRemoteVpc"


def flows_of(flows: tuple[Flow, ...], peering: Peering) -> tuple[Flow, ...]:
    """The flows that cross one peering (between its two regions, either way)."""
    ends = {peering.requester.name, peering.accepter.name}
    return tuple(f for f in flows if {f.source.region, f.destination.region} == ends)


def dns_option(connection: dict[str, Any], side: str) -> bool:
    """Whether `side` (`Requester`/`Accepter`) of the connection lets the remote VPC resolve its
    hostnames privately."""
    info = connection.get(f"{side}VpcInfo", {})
    return bool(info.get("PeeringOptions", {}).get(DNS_OPTION, False))


def namespace_zone(pc: PluginContext, region: str, namespace_id: str) -> str:
    """The Route 53 hosted zone ID behind a Cloud Map namespace (bare, without `/hostedzone/`)."""
    sd = pc.client("servicediscovery", region)
    try:
        namespace = sd.get_namespace(Id=namespace_id)["Namespace"]
    except ClientError as err:
        if error_code(err) == "NamespaceNotFound":
            raise PluginError(f"Cloud Map namespace {namespace_id} not found in {region}") from None
        raise
    zone = namespace.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId", "")
    if not zone:
        raise PluginError(f"Cloud Map namespace {namespace_id} has no private hosted zone")
    return str(zone).rsplit("/", 1)[-1]


def zone_vpcs(pc: PluginContext, zone_id: str) -> set[tuple[str, str]]:
    """(VPC id, region) pairs associated with a private hosted zone (Route 53 is global)."""
    found = pc.client("route53", pc.primary_region).get_hosted_zone(Id=zone_id)
    return {(v.get("VPCId", ""), v.get("VPCRegion", "")) for v in found.get("VPCs", [])}


def disassociate(
    pc: PluginContext,
    out: PluginReporter,
    zone_owner: tuple[str, StackOutputs | None],
    vpc_owner: tuple[str, StackOutputs | None],
) -> None:
    """Remove one region's VPC from another region's namespace zone, if associated (idempotent).

    Each owner is (region, its stack's outputs or None when the stack is gone).
    """
    (zone_region, owner), (vpc_region, peer) = zone_owner, vpc_owner
    namespace_id = owner.optional(RegionalOutput.NAMESPACE_ID) if owner else None
    vpc_id = peer.optional(RegionalOutput.VPC_ID) if peer else None
    if not (namespace_id and vpc_id):
        out.unchanged(f"{zone_region} namespace or {vpc_region} VPC already gone: no association to remove")
        return
    try:
        zone_id = namespace_zone(pc, zone_region, namespace_id)
    except PluginError:
        out.unchanged(f"namespace {namespace_id} already gone: no association to remove")
        return
    if (vpc_id, vpc_region) not in zone_vpcs(pc, zone_id):
        out.unchanged(f"zone {zone_id} is not associated with {vpc_id}: nothing to remove")
        return
    pc.client("route53", pc.primary_region).disassociate_vpc_from_hosted_zone(
        HostedZoneId=zone_id, VPC={"VPCId": vpc_id, "VPCRegion": vpc_region}
    )
    out.changed(f"disassociated {vpc_id} ({vpc_region}) from zone {zone_id} ({zone_region} namespace)")


class PeeringDnsPlugin(Plugin):
    name = "peering-dns"
    summary = (
        "per peering, enable the DNS resolution option on each declared flow's destination side; "
        "associate each region's Cloud Map zone with its peers' VPCs (removed before destroy)"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY)

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        flows = declare_flows(pc.config)
        for peering in pc.topology.peerings:
            crossing = flows_of(flows, peering)
            connection_id = pc.deployed(peering).require(PeeringOutput.PEERING_CONNECTION_ID)
            for region in dns_resolution_sides(crossing):
                self._enable_dns_option(pc, out, peering, connection_id, region)
        for zone_region, vpc_region in zone_associations(flows):
            self._associate(pc, out, zone_region, vpc_region)

    @staticmethod
    def _enable_dns_option(
        pc: PluginContext, out: PluginReporter, peering: Peering, connection_id: str, region: str
    ) -> None:
        ec2 = pc.client("ec2", region)
        connection = describe_connection(ec2, connection_id)
        state = connection["Status"]["Code"] if connection else "not found"
        if state != "active":
            raise PluginError(
                f"peering connection {connection_id} is {state} in {region}: DNS options can be set only on "
                "an active connection (the peering-accepter plugin accepts it first)"
            )
        side = peering_side(peering.requester.name, region)
        if connection is not None and dns_option(connection, side):
            out.unchanged(f"{connection_id}: {side.lower()} side ({region}) already allows DNS resolution")
            return
        ec2.modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=connection_id, **{f"{side}PeeringConnectionOptions": {DNS_OPTION: True}}
        )
        out.changed(
            f"{connection_id}: {side.lower()} side ({region}) now resolves its hostnames to private "
            "addresses for the peer VPC"
        )

    @staticmethod
    def _associate(pc: PluginContext, out: PluginReporter, zone_region: str, vpc_region: str) -> None:
        namespace = pc.deployed(zone_region).require(RegionalOutput.NAMESPACE_ID)
        zone_id = namespace_zone(pc, zone_region, namespace)
        vpc_id = pc.deployed(vpc_region).require(RegionalOutput.VPC_ID)
        if (vpc_id, vpc_region) in zone_vpcs(pc, zone_id):
            out.unchanged(f"zone {zone_id} ({zone_region} namespace) already answers {vpc_id}")
            return
        pc.client("route53", pc.primary_region).associate_vpc_with_hosted_zone(
            HostedZoneId=zone_id,
            VPC={"VPCId": vpc_id, "VPCRegion": vpc_region},
            Comment="payinfra peering-dns: Cloud Map names resolvable from the peer VPC",
        )
        out.changed(f"associated {vpc_id} ({vpc_region}) with zone {zone_id} ({zone_region} namespace)")

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        """Remove the peer VPCs from the namespaces' zones; the DNS options go with the peerings."""
        for zone_region, vpc_region in zone_associations(declare_flows(pc.config)):
            disassociate(
                pc,
                out,
                (zone_region, pc.existing(zone_region)),
                (vpc_region, pc.existing(vpc_region)),
            )
