"""Subnet plan, route tables and ACL tables as data (no YAML rendered), for two and three regions."""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from payinfra.config import Context, build_context
from payinfra.config.loader import _read_toml
from payinfra.config.model import region_partitions
from payinfra.model.network import TIERS, Network, network, plan_subnets
from payinfra.model.peering import (
    DATABASE,
    DB_PORT,
    EPHEMERAL,
    MAX_RULE_NUMBER,
    PEER_RULE_BASE,
    SERVICE,
    Endpoint,
    Flow,
    declare_flows,
    network_acls,
    peer_rule_numbers,
)
from payinfra.model.site import region_id, site

from .conftest import THREE_REGIONS


def _network(ctx: Context, region: str) -> Network:
    """What the region's stack creates (a shared template's conditions applied)."""
    return _declared(ctx, region).created_in(region)


def _declared(ctx: Context, region: str) -> Network:
    """What the region's template declares (for a secondary: every secondary's shared template)."""
    return network(site(ctx, region), declare_flows(ctx))


def _regions(ctx: Context) -> tuple[str, ...]:
    return ctx.project.region_names


def _ids(net: Network) -> dict[str, int | None]:
    """Every peer-related logical ID of a region's network -> its ACL rule number (None: SG rule)."""
    out: dict[str, int | None] = {r.logical_id: None for r in net.security_group_rules}
    for table in net.acl_tables:
        for e in table.entries:
            out[f"{table.logical_id}{'Egress' if e.egress else 'Ingress'}{e.number}"] = e.number
    return out


@pytest.mark.parametrize("cidr,azs", [("10.0.0.0/16", 3), ("10.1.0.0/16", 2), ("192.168.0.0/16", 6)])
def test_subnet_plan_is_azs_times_tiers_disjoint_and_inside_the_vpc(cidr: str, azs: int) -> None:
    plan = plan_subnets(cidr, azs)
    assert sorted((s.tier, s.az_index) for s in plan) == sorted((t, a) for t in TIERS for a in range(azs))
    nets = [ipaddress.IPv4Network(s.cidr) for s in plan]
    assert all(n.subnet_of(ipaddress.IPv4Network(cidr)) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])


def test_peer_route_tables_are_each_private_one_plus_the_isolated_one(context: Context) -> None:
    for region in _regions(context):
        net = _network(context, region)
        azs = context.regions[region].az_count
        assert len(net.private) == azs
        private = tuple(f"PrivateRouteTable{n}" for n in range(1, azs + 1))
        assert net.peer_route_tables == (*private, "IsolatedRouteTable")


def test_private_subnets_share_the_only_nat_gateway_or_use_their_own(
    context_with: Callable[..., Context],
) -> None:
    one = _network(context_with("defaults.nat_gateways=1"), "us-east-1")
    assert {one.nat_gateway_for(s) for s in one.private} == {1}
    ctx = context_with("defaults.nat_gateways=3", "defaults.az_count=3")
    own = _network(ctx, "us-east-1")
    assert [own.nat_gateway_for(s) for s in own.private] == [1, 2, 3]


@pytest.mark.parametrize("which", ["context", "three", "mesh"])
def test_acl_tables_cover_every_subnet_once_and_numbers_are_unique(
    request: pytest.FixtureRequest, which: str
) -> None:
    ctx: Context = request.getfixturevalue(which)
    for region in _regions(ctx):
        net = _declared(ctx, region)  # every declared entry is a resource named by its number
        assert [t.tier for t in net.acl_tables] == list(TIERS)
        associated = [s for t in net.acl_tables for s in t.subnets]
        assert sorted(s.logical_id for s in associated) == sorted(s.logical_id for s in net.subnets)
        for table in net.acl_tables:
            keys = [(e.egress, e.number) for e in table.entries]
            assert len(keys) == len(set(keys)), (region, table.tier)  # AWS: one number per direction
            assert all(1 <= n <= MAX_RULE_NUMBER for _, n in keys)


@pytest.mark.parametrize("which", ["context", "three", "mesh"])
def test_each_peer_gets_its_cidr_in_its_own_block_and_the_flows_ports(
    request: pytest.FixtureRequest, which: str
) -> None:
    ctx: Context = request.getfixturevalue(which)
    flows = declare_flows(ctx)
    for region in _regions(ctx):
        here = site(ctx, region)
        net = _network(ctx, region)
        assert here.peers, region
        for peer in here.peers:
            cidr = peer.settings.vpc_cidr
            entries = [(t.tier, e) for t in net.acl_tables for e in t.entries if e.cidr == cidr]
            assert entries, f"{region}: no ACL entry for peer {peer.name}"
            assert {e.number for _, e in entries} <= set(peer_rule_numbers(peer.name))
            for flow in flows:
                if flow.destination.region == region and flow.source.region == peer.name:
                    tier = flow.destination.component.tier
                    ingress = [e for t, e in entries if t == tier and not e.egress]
                    assert any(e.low <= flow.port <= e.high for e in ingress), flow.label
                    egress = [e for t, e in entries if t == tier and e.egress]
                    assert any((e.low, e.high) == EPHEMERAL for e in egress), flow.label
            rules = [r for r in net.security_group_rules if r.cidr == cidr]
            assert rules and all(region_id(peer.name) in r.logical_id for r in rules)
        peer_cidrs = {p.settings.vpc_cidr for p in here.peers}
        assert {r.cidr for r in net.security_group_rules} == peer_cidrs


