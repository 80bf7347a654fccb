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

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from payinfra.config.model import Context
from payinfra.model.errors import ModelError
from payinfra.model.region_slots import slot_of
from payinfra.model.site import region_id
from payinfra.topology import RegionNode, Relation, Topology

DB_PORT = 5432
EPHEMERAL = (1024, 65535)
TCP = "tcp"
TCP_NUMBER = 6

# ACL rule numbers of peer entries: one block of PEER_SLOT_WIDTH numbers per peer REGION, at
# PEER_RULE_BASE + PEER_SLOT_WIDTH * (the region's slot in the append-only table of
# payinfra/model/region_slots.py). The block depends on the peer region alone, never on its
# position in the context or in botocore's region list, so neither adding or removing a region
# nor upgrading botocore ever renumbers a peer's entries (why that matters: region_slots.py). The
# entry's logical ID is made of its number (network partial), so one number is always one resource.
# Rule numbers are 1-32766: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html
# The base entries (100-130) are all allow rules and the only deny is the default `*` rule, so the
# peer blocks sitting after them changes nothing: a packet passes if any entry matches it.
PEER_RULE_BASE, PEER_SLOT_WIDTH, MAX_RULE_NUMBER = 1000, 10, 32766
# AWS refuses a 21st inbound (or outbound) rule on an ACL unless the quota was raised; every peer
# adds entries, so many peers fail at render time rather than halfway through a deployment.
# https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls
NACL_RULES_PER_DIRECTION = 20


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
    """A component in one region. Identified by `region`: several secondaries share a role."""

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
def region_condition(region: str) -> str:
    """The template condition that is true in every region but `region`: `NotInUsWest2`."""
    return f"NotIn{region_id(region)}"


@dataclass(frozen=True)
class SecurityGroupRule:
    """One `AWS::EC2::SecurityGroupIngress`/`Egress` resource admitting a flow from/to one peer."""

    logical_id: str
    group: str  # logical ID of the security group
    egress: bool
    port: int
    cidr: str
    description: str
    peer: str  # the peer region the rule admits
    protocol: str = TCP
    # A template shared by several regions declares the rule in each; the stack of this region
    # (the peer itself) does not create it (`payinfra.model.sibling_peers`). None: created everywhere.
    absent_from: str | None = None

    @property
    def condition(self) -> str | None:
        return region_condition(self.absent_from) if self.absent_from else None


def _cidr(cidr_of: Mapping[str, str], region: str, peer: str) -> str:
    if peer not in cidr_of:
        raise ModelError(f"{region} has a peering flow with {peer}, which is not one of its peers")
    return cidr_of[peer]


def security_group_rules(
    flows: tuple[Flow, ...], region: str, cidr_of: Mapping[str, str]
) -> list[SecurityGroupRule]:
    """The rules one region's template needs: egress on sources, ingress on destinations.

    One rule per (group, direction, peer region, port), with that peer's CIDR (`cidr_of`: peer
    region -> VPC CIDR). The logical ID names the peer region (`ServiceToUsEast2Tcp8080`), never
    a position: a rule for a region that stays keeps its ID when another region comes or goes.
    Security groups are stateful (the reply is admitted with the request), but the groups here
    restrict egress, so the source side needs an egress rule as well.
    """
    rules: dict[str, SecurityGroupRule] = {}
    for flow in flows:
        for egress, end, other in (
            (True, flow.source, flow.destination),
            (False, flow.destination, flow.source),
        ):
            if end.region != region:
                continue
            group = end.component.security_group
            direction = "To" if egress else "From"
            logical_id = (
                f"{group.removesuffix('SecurityGroup')}{direction}{region_id(other.region)}"
                f"{flow.protocol.capitalize()}{flow.port}"
            )
            verb = "to" if egress else "from"
            description = f"Peering: {verb} {other} ({flow.purpose})"
            if logical_id in rules:  # two flows on one port: one rule, both purposes
                description = f"Peering: {verb} {other.region} peers on {flow.protocol}/{flow.port}"
            cidr = _cidr(cidr_of, region, other.region)
            rules[logical_id] = SecurityGroupRule(
                logical_id, group, egress, flow.port, cidr, description, peer=other.region
            )
    return [rules[k] for k in sorted(rules)]


# -- network ACLs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class AclEntry:
    number: int
    egress: bool
    cidr: str
    low: int
    high: int
    protocol: int = TCP_NUMBER
    action: str = "allow"
    peer: str | None = None  # the peer region of a peer entry; None: a base entry
    absent_from: str | None = None  # as `SecurityGroupRule.absent_from`

    @property
    def direction(self) -> str:
        return "out" if self.egress else "in"

    @property
    def condition(self) -> str | None:
        return region_condition(self.absent_from) if self.absent_from else None


