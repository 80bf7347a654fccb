"""A mesh of secondaries: one shared template declares every secondary's peer openings, each
conditioned on the region, so every secondary's render is the same and none opens to itself."""

from __future__ import annotations

import copy

import pytest

from payinfra.config import Context, build_context
from payinfra.config.loader import _read_toml
from payinfra.model.errors import ModelError
from payinfra.model.network import Network, network
from payinfra.model.peering import (
    AclEntry,
    SecurityGroupRule,
    declare_flows,
    network_acls,
    security_group_rules,
)
from payinfra.model.site import site

from .conftest import THREE_REGIONS

SECONDARIES = ("us-east-2", "us-west-2")


def _declared(ctx: Context, region: str) -> Network:
    return network(site(ctx, region), declare_flows(ctx))


def _peer_parts(net: Network) -> tuple[tuple[SecurityGroupRule, ...], list[tuple[str, AclEntry]]]:
    entries = [(t.tier, e) for t in net.acl_tables for e in t.entries if e.peer is not None]
    return net.security_group_rules, entries


def test_every_secondary_declares_the_same_peer_resources(mesh: Context) -> None:
    """The merge of the secondaries' renders needs this: the same resources in every render."""
    east, west = (_declared(mesh, region) for region in SECONDARIES)
    assert _peer_parts(east) == _peer_parts(west)
    assert east.region_conditions == west.region_conditions == {
        "NotInUsEast2": "us-east-2",
        "NotInUsWest2": "us-west-2",
    }


@pytest.mark.parametrize("region", SECONDARIES)
def test_openings_toward_a_secondary_are_absent_from_it_and_the_primary_ones_plain(
    mesh: Context, region: str
) -> None:
    rules, entries = _peer_parts(_declared(mesh, region))
    for rule in rules:
        expected = rule.peer if rule.peer in SECONDARIES else None
        assert (rule.absent_from, rule.condition) == (
            expected,
            f"NotIn{expected.title().replace('-', '')}" if expected else None,
        ), rule.logical_id
    assert {e.absent_from for _, e in entries if e.peer == "us-east-1"} == {None}
    assert all(e.absent_from == e.peer for _, e in entries if e.peer in SECONDARIES)
    assert {r.peer for r in rules if r.absent_from} == set(SECONDARIES)  # itself included


@pytest.mark.parametrize("region", SECONDARIES)
def test_each_stack_creates_exactly_what_its_flows_need(mesh: Context, region: str) -> None:
    """Conditions applied, a secondary's stack opens to its peers as its own flows say, and
    nothing toward its own CIDR."""
    here = site(mesh, region)
    flows = declare_flows(mesh)
    cidr_of = {p.name: p.settings.vpc_cidr for p in here.peers}
    created = _declared(mesh, region).created_in(region)
    assert created.region_conditions == {}

    def plain(rule: SecurityGroupRule) -> SecurityGroupRule:
        return SecurityGroupRule(**{**vars(rule), "absent_from": None})

    assert sorted(map(plain, created.security_group_rules), key=lambda r: r.logical_id) == sorted(
        security_group_rules(flows, region, cidr_of), key=lambda r: r.logical_id
    )
    wanted = network_acls(flows, region, here.settings.vpc_cidr, cidr_of)
    for table in created.acl_tables:
        got = {(e.number, e.egress, e.cidr, e.low, e.high) for e in table.entries}
        assert got == {(e.number, e.egress, e.cidr, e.low, e.high) for e in wanted[table.tier]}
    own = here.settings.vpc_cidr
    assert all(r.cidr != own for r in created.security_group_rules)


def test_the_primary_opens_plainly_to_both_secondaries(mesh: Context) -> None:
    primary = _declared(mesh, "us-east-1")
    assert primary.region_conditions == {}
    assert {r.peer for r in primary.security_group_rules} == set(SECONDARIES)
    assert all(r.absent_from is None for r in primary.security_group_rules)


@pytest.mark.parametrize("which", ["context", "three"])
def test_hub_and_spoke_has_no_conditions(request: pytest.FixtureRequest, which: str) -> None:
    ctx: Context = request.getfixturevalue(which)
    for region in ctx.project.region_names:
        net = _declared(ctx, region)
        assert net.region_conditions == {}
        assert all(r.absent_from is None for r in net.security_group_rules)
        assert all(e.absent_from is None for t in net.acl_tables for e in t.entries)
        assert net.created_in(region) == net


def test_one_port_per_secondary_among_three_is_one_clear_error() -> None:
    """Toward a secondary, the other secondaries' openings must agree to be one resource."""
    raw = _read_toml(THREE_REGIONS)
    raw["project"]["peering"] = "mesh"
    raw["project"]["secondary_regions"].append("us-west-1")
    raw["us-west-1"] = copy.deepcopy(raw["us-west-2"])
    raw["us-west-1"].update(vpc_cidr="10.3.0.0/16", ecs={"container_port": 9090})
    raw["us-west-1"]["waf"] = {"blocked_countries": ["KP", "IR"]}
    # us-west-1 is outside the strong-consistency (MRSC) region set: the ledger must be eventual.
    raw.setdefault("recovery", {})["ledger_consistency"] = "eventual"
    ctx = build_context(raw)
    with pytest.raises(ModelError, match="share one template but open different ports to us-east-2"):
        _declared(ctx, "us-east-2")
