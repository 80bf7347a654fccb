"""The region's network as data: subnet plan, route tables to the peers, ACL tables, peer SG rules.

Subnet CIDRs are computed here rather than with `Fn::Cidr` so the plan is visible in the rendered
template, is the same for any AZ count, and can be asserted on by tests (no overlaps, all inside
the VPC). The ACL tables and peer security group rules come from the peering flows
(`payinfra.model.peering`), so what the templates open is exactly what crosses the peering.

AWS references:
- a subnet's CIDR must lie inside its VPC's and not overlap another subnet's:
  https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
- one network ACL per subnet; a subnet without an explicit association uses the VPC's default ACL:
  https://docs.aws.amazon.com/vpc/latest/userguide/network-acls.html
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
from dataclasses import dataclass

from payinfra.model.peering import (
    AclEntry,
    Flow,
    SecurityGroupRule,
    network_acls,
    region_condition,
    security_group_rules,
)
from payinfra.model.sibling_peers import sibling_openings
from payinfra.model.site import Site

TIERS = ("public", "private", "isolated")


@dataclass(frozen=True)
class Subnet:
    tier: str
    az_index: int
    cidr: str

    @property
    def number(self) -> int:
        """1-based AZ number, as in logical IDs (PrivateSubnet1, PrivateRouteTable1)."""
        return self.az_index + 1

    @property
    def logical_id(self) -> str:
        return f"{self.tier.capitalize()}Subnet{self.number}"


def plan_subnets(vpc_cidr: str, az_count: int) -> list[Subnet]:
    """Equal-sized subnets, tier-major, leaving the upper part of the VPC free for growth."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    bits = math.ceil(math.log2(len(TIERS) * az_count))
    blocks = list(vpc.subnets(prefixlen_diff=bits))
    subnets = []
    for t, tier in enumerate(TIERS):
        for az in range(az_count):
            subnets.append(Subnet(tier, az, str(blocks[t * az_count + az])))
    return subnets


@dataclass(frozen=True)
class AclTable:
    """One tier's network ACL: its entries and the subnets associated with it."""

    tier: str
    entries: tuple[AclEntry, ...]
    subnets: tuple[Subnet, ...]

    @property
    def logical_id(self) -> str:
        return f"{self.tier.capitalize()}NetworkAcl"


@dataclass(frozen=True)
class Network:
    """What the network partial lays out for one region."""

    vpc_cidr: str
    nat_gateways: int
    subnets: tuple[Subnet, ...]
    acl_tables: tuple[AclTable, ...]
    security_group_rules: tuple[SecurityGroupRule, ...]
    # Condition name -> the region it excludes, for the peer resources a shared template declares
    # toward each region it serves (`payinfra.model.sibling_peers`); empty otherwise.
    region_conditions: dict[str, str]

    def created_in(self, region: str) -> Network:
        """What the stack in `region` creates: without the resources its conditions leave out."""
        return dataclasses.replace(
            self,
            acl_tables=tuple(
                dataclasses.replace(t, entries=tuple(e for e in t.entries if e.absent_from != region))
                for t in self.acl_tables
            ),
            security_group_rules=tuple(r for r in self.security_group_rules if r.absent_from != region),
            region_conditions={},
        )

    def tier(self, name: str) -> tuple[Subnet, ...]:
        return tuple(s for s in self.subnets if s.tier == name)

    @property
    def public(self) -> tuple[Subnet, ...]:
        return self.tier("public")

    @property
    def private(self) -> tuple[Subnet, ...]:
        return self.tier("private")

    @property
    def isolated(self) -> tuple[Subnet, ...]:
        return self.tier("isolated")

    def nat_gateway_for(self, subnet: Subnet) -> int:
        """The NAT gateway a private subnet's default route uses: its own AZ's, or the only one."""
        return subnet.number if self.nat_gateways > 1 else 1

    @property
    def peer_route_tables(self) -> tuple[str, ...]:
        """Route tables that route to the peer VPCs: one per private subnet, plus the isolated one.

        Every peer shares them: each peering adds its own routes (to its peer's CIDR) to these.
        """
        return (*(f"PrivateRouteTable{s.number}" for s in self.private), "IsolatedRouteTable")


def network(site: Site, flows: tuple[Flow, ...]) -> Network:
    """The region's network; the peer resources toward regions that share its template are
    declared for each of them, conditioned (`sibling_openings`), the rest as they are."""
    vpc_cidr = site.settings.vpc_cidr
    cidr_of = {peer.name: peer.settings.vpc_cidr for peer in site.peers}
    subnets = tuple(plan_subnets(vpc_cidr, site.settings.az_count))
    acls = network_acls(flows, site.name, vpc_cidr, cidr_of)
    rules = security_group_rules(flows, site.name, cidr_of)
    shared = sibling_openings(site, flows)
    if shared:
        rules = [r for r in rules if r.peer not in shared]
        rules += [r for openings in shared.values() for r in openings.rules]
        acls = {tier: [e for e in entries if e.peer not in shared] for tier, entries in acls.items()}
        for openings in shared.values():
            for tier, entry in openings.entries:
                acls[tier].append(entry)
    return Network(
        vpc_cidr=vpc_cidr,
        nat_gateways=site.settings.nat_gateways,
        subnets=subnets,
        acl_tables=tuple(
            AclTable(tier, _in_order(entries), tuple(s for s in subnets if s.tier == tier))
            for tier, entries in acls.items()
        ),
        security_group_rules=tuple(sorted(rules, key=lambda r: r.logical_id)),
        region_conditions={region_condition(region): region for region in shared},
    )


def _in_order(entries: list[AclEntry]) -> tuple[AclEntry, ...]:
    """Inbound then outbound, each by rule number (the order AWS evaluates them in)."""
    return tuple(sorted(entries, key=lambda e: (e.egress, e.number)))