def _base_acls(vpc_cidr: str) -> dict[str, list[AclEntry]]:
    """The ACL entries that do not involve a peer: the VPC itself and the internet."""
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


def peer_rule_numbers(peer: str) -> range:
    """The block of ACL rule numbers a peer region's entries take, the same in every deployment."""
    first = PEER_RULE_BASE + PEER_SLOT_WIDTH * slot_of(peer)
    block = range(first, first + PEER_SLOT_WIDTH)
    if block[-1] > MAX_RULE_NUMBER:
        raise ModelError(f"{peer}: ACL rule numbers {first}+ exceed AWS's maximum {MAX_RULE_NUMBER}")
    return block


Needs = dict[str, set[tuple[bool, int, int]]]  # tier -> (egress, low port, high port)


def peer_acl_needs(flows: tuple[Flow, ...], region: str) -> dict[str, Needs]:
    """Peer region -> tier -> (egress, low, high) that peer's CIDR needs in `region`'s ACLs.

    Source subnet: the request out, the reply in on an ephemeral port. Destination subnet: the
    request in, the reply out to an ephemeral port.
    """
    needs: dict[str, Needs] = {}
    for flow in flows:
        if flow.source.region == region:
            peer = needs.setdefault(flow.destination.region, {})
            peer.setdefault(flow.source.component.tier, set()).update(
                {(True, flow.port, flow.port), (False, *EPHEMERAL)}
            )
        if flow.destination.region == region:
            peer = needs.setdefault(flow.source.region, {})
            peer.setdefault(flow.destination.component.tier, set()).update(
                {(False, flow.port, flow.port), (True, *EPHEMERAL)}
            )
    return needs


def _without_nested(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A range already inside another one adds nothing (8080 inside the ephemeral range)."""
    return [r for r in ranges if not any(o != r and o[0] <= r[0] and r[1] <= o[1] for o in ranges)]


def network_acls(
    flows: tuple[Flow, ...], region: str, vpc_cidr: str, cidr_of: Mapping[str, str]
) -> dict[str, list[AclEntry]]:
    """Tier -> the ACL entries of one region: the base table plus, per peer region, exactly the
    ports its flows need, from that peer's CIDR, numbered in that peer's block."""
    tables = _base_acls(vpc_cidr)
    for peer, tiers in sorted(peer_acl_needs(flows, region).items()):
        block, cidr = peer_rule_numbers(peer), _cidr(cidr_of, region, peer)
        for tier, needs in tiers.items():
            for egress in (False, True):
                kept = _without_nested(sorted((low, high) for e, low, high in needs if e == egress))
                if len(kept) > len(block):
                    raise ModelError(
                        f"{region} {tier} ACL: {len(kept)} port ranges for {peer}, more than its "
                        f"{len(block)} rule numbers {block[0]}-{block[-1]}"
                    )
                tables[tier] += [
                    AclEntry(number, egress, cidr, low, high, peer=peer)
                    for number, (low, high) in zip(block, kept, strict=False)
                ]
    for tier, entries in tables.items():
        for egress in (False, True):
            count = sum(e.egress == egress for e in entries)
            if count > NACL_RULES_PER_DIRECTION:
                raise ModelError(
                    f"{region} {tier} ACL: {count} {'outbound' if egress else 'inbound'} entries for "
                    f"{len(peer_acl_needs(flows, region))} peers, over AWS's default quota of "
                    f"{NACL_RULES_PER_DIRECTION}: fewer peers (project.peering = \"hub-and-spoke\")"
                )
    return {tier: sorted(entries, key=lambda e: (e.egress, e.number)) for tier, entries in tables.items()}


# -- names ---------------------------------------------------------------------------------------
def dns_resolution_sides(flows: tuple[Flow, ...]) -> list[str]:
    """Regions whose side of their peerings must allow DNS resolution from the remote VPC.

    The option is set on the side whose hostnames must resolve privately: the destination's.
    """
    return sorted({f.destination.region for f in flows if f.destination.component.naming == Naming.VPC_DNS})


def zone_associations(flows: tuple[Flow, ...]) -> list[tuple[str, str]]:
    """(region owning a Cloud Map zone, region whose VPC must be associated with it)."""
    return sorted(
        {
            (f.destination.region, f.source.region)
            for f in flows
            if f.destination.component.naming == Naming.CLOUD_MAP
        }
    )


def peering_side(requester: str, region: str) -> str:
    """`Requester` or `Accepter`: `region`'s side of a peering requested by `requester`
    (the `...VpcInfo` key of DescribeVpcPeeringConnections, the option names of
    ModifyVpcPeeringConnectionOptions)."""
    return "Requester" if region == requester else "Accepter"
