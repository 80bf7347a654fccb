"""Subnet plan, route tables and ACL tables as data (no YAML rendered)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest

from payinfra.config import Context
from payinfra.model.network import TIERS, Network, network, plan_subnets
from payinfra.model.peering import EPHEMERAL, PEER_RULE_FIRST, PEER_RULE_LAST, declare_flows
from payinfra.model.site import site


def _network(ctx: Context, role: str) -> Network:
    return network(site(ctx, role), declare_flows(ctx))


@pytest.mark.parametrize("cidr,azs", [("10.0.0.0/16", 3), ("10.1.0.0/16", 2), ("192.168.0.0/16", 6)])
def test_subnet_plan_is_azs_times_tiers_disjoint_and_inside_the_vpc(cidr: str, azs: int) -> None:
    plan = plan_subnets(cidr, azs)
    assert sorted((s.tier, s.az_index) for s in plan) == sorted((t, a) for t in TIERS for a in range(azs))
    nets = [ipaddress.IPv4Network(s.cidr) for s in plan]
    assert all(n.subnet_of(ipaddress.IPv4Network(cidr)) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_peer_route_tables_are_each_private_one_plus_the_isolated_one(context: Context, role: str) -> None:
    net = _network(context, role)
    azs = context.regions[site(context, role).name].az_count
    assert len(net.private) == azs
    private = tuple(f"PrivateRouteTable{n}" for n in range(1, azs + 1))
    assert net.peer_route_tables == (*private, "IsolatedRouteTable")


def test_private_subnets_share_the_only_nat_gateway_or_use_their_own(
    context_with: Callable[..., Context],
) -> None:
    one = _network(context_with("defaults.nat_gateways=1"), "primary")
    assert {one.nat_gateway_for(s) for s in one.private} == {1}
    ctx = context_with("defaults.nat_gateways=3", "defaults.az_count=3")
    own = _network(ctx, "primary")
    assert [own.nat_gateway_for(s) for s in own.private] == [1, 2, 3]


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_acl_tables_cover_every_subnet_once(context: Context, role: str) -> None:
    net = _network(context, role)
    assert [t.tier for t in net.acl_tables] == list(TIERS)
    associated = [s for t in net.acl_tables for s in t.subnets]
    assert sorted(s.logical_id for s in associated) == sorted(s.logical_id for s in net.subnets)
    for table in net.acl_tables:
        keys = [(e.egress, e.number) for e in table.entries]
        assert len(keys) == len(set(keys)), table.tier  # one rule per number and direction


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_peer_cidr_rules_sit_in_the_peer_range_and_open_the_flows_ports(context: Context, role: str) -> None:
    here = site(context, role)
    net = _network(context, role)
    flows = declare_flows(context)
    peer_entries = [(t.tier, e) for t in net.acl_tables for e in t.entries if e.cidr == here.peer.vpc_cidr]
    assert peer_entries, "the peering flows need ACL entries for the peer CIDR"
    assert all(PEER_RULE_FIRST <= e.number <= PEER_RULE_LAST for _, e in peer_entries)
    for flow in flows:
        if flow.destination.role == role:
            tier = flow.destination.component.tier
            ingress = [e for t, e in peer_entries if t == tier and not e.egress]
            assert any(e.low <= flow.port <= e.high for e in ingress), flow.label
            egress = [e for t, e in peer_entries if t == tier and e.egress]
            assert any((e.low, e.high) == EPHEMERAL for e in egress), flow.label
    rules = net.security_group_rules
    assert rules and all(r.cidr == here.peer.vpc_cidr for r in rules)
