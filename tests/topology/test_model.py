"""The topology: which region is primary, the pairs between regions, the stacks and their order."""

from __future__ import annotations

import pytest

from payinfra.config import Context, load_context
from payinfra.topology import REGION_ROLES, Relation, Role, Topology, stacks


@pytest.fixture(scope="module", params=["replica", "independent"])
def ctx(request: pytest.FixtureRequest) -> Context:
    return load_context(overrides=[f"project.database_mode={request.param}"])


@pytest.fixture(scope="module")
def topology(ctx: Context) -> Topology:
    return Topology.from_context(ctx)


def test_regions_and_roles_come_from_the_project(ctx: Context, topology: Topology) -> None:
    assert topology.primary.name == ctx.project.primary_region
    assert topology.primary.role is Role.PRIMARY
    assert [n.name for n in topology.secondaries] == [ctx.project.secondary_region]
    assert [n.role for n in topology.regions] == list(REGION_ROLES)
    assert topology.region_names == (ctx.project.primary_region, ctx.project.secondary_region)
    for node in topology.regions:
        assert node.settings == ctx.regions[node.name]
        assert node.vpc_cidr == ctx.regions[node.name].vpc_cidr
        assert node.peer_route_table_count == ctx.regions[node.name].az_count + 1
        assert topology.region(node.name) is node


def test_every_relation_runs_from_the_primary_to_each_secondary(topology: Topology) -> None:
    for relation in Relation:
        pairs = topology.pairs_of(relation)
        assert [(p.source, p.target) for p in pairs] == [(topology.primary, s) for s in topology.secondaries]
    assert topology.peers_of(topology.primary) == topology.secondaries
    assert topology.peers_of(topology.secondary) == (topology.primary,)


def test_the_database_writer_follows_the_database_mode(ctx: Context, topology: Topology) -> None:
    replica = ctx.project.database_mode == "replica"
    assert topology.replica_database is replica
    assert topology.runs_database_writer(topology.primary)
    assert topology.runs_database_writer(topology.secondary) is not replica


def test_stacks_are_the_regions_then_peering(ctx: Context, topology: Topology) -> None:
    p = ctx.project
    described = [(s.role, s.region, s.template, s.config_env, s.name) for s in topology.stacks]
    assert described == [
        ("primary", p.primary_region, "template.primary.yaml", "default", "payments-primary-dev"),
        ("secondary", p.secondary_region, "template.secondary.yaml", p.secondary_region,
         "payments-secondary-dev"),
        ("peering", p.primary_region, "template.peering.yaml", "peering", "payments-peering-dev"),
    ]
    assert stacks(ctx) == list(topology.stacks)
    assert topology.stack(Role.PEERING) == topology.peering
    assert topology.node(Role.SECONDARY) is topology.secondary


def test_needs_follow_replication_and_peering(ctx: Context, topology: Topology) -> None:
    needs = {s.role: topology.needs(s) for s in topology.stacks}
    secondary = ("primary",) if ctx.project.database_mode == "replica" else ()
    assert needs == {"primary": (), "secondary": secondary, "peering": ("primary", "secondary")}


def test_an_unknown_role_or_region_names_what_exists(topology: Topology) -> None:
    with pytest.raises(KeyError, match="no stack has the role 'global'"):
        topology.stack("global")
    with pytest.raises(KeyError, match=r"eu-west-1 is not a region of this deployment \(us-east-1, us-"):
        topology.region("eu-west-1")

