"""The traffic that crosses the VPC peering, declared once as data.

A peering connection only routes: a packet also needs the source security group's egress, both
subnets' network ACLs (stateless, so the return traffic too), the destination security group's
ingress, the routes back, and a name that resolves to a private address from the peer VPC. Every
one of those is derived here from the flow list, so the templates (security group rules, ACL
tables), the `peering-dns` plugin (DNS option, hosted-zone associations) and `verify` (one check
per flow) cannot disagree about what crosses.

AWS references:
- security groups are stateful, network ACLs are not; ACL rules are evaluated lowest number first
  and the first match decides: https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
- return traffic goes to the client's ephemeral port, 1024-65535 covers every client AWS runs
  (Lambda, NAT gateway, Linux): https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html
- the peering's `AllowDnsResolutionFromRemoteVpc` makes a VPC's DNS hostnames (the RDS endpoint)
  resolve to private addresses from the peer VPC; for an inter-region peering each side's option
  is set in that side's region:
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcPeeringConnectionOptions.html
- a Cloud Map private namespace is a Route 53 private hosted zone; a VPC of another region
  resolves it once associated with it:
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_AssociateVPCWithHostedZone.html
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from payinfra.config.model import Context
from payinfra.topology import RegionNode, Relation, Role, Topology

DB_PORT = 5432
EPHEMERAL = (1024, 65535)
TCP = "tcp"
TCP_NUMBER = 6
# The peering stack lives in the primary region: the primary VPC requests, the secondary accepts.
PEERING_SIDE: dict[str, str] = {Role.PRIMARY: "Requester", Role.SECONDARY: "Accepter"}
# ACL rule numbers for peer entries: after the VPC's own range (100), before the internet's (120).
PEER_RULE_FIRST, PEER_RULE_LAST = 110, 119


class Naming(StrEnum):
    """How a peer finds a destination by name."""

    CLOUD_MAP = "Cloud Map private DNS namespace"
    VPC_DNS = "VPC DNS hostname"
    NONE = "not addressed by name"


@dataclass(frozen=True)
class Component:
    """Something that sends or receives peering traffic, and where it lives in its VPC."""

    name: str
    tier: str  # subnet tier (network.TIERS)
    security_group: str  # logical ID of the group in the network partial
    naming: Naming


SERVICE = Component("ECS service", "private", "ServiceSecurityGroup", Naming.CLOUD_MAP)
FUNCTION = Component("payment function", "private", "FunctionSecurityGroup", Naming.NONE)
DATABASE = Component("database writer", "isolated", "DatabaseSecurityGroup", Naming.VPC_DNS)
COMPONENTS = (SERVICE, FUNCTION, DATABASE)


@dataclass(frozen=True)
class Endpoint:
    role: str  # primary | secondary
    region: str
    component: Component

    def __str__(self) -> str:
        return f"{self.region} {self.component.name}"


@dataclass(frozen=True)
class Flow:
    """One connection that crosses the peering: source opens, destination listens on `port`."""

    source: Endpoint
    destination: Endpoint
    port: int
    purpose: str
    protocol: str = TCP

    @property
    def label(self) -> str:
        return f"{self.source} -> {self.destination} {self.protocol}/{self.port}"


def declare_flows(ctx: Context) -> tuple[Flow, ...]:
    """The flows of this deployment, in a stable order.

    In replica mode the secondary database is read-only, so the secondary region's writers (the
    ECS service and the payment function) reach the primary writer. The API services call each
    other in both directions on the destination region's container port.
    """
    topology = Topology.from_context(ctx)

    def at(node: RegionNode, component: Component) -> Endpoint:
        return Endpoint(node.role, node.name, component)

    flows: list[Flow] = []
    if topology.replica_database:
        for pair in topology.pairs_of(Relation.REPLICATE):
            for component in (SERVICE, FUNCTION):
                flows.append(
                    Flow(
                        at(pair.target, component),
                        at(pair.source, DATABASE),
                        DB_PORT,
                        "writes go to the primary writer; the secondary database is a read replica",
                    )
                )
    for pair in topology.pairs_of(Relation.PEER):
        for source, destination in ((pair.source, pair.target), (pair.target, pair.source)):
            port = destination.settings.ecs.container_port
            flows.append(
                Flow(at(source, SERVICE), at(destination, SERVICE), port, "service-to-service calls")
            )
    return tuple(flows)


# -- security groups -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SecurityGroupRule:
    """One `AWS::EC2::SecurityGroupIngress`/`Egress` resource admitting a flow from/to the peer."""

    logical_id: str
    group: str  # logical ID of the security group
    egress: bool
    port: int
    cidr: str
    description: str
    protocol: str = TCP


def security_group_rules(flows: tuple[Flow, ...], role: str, peer_cidr: str) -> list[SecurityGroupRule]:
    """The rules one region's template needs: egress on sources, ingress on destinations.

    Security groups are stateful (the reply is admitted with the request), but the groups here
    restrict egress, so the source side needs an egress rule as well.
    """
    rules: dict[str, SecurityGroupRule] = {}
    for flow in flows:
        for egress, end, other in (
            (True, flow.source, flow.destination),
            (False, flow.destination, flow.source),
        ):
            if end.role != role:
                continue
            group = end.component.security_group
            direction = "ToPeer" if egress else "FromPeer"
            logical_id = (
                f"{group.removesuffix('SecurityGroup')}{direction}{flow.protocol.capitalize()}{flow.port}"
            )
            verb = "to" if egress else "from"
            description = f"Peering: {verb} {other} ({flow.purpose})"
            if logical_id in rules:  # two flows on one port: one rule, both purposes
                description = f"Peering: {verb} {other.region} peers on {flow.protocol}/{flow.port}"
            rules[logical_id] = SecurityGroupRule(
                logical_id, group, egress, flow.port, peer_cidr, description
            )
    return [rules[k] for k in sorted(rules)]


# -- network ACLs --------------------------------------------------------------------------------
@dataclass(frozen=True, order=True)
class AclEntry:
    number: int
    egress: bool
    cidr: str
    low: int
    high: int
    protocol: int = TCP_NUMBER
    action: str = "allow"

    @property
    def direction(self) -> str:
        return "out" if self.egress else "in"


def _base_acls(vpc_cidr: str) -> dict[str, list[AclEntry]]:
    """The ACL entries that do not involve the peer: the VPC itself and the internet."""
    world = "0.0.0.0/0"

    def both(number: int, cidr: str, low: int, high: int) -> list[AclEntry]:
        return [AclEntry(number, False, cidr, low, high), AclEntry(number, True, cidr, low, high)]

    # The internet's ephemeral range is split around 3389 so no rule can ever open RDP.
    return {
        "public": [
            *both(100, world, 443, 443),
            *both(110, world, 80, 80),
            *both(120, world, 1024, 3388),
            *both(121, world, 3390, 65535),
            *both(130, vpc_cidr, 0, 65535),
        ],
        "private": [
            *both(100, vpc_cidr, 0, 65535),
            AclEntry(120, False, world, 1024, 3388),
            AclEntry(121, False, world, 3390, 65535),
            AclEntry(120, True, world, 443, 443),
        ],
        "isolated": [
            AclEntry(100, False, vpc_cidr, DB_PORT, DB_PORT),
            AclEntry(100, True, vpc_cidr, *EPHEMERAL),
        ],
    }


def peer_acl_needs(flows: tuple[Flow, ...], role: str) -> dict[str, set[tuple[bool, int, int]]]:
    """Tier -> (egress, low port, high port) the peer range needs in one region, both directions.

    Source subnet: the request out, the reply in on an ephemeral port. Destination subnet: the
    request in, the reply out to an ephemeral port.
    """
    needs: dict[str, set[tuple[bool, int, int]]] = {}
    for flow in flows:
        if flow.source.role == role:
            tier = needs.setdefault(flow.source.component.tier, set())
            tier |= {(True, flow.port, flow.port), (False, *EPHEMERAL)}
        if flow.destination.role == role:
            tier = needs.setdefault(flow.destination.component.tier, set())
            tier |= {(False, flow.port, flow.port), (True, *EPHEMERAL)}
    return needs


def network_acls(
    flows: tuple[Flow, ...], role: str, vpc_cidr: str, peer_cidr: str
) -> dict[str, list[AclEntry]]:
    """Tier -> the ACL entries of one region: the base table plus exactly the peer flows' ports."""
    tables = _base_acls(vpc_cidr)
    for tier, needs in peer_acl_needs(flows, role).items():
        for egress in (False, True):
            ranges = sorted((low, high) for e, low, high in needs if e == egress)
            # A range already inside another one adds nothing (8080 inside the ephemeral range).
            kept = [r for r in ranges if not any(o != r and o[0] <= r[0] and r[1] <= o[1] for o in ranges)]
            if len(kept) > PEER_RULE_LAST - PEER_RULE_FIRST + 1:
                raise ValueError(
                    f"{tier} ACL: more peer port ranges than rule numbers {PEER_RULE_FIRST}-{PEER_RULE_LAST}"
                )
            for number, (low, high) in enumerate(kept, start=PEER_RULE_FIRST):
                tables[tier].append(AclEntry(number, egress, peer_cidr, low, high))
    return {tier: sorted(entries, key=lambda e: (e.egress, e.number)) for tier, entries in tables.items()}


# -- names ---------------------------------------------------------------------------------------
def dns_resolution_sides(flows: tuple[Flow, ...]) -> list[str]:
    """Roles whose side of the peering must allow DNS resolution from the remote VPC.

    The option is set on the side whose hostnames must resolve privately: the destination's.
    """
    return sorted({f.destination.role for f in flows if f.destination.component.naming == Naming.VPC_DNS})


def zone_associations(flows: tuple[Flow, ...]) -> list[tuple[str, str]]:
    """(role owning a Cloud Map zone, role whose VPC must be associated with it)."""
    return sorted(
        {
            (f.destination.role, f.source.role)
            for f in flows
            if f.destination.component.naming == Naming.CLOUD_MAP
        }
    )
