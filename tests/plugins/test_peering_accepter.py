"""peering-accepter: accept in the secondary region, return routes, verify both sides, teardown."""

from __future__ import annotations

import pytest

from localaws.testing import mock_aws
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.peering_accepter import PeeringAccepterPlugin
from tests.plugins.conftest import Interrupted, World, fresh_world


def _state(world: World, region: str) -> str:
    ec2 = world.client("ec2", region)
    pcx = world.outputs["peering-us-east-2"]["PeeringConnectionId"]
    return ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])["VpcPeeringConnections"][0][
        "Status"
    ]["Code"]


def _return_routes(world: World) -> dict[str, str | None]:
    """Secondary route table -> peering connection its primary-CIDR route uses."""
    ec2 = world.client("ec2", world.config.project.secondary_regions[0])
    tables = world.outputs["us-east-2"]["PrivateRouteTableIds"].split(",")
    cidr = world.outputs["us-east-1"]["VpcCidr"]
    found = {}
    for table in ec2.describe_route_tables(RouteTableIds=tables)["RouteTables"]:
        route = next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == cidr), None)
        found[table["RouteTableId"]] = route.get("VpcPeeringConnectionId") if route else None
    return found


def plugin() -> PeeringAccepterPlugin:
    return PeeringAccepterPlugin(routes_in_stack=False)


def test_accepts_and_routes_back(world: World) -> None:
    secondary = world.config.project.secondary_regions[0]
    assert _state(world, secondary) == "pending-acceptance"
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    pcx = world.outputs["peering-us-east-2"]["PeeringConnectionId"]
    assert _state(world, secondary) == "active"
    assert _state(world, world.config.project.primary_region) == "active"
    routes = _return_routes(world)
    assert len(routes) == world.config.secondaries[secondary].az_count + 1
    assert set(routes.values()) == {pcx}
    writes = [op for _, _, op in world.log.writes()]
    assert writes == ["AcceptVpcPeeringConnection"] + ["CreateRoute"] * len(routes)
    assert all(region == secondary for region, _, _ in world.log.writes())


def test_second_run_changes_nothing(world: World) -> None:
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    world.reset_log()
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    assert world.log.writes() == []
    assert {e.kind for e in world.reporter.events} == {EventKind.NO_CHANGE}


def test_a_route_to_another_target_is_replaced(world: World) -> None:
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    ec2 = world.client("ec2", world.config.project.secondary_regions[0])
    table = world.outputs["us-east-2"]["PrivateRouteTableIds"].split(",")[0]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=world.outputs["us-east-2"]["VpcId"])
    ec2.replace_route(
        RouteTableId=table, DestinationCidrBlock=world.outputs["us-east-1"]["VpcCidr"], GatewayId=gateway
    )
    broken = [c for c in plugin().verify(world.context()) if c.status == Status.BROKEN]
    assert len(broken) == 1 and gateway in broken[0].reason
    world.reset_log()
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    assert [op for _, _, op in world.log.writes()] == ["ReplaceRoute"]
    assert _return_routes(world)[table] == world.outputs["peering-us-east-2"]["PeeringConnectionId"]


def test_verify_before_and_after(world: World) -> None:
    before = plugin().verify(world.context())
    assert [c.status for c in before] == [Status.BROKEN, Status.BROKEN, Status.HOLDS, Status.BROKEN]
    assert "pending-acceptance" in before[0].reason
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    assert {c.status for c in plugin().verify(world.context())} == {Status.HOLDS}


def test_wrong_vpc_is_a_clear_error(world: World) -> None:
    world.outputs["us-east-2"]["VpcId"] = "vpc-0123456789abcdef0"
    with pytest.raises(PluginError, match=r"expected .* region or stack mismatch"):
        plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    assert world.log.writes() == []


def test_rejected_connection_is_a_clear_error(world: World) -> None:
    ec2 = world.client("ec2", world.config.project.secondary_regions[0])
    ec2.reject_vpc_peering_connection(
        VpcPeeringConnectionId=world.outputs["peering-us-east-2"]["PeeringConnectionId"]
    )
    with pytest.raises(PluginError, match="is rejected"):
        plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))


def test_before_destroy_removes_only_its_routes(world: World) -> None:
    plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
    plugin().before_destroy(world.context(), world.reporter.for_plugin("peering"))
    assert set(_return_routes(world).values()) == {None}
    world.reset_log()
    plugin().before_destroy(world.context(), world.reporter.for_plugin("peering"))
    assert world.log.writes() == []


def test_routes_declared_by_the_stack_are_only_verified(world: World) -> None:
    PeeringAccepterPlugin(routes_in_stack=True).after_deploy(world.context(), world.reporter.for_plugin("p"))
    assert [op for _, _, op in world.log.writes()] == ["AcceptVpcPeeringConnection"]
    assert set(_return_routes(world).values()) == {None}


@pytest.mark.parametrize("fail_at", [1, 2, 4])
def test_converges_after_an_interruption(aws_env: None, config, fail_at: int) -> None:
    with mock_aws():
        world = fresh_world(config)
        world.log.fail_at_write = fail_at
        with pytest.raises(Interrupted):
            plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
        world.reset_log()
        plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
        assert set(_return_routes(world).values()) == {
            world.outputs["peering-us-east-2"]["PeeringConnectionId"]
        }
        world.reset_log()
        plugin().after_deploy(world.context(), world.reporter.for_plugin("peering"))
        assert world.log.writes() == []
