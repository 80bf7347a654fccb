"""The topology: which region is primary, the pairs between regions, the stacks and their order."""

from __future__ import annotations

from pathlib import Path

import pytest

from payinfra.config import Context, load_context
from payinfra.topology import Relation, Role, Topology, stacks

THREE_REGIONS = Path(__file__).resolve().parents[2] / "examples" / "three-regions.toml"


@pytest.fixture(scope="module", params=["replica", "independent"])
def ctx(request: pytest.FixtureRequest) -> Context:
    return load_context(overrides=[f"project.database_mode={request.param}"])


@pytest.fixture(scope="module")
def topology(ctx: Context) -> Topology:
    return Topology.from_context(ctx)


def test_regions_and_roles_come_from_the_project(ctx: Context, topology: Topology) -> None:
    assert topology.primary.name == ctx.project.primary_region
    assert topology.primary.role is Role.PRIMARY
    assert [n.name for n in topology.secondaries] == list(ctx.project.secondary_regions)
    assert [n.role for n in topology.regions] == [Role.PRIMARY, Role.SECONDARY]
    assert topology.region_names == (ctx.project.primary_region, *ctx.project.secondary_regions)
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
    for secondary in topology.secondaries:
        assert topology.peers_of(secondary) == (topology.primary,)


def test_the_database_writer_follows_the_database_mode(ctx: Context, topology: Topology) -> None:
    replica = ctx.project.database_mode == "replica"
    assert topology.replica_database is replica
    assert topology.runs_database_writer(topology.primary)
    for secondary in topology.secondaries:
        assert topology.runs_database_writer(secondary) is not replica


def test_stacks_are_the_regions_then_peering_then_global(ctx: Context, topology: Topology) -> None:
    p = ctx.project
    described = [(s.key, s.role, s.region, s.template, s.config_env, s.name) for s in topology.stacks]
    assert described == [
        ("us-east-1", "primary", "us-east-1", "template.primary.yaml", "default", "payments-primary-dev"),
        ("us-east-2", "secondary", "us-east-2", "template.secondary.yaml", "us-east-2",
         "payments-secondary-dev"),
        ("peering-us-east-2", "peering", p.primary_region, "template.peering.yaml", "peering-us-east-2",
         "payments-peering-dev-us-east-2"),
        ("global", "global", p.primary_region, "template.global.yaml", "global", "payments-global-dev"),
    ]
    assert topology.stack("global") == topology.global_stack
    assert stacks(ctx) == list(topology.stacks)
    (peering,) = topology.peerings
    assert topology.stack("peering-us-east-2") == peering.stack
    assert (peering.requester, peering.accepter) == (topology.primary, topology.secondaries[0])


def test_needs_follow_replication_and_peering(ctx: Context, topology: Topology) -> None:
    needs = {s.key: topology.needs(s) for s in topology.stacks}
    secondary = ("us-east-1",) if ctx.project.database_mode == "replica" else ()
    assert needs == {
        "us-east-1": (),
        "us-east-2": secondary,
        "peering-us-east-2": ("us-east-1", "us-east-2"),
        "global": ("us-east-1", "us-east-2"),
    }


def test_an_unknown_stack_or_region_names_what_exists(topology: Topology) -> None:
    with pytest.raises(KeyError, match="no stack has the key 'peering-eu-west-1'"):
        topology.stack("peering-eu-west-1")
    with pytest.raises(KeyError, match=r"eu-west-1 is not a region of this deployment \(us-east-1, us-"):
        topology.region("eu-west-1")


# -- three regions ------------------------------------------------------------------------------


def three(*overrides: str) -> Topology:
    return Topology.from_context(load_context(THREE_REGIONS, overrides=list(overrides)))


def test_hub_and_spoke_pairs_every_secondary_with_the_primary_only() -> None:
    topology = three()
    east, west = topology.secondaries
    assert [n.name for n in (east, west)] == ["us-east-2", "us-west-2"]
    for relation in Relation:
        assert [(p.source, p.target) for p in topology.pairs_of(relation)] == [
            (topology.primary, east),
            (topology.primary, west),
        ]
    assert topology.peers_of(east) == (topology.primary,)
    assert [(p.requester.name, p.accepter.name, p.stack.region, p.stack.name) for p in topology.peerings] == [
        ("us-east-1", "us-east-2", "us-east-1", "payments-peering-dev-us-east-2"),
        ("us-east-1", "us-west-2", "us-east-1", "payments-peering-dev-us-west-2"),
    ]


def test_every_secondary_shares_the_secondary_template_and_stack_name_in_its_own_region() -> None:
    topology = three()
    east, west = (node.stack for node in topology.secondaries)
    assert (east.template, east.name) == (west.template, west.name)
    assert (east.region, east.config_env, east.key) == ("us-east-2", "us-east-2", "us-east-2")
    assert (west.region, west.config_env, west.key) == ("us-west-2", "us-west-2", "us-west-2")
    assert len({s.key for s in topology.stacks}) == len(topology.stacks)


def test_the_secondaries_deploy_side_by_side_after_the_primary() -> None:
    topology = three()
    needs = {s.key: topology.needs(s) for s in topology.stacks}
    assert needs == {
        "us-east-1": (),
        "us-east-2": ("us-east-1",),
        "us-west-2": ("us-east-1",),  # not us-east-2: a failed us-east-2 does not stop it
        "peering-us-east-2": ("us-east-1", "us-east-2"),
        "peering-us-west-2": ("us-east-1", "us-west-2"),
        "global": ("us-east-1", "us-east-2", "us-west-2"),  # every region's load balancer and alarm
    }


def test_mesh_also_peers_every_two_secondaries() -> None:
    topology = three('project.peering="mesh"')
    primary, east, west = topology.regions
    assert topology.peers_of(east) == (primary, west)
    assert topology.peers_of(west) == (primary, east)
    mesh = topology.peering_of(west, east)
    assert (mesh.requester, mesh.accepter) == (east, west)  # the earlier secondary requests
    assert (mesh.stack.region, mesh.stack.key, mesh.stack.name) == (
        "us-east-2",
        "peering-us-east-2-us-west-2",
        "payments-peering-dev-us-west-2",
    )
    assert topology.needs(mesh.stack) == ("us-east-2", "us-west-2")
    # Replication and failover stay primary -> secondary in a mesh.
    assert all(p.source is primary for p in topology.pairs_of(Relation.REPLICATE))
    with pytest.raises(KeyError, match="are not peered"):
        three().peering_of(east, west)