def test_the_primary_opens_to_every_secondary_and_a_spoke_only_to_the_primary(three: Context) -> None:
    primary = _network(three, "us-east-1")
    cidrs = {three.regions[name].vpc_cidr for name in ("us-east-2", "us-west-2")}
    assert {r.cidr for r in primary.security_group_rules} == cidrs
    isolated = next(t for t in primary.acl_tables if t.tier == "isolated")
    assert {e.cidr for e in isolated.entries if e.number >= PEER_RULE_BASE} == cidrs
    for spoke in ("us-east-2", "us-west-2"):
        net = _network(three, spoke)
        assert {r.cidr for r in net.security_group_rules} == {three.primary.vpc_cidr}


def test_in_a_mesh_each_secondary_also_opens_to_the_other(mesh: Context) -> None:
    east, west = _network(mesh, "us-east-2"), _network(mesh, "us-west-2")
    assert mesh.regions["us-west-2"].vpc_cidr in {r.cidr for r in east.security_group_rules}
    assert mesh.regions["us-east-2"].vpc_cidr in {r.cidr for r in west.security_group_rules}
    # Between two secondaries only the services talk: nothing reaches a secondary database.
    for net in (east, west):
        isolated = next(t for t in net.acl_tables if t.tier == "isolated")
        assert all(e.number < PEER_RULE_BASE for e in isolated.entries)


def _without(ctx_raw: dict[str, Any], region: str) -> Context:
    raw = copy.deepcopy(ctx_raw)
    del raw[region]
    project = raw["project"]
    project["secondary_regions"] = [r for r in project["secondary_regions"] if r != region]
    return build_context(raw)


@pytest.mark.parametrize("peering", ["hub-and-spoke", "mesh"])
def test_adding_a_region_keeps_every_logical_id_and_rule_number(context: Context, peering: str) -> None:
    """CloudFormation creates a renamed resource before deleting the old one, and AWS refuses two
    ACL entries with one number: what exists for us-east-1 and us-east-2 must not move."""
    raw = _read_toml(THREE_REGIONS)
    raw["project"]["peering"] = peering
    two, three = _without(raw, "us-west-2"), build_context(raw)
    for region in two.project.region_names:
        before, after = _ids(_network(two, region)), _ids(_network(three, region))
        assert before.items() <= after.items(), region
        peered = peering == "mesh" or region == "us-east-1"  # with us-west-2
        assert (len(after) > len(before)) == peered, region
        assert _network(two, region) == _network(context, region)  # the default context is that model


def test_removing_a_middle_region_keeps_the_others_ids() -> None:
    raw = _read_toml(THREE_REGIONS)
    full, without = build_context(raw), _without(raw, "us-east-2")
    for region in without.project.region_names:
        kept = _ids(_network(without, region))
        assert kept.items() <= _ids(_network(full, region)).items(), region


def test_rule_blocks_depend_on_the_region_alone() -> None:
    blocks = [peer_rule_numbers(r) for r in ("us-east-1", "us-east-2", "us-west-2", "ap-southeast-7")]
    numbers = [n for b in blocks for n in b]
    assert len(numbers) == len(set(numbers))  # disjoint
    assert all(PEER_RULE_BASE <= n <= MAX_RULE_NUMBER for n in numbers)
    with pytest.raises(ValueError, match="xx-nowhere-1 has no ACL rule-number slot"):
        peer_rule_numbers("xx-nowhere-1")


def test_a_flow_with_a_region_that_is_not_a_peer_is_refused(three: Context) -> None:
    flows = declare_flows(three)
    with pytest.raises(ValueError, match="us-east-1 has a peering flow with us-west-2"):
        network_acls(flows, "us-east-1", three.primary.vpc_cidr, {"us-east-2": "10.1.0.0/16"})


def test_too_many_peers_for_the_acl_quota_is_one_clear_error() -> None:
    """Each peer adds a private ingress entry (the replies) to the 3 base ones: 18 peers pass 20."""
    peers = sorted(r for r, p in region_partitions().items() if p == "aws" and r != "us-east-2")[:18]
    flows = tuple(
        Flow(Endpoint("secondary", "us-east-2", SERVICE), Endpoint("primary", p, DATABASE), DB_PORT, "test")
        for p in peers
    )
    cidrs = {peer: f"10.{100 + i}.0.0/16" for i, peer in enumerate(peers)}
    with pytest.raises(ValueError, match="us-east-2 private ACL: 21 inbound entries for 18 peers"):
        network_acls(flows, "us-east-2", "10.1.0.0/16", cidrs)
