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

from payinfra.model.peering import PEERING_SIDE, declare_flows, dns_resolution_sides, zone_associations
from payinfra.plugins.api import Hook, Plugin, PluginContext, PluginReporter
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError
from payinfra.plugins.peering_accepter import describe_connection
from payinfra.topology import Role
from payinfra.topology.outputs import PeeringOutput, RegionalOutput

DNS_OPTION = "AllowDnsResolutionFromRemoteVpc"


def region_of(pc: PluginContext, role: str) -> str:
    return pc.topology.node(role).name


def dns_option(connection: dict[str, Any], role: str) -> bool:
    """Whether `role`'s side of the connection lets the remote VPC resolve its hostnames privately."""
    info = connection.get(f"{PEERING_SIDE[role]}VpcInfo", {})
    return bool(info.get("PeeringOptions", {}).get(DNS_OPTION, False))


def namespace_zone(pc: PluginContext, role: str, namespace_id: str) -> str:
    """The Route 53 hosted zone ID behind a Cloud Map namespace (bare, without `/hostedzone/`)."""
    sd = pc.client("servicediscovery", region_of(pc, role))
    try:
        namespace = sd.get_namespace(Id=namespace_id)["Namespace"]
    except ClientError as err:
        if error_code(err) == "NamespaceNotFound":
            raise PluginError(
                f"Cloud Map namespace {namespace_id} not found in {region_of(pc, role)}"
            ) from None
        raise
    zone = namespace.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId", "")
    if not zone:
        raise PluginError(f"Cloud Map namespace {namespace_id} has no private hosted zone")
    return str(zone).rsplit("/", 1)[-1]


def zone_vpcs(pc: PluginContext, zone_id: str) -> set[tuple[str, str]]:
    """(VPC id, region) pairs associated with a private hosted zone (Route 53 is global)."""
    found = pc.client("route53", pc.primary_region).get_hosted_zone(Id=zone_id)
    return {(v.get("VPCId", ""), v.get("VPCRegion", "")) for v in found.get("VPCs", [])}


class PeeringDnsPlugin(Plugin):
    name = "peering-dns"
    summary = (
        "enable the peering's DNS resolution option on each declared flow's destination side; associate "
        "each region's Cloud Map zone with the peer VPC (removed before destroy)"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY)

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        flows = declare_flows(pc.config)
        connection_id = pc.deployed(Role.PEERING).require(PeeringOutput.PEERING_CONNECTION_ID)
        for role in dns_resolution_sides(flows):
            self._enable_dns_option(pc, out, connection_id, role)
        for zone_role, vpc_role in zone_associations(flows):
            self._associate(pc, out, zone_role, vpc_role)

    def _enable_dns_option(
        self, pc: PluginContext, out: PluginReporter, connection_id: str, role: str
    ) -> None:
        region = region_of(pc, role)
        ec2 = pc.client("ec2", region)
        connection = describe_connection(ec2, connection_id)
        state = connection["Status"]["Code"] if connection else "not found"
        if state != "active":
            raise PluginError(
                f"peering connection {connection_id} is {state} in {region}: DNS options can be set only on "
                "an active connection (the peering-accepter plugin accepts it first)"
            )
        side = PEERING_SIDE[role]
        if connection is not None and dns_option(connection, role):
            out.unchanged(f"{connection_id}: {side.lower()} side ({region}) already allows DNS resolution")
            return
        ec2.modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=connection_id, **{f"{side}PeeringConnectionOptions": {DNS_OPTION: True}}
        )
        out.changed(
            f"{connection_id}: {side.lower()} side ({region}) now resolves its hostnames to private "
            "addresses for the peer VPC"
        )

    def _associate(self, pc: PluginContext, out: PluginReporter, zone_role: str, vpc_role: str) -> None:
        zone_id = namespace_zone(pc, zone_role, pc.deployed(zone_role).require(RegionalOutput.NAMESPACE_ID))
        vpc_id, vpc_region = pc.deployed(vpc_role).require(RegionalOutput.VPC_ID), region_of(pc, vpc_role)
        if (vpc_id, vpc_region) in zone_vpcs(pc, zone_id):
            out.unchanged(f"zone {zone_id} ({region_of(pc, zone_role)} namespace) already answers {vpc_id}")
            return
        pc.client("route53", pc.primary_region).associate_vpc_with_hosted_zone(
            HostedZoneId=zone_id,
            VPC={"VPCId": vpc_id, "VPCRegion": vpc_region},
            Comment="payinfra peering-dns: Cloud Map names resolvable from the peer VPC",
        )
        out.changed(
            f"associated {vpc_id} ({vpc_region}) with zone {zone_id} ({region_of(pc, zone_role)} namespace)"
        )

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        """Remove the peer VPCs from the namespaces' zones; the DNS option goes with the peering."""
        for zone_role, vpc_role in zone_associations(declare_flows(pc.config)):
            owner, peer = pc.existing(zone_role), pc.existing(vpc_role)
            namespace_id = owner.optional(RegionalOutput.NAMESPACE_ID) if owner else None
            vpc_id = peer.optional(RegionalOutput.VPC_ID) if peer else None
            if not (namespace_id and vpc_id):
                out.unchanged(
                    f"{zone_role} namespace or {vpc_role} VPC already gone: no association to remove"
                )
                continue
            try:
                zone_id = namespace_zone(pc, zone_role, namespace_id)
            except PluginError:
                out.unchanged(f"namespace {namespace_id} already gone: no association to remove")
                continue
            vpc_region = region_of(pc, vpc_role)
            if (vpc_id, vpc_region) not in zone_vpcs(pc, zone_id):
                out.unchanged(f"zone {zone_id} is not associated with {vpc_id}: nothing to remove")
                continue
            pc.client("route53", pc.primary_region).disassociate_vpc_from_hosted_zone(
                HostedZoneId=zone_id, VPC={"VPCId": vpc_id, "VPCRegion": vpc_region}
            )
            out.changed(f"disassociated {vpc_id} ({vpc_region}) from zone {zone_id}")
