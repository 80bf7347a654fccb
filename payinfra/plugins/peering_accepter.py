"""The accepter side of every cross-region VPC peering, in the accepter's region.

Each peering stack (in its requester's region: the primary, or in a mesh the earlier secondary)
requests one connection and routes the requester side. A cross-region request stays
`pending-acceptance` until accepted *in the peer region*, and the return routes live in the
accepter's route tables: no CloudFormation resource can do either from the requester's stack, so
this plugin does, per peering (unless a rendered stack declares the return routes: then it only
verifies them).
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AcceptVpcPeeringConnection.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError
from payinfra.plugins.waiting import wait_until
from payinfra.topology import Peering
from payinfra.topology.outputs import PeeringOutput, RegionalOutput

FINAL_BAD_STATES = frozenset({"failed", "rejected", "expired", "deleted", "deleting"})


@dataclass(frozen=True)
class PeeringFacts:
    label: str  # `requester <-> accepter`
    requester_region: str
    accepter_region: str
    connection_id: str
    requester_vpc: str
    requester_cidr: str
    accepter_vpc: str
    accepter_cidr: str
    requester_route_tables: list[str]
    accepter_route_tables: list[str]


def describe_connection(ec2: Any, connection_id: str) -> dict[str, Any] | None:
    try:
        found = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[connection_id])
    except ClientError as err:
        if error_code(err).startswith("InvalidVpcPeeringConnectionID"):
            return None
        raise
    connections = found.get("VpcPeeringConnections", [])
    return connections[0] if connections else None


def routes_to(ec2: Any, route_tables: list[str], cidr: str) -> dict[str, dict[str, Any] | None]:
    """Route table id -> its route to `cidr` (or None)."""
    tables = ec2.describe_route_tables(RouteTableIds=route_tables)["RouteTables"]
    found: dict[str, dict[str, Any] | None] = dict.fromkeys(route_tables)
    for table in tables:
        found[table["RouteTableId"]] = next(
            (r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == cidr), None
        )
    return found


def remove_return_routes(
    ec2: Any, tables: list[str], cidr: str, connection_id: str, *, where: str, out: PluginReporter
) -> None:
    """Delete the routes to `cidr` over `connection_id` from `tables` (the accepter's side)."""
    removed = 0
    for table_id, route in routes_to(ec2, tables, cidr).items():
        if route is not None and route.get("VpcPeeringConnectionId") == connection_id:
            ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=cidr)
            out.changed(f"{table_id}: removed route {cidr} -> {connection_id}")
            removed += 1
    if not removed:
        out.unchanged(f"no route to {cidr} over {connection_id} left in {where}")


def route_problem(route: dict[str, Any] | None, connection_id: str) -> str:
    """Empty when the route sends traffic over the connection; else what is wrong with it."""
    if route is None:
        return "no route"
    target = route.get("VpcPeeringConnectionId")
    if target != connection_id:
        other = target or route.get("GatewayId") or route.get("NatGatewayId") or "another target"
        return f"routes to {other}"
    if route.get("State", "active") != "active":
        return f"route is {route.get('State')}"
    return ""


class PeeringAccepterPlugin(Plugin):
    name = "peering-accepter"
    summary = "accept the VPC peering in the secondary region and add its routes back to the primary CIDR"
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    def __init__(self, routes_in_stack: bool = False) -> None:
        # The rendered templates route to the peer from the primary's side only (the peering
        # stack); the accepter's return routes are this plugin's. A template that declared them
        # would be deployed with routes_in_stack=True, and the plugin then only verifies them.
        self._routes_in_stack = routes_in_stack

    def routes_in_stack(self, pc: PluginContext) -> bool:
        return self._routes_in_stack

    def facts(self, pc: PluginContext, peering: Peering) -> PeeringFacts:
        connection = pc.deployed(peering)
        requester, accepter = pc.deployed(peering.requester), pc.deployed(peering.accepter)
        return PeeringFacts(
            label=peering.label,
            requester_region=peering.requester.name,
            accepter_region=peering.accepter.name,
            connection_id=connection.require(PeeringOutput.PEERING_CONNECTION_ID),
            requester_vpc=requester.require(RegionalOutput.VPC_ID),
            requester_cidr=requester.require(RegionalOutput.VPC_CIDR),
            accepter_vpc=accepter.require(RegionalOutput.VPC_ID),
            accepter_cidr=accepter.require(RegionalOutput.VPC_CIDR),
            requester_route_tables=requester.require_list(RegionalOutput.PRIVATE_ROUTE_TABLE_IDS),
            accepter_route_tables=accepter.require_list(RegionalOutput.PRIVATE_ROUTE_TABLE_IDS),
        )

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        for peering in pc.topology.peerings:
            facts = self.facts(pc, peering)
            ec2 = pc.client("ec2", facts.accepter_region)
            self._accept(pc, out, ec2, facts)
            if self.routes_in_stack(pc):
                out.unchanged(
                    f"{facts.label}: the accepter's stack declares the return routes (verify checks them)"
                )
                continue
            self._route(out, ec2, facts)

    def _accept(self, pc: PluginContext, out: PluginReporter, ec2: Any, facts: PeeringFacts) -> None:
        connection = describe_connection(ec2, facts.connection_id)
        if connection is None:
            raise PluginError(
                f"peering connection {facts.connection_id} is not visible in {facts.accepter_region}: "
                f"was its peering stack deployed with {facts.accepter_region} as PeerRegion?"
            )
        self._check_ends(connection, facts)
        state = connection["Status"]["Code"]
        if state in FINAL_BAD_STATES:
            raise PluginError(
                f"peering connection {facts.connection_id} ({facts.label}) is {state} "
                f"({connection['Status'].get('Message', '')}): delete and redeploy its peering stack"
            )
        if state == "pending-acceptance":
            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=facts.connection_id)
            out.changed(f"accepted peering connection {facts.connection_id} in {facts.accepter_region}")
        elif state == "active":
            out.unchanged(f"peering connection {facts.connection_id} ({facts.label}) is already active")

        def poll() -> tuple[bool, str]:
            current = describe_connection(ec2, facts.connection_id)
            code = current["Status"]["Code"] if current else "missing"
            if code in FINAL_BAD_STATES or code == "missing":
                raise PluginError(f"peering connection {facts.connection_id} became {code} while accepting")
            return code == "active", code

        if state != "active":
            wait_until(pc, out, f"peering connection {facts.connection_id} to become active", poll)

    @staticmethod
    def _check_ends(connection: dict[str, Any], facts: PeeringFacts) -> None:
        requester = connection.get("RequesterVpcInfo", {})
        accepter = connection.get("AccepterVpcInfo", {})
        expected = (facts.requester_vpc, facts.requester_region, facts.accepter_vpc, facts.accepter_region)
        actual = (
            requester.get("VpcId"),
            requester.get("Region", facts.requester_region),
            accepter.get("VpcId"),
            accepter.get("Region", facts.accepter_region),
        )
        if actual != expected:
            raise PluginError(
                f"peering connection {facts.connection_id} joins {actual[0]} ({actual[1]}) to "
                f"{actual[2]} ({actual[3]}), expected {expected[0]} ({expected[1]}) to {expected[2]} "
                f"({expected[3]}): region or stack mismatch between the peering and regional stacks"
            )

    def _route(self, out: PluginReporter, ec2: Any, facts: PeeringFacts) -> None:
        current = routes_to(ec2, facts.accepter_route_tables, facts.requester_cidr)
        for table_id, route in current.items():
            problem = route_problem(route, facts.connection_id)
            if not problem:
                out.unchanged(f"{table_id}: {facts.requester_cidr} already routes over {facts.connection_id}")
                continue
            arguments = {
                "RouteTableId": table_id,
                "DestinationCidrBlock": facts.requester_cidr,
                "VpcPeeringConnectionId": facts.connection_id,
            }
            if route is None:
                ec2.create_route(**arguments)
                out.changed(f"{table_id}: added route {facts.requester_cidr} -> {facts.connection_id}")
            else:
                ec2.replace_route(**arguments)
                out.changed(
                    f"{table_id}: replaced route {facts.requester_cidr} ({problem}) -> {facts.connection_id}"
                )

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        """Remove the return routes this plugin added (each peering stack removes the rest)."""
        if self.routes_in_stack(pc):
            out.unchanged("the accepters' stacks own the return routes: nothing to remove")
            return
        for peering in pc.topology.peerings:
            connection = pc.existing(peering)
            requester, accepter = pc.existing(peering.requester), pc.existing(peering.accepter)
            if not (connection and requester and accepter):
                out.unchanged(
                    f"{peering.label}: the peering or a regional stack is already gone: no return routes"
                )
                continue
            connection_id = connection.optional(PeeringOutput.PEERING_CONNECTION_ID)
            cidr = requester.optional(RegionalOutput.VPC_CIDR)
            tables = accepter.optional(RegionalOutput.PRIVATE_ROUTE_TABLE_IDS)
            if not (connection_id and cidr and tables):
                out.unchanged(
                    f"{peering.label}: outputs for the return routes are missing: nothing to remove"
                )
                continue
            ec2 = pc.client("ec2", peering.accepter.name)
            remove_return_routes(
                ec2, tables.split(","), cidr, connection_id, where=peering.accepter.name, out=out
            )

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        """Per peering (its pair label as the check's region): active as seen from each side, and
        each side's routes to the other's CIDR over it."""
        checks = []
        for peering in pc.topology.peerings:
            facts = self.facts(pc, peering)
            for region in (facts.requester_region, facts.accepter_region):
                connection = describe_connection(pc.client("ec2", region), facts.connection_id)
                state = connection["Status"]["Code"] if connection else "not found"
                status = Status.HOLDS if state == "active" else Status.BROKEN
                promise = f"VPC peering active, seen from {region}"
                checks.append(Check(promise, status, f"{facts.connection_id} is {state}", facts.label))
            sides = (
                (facts.requester_region, facts.requester_route_tables, facts.accepter_cidr),
                (facts.accepter_region, facts.accepter_route_tables, facts.requester_cidr),
            )
            for region, tables, cidr in sides:
                current = routes_to(pc.client("ec2", region), tables, cidr)
                problems = [
                    f"{t}: {p}" for t, r in current.items() if (p := route_problem(r, facts.connection_id))
                ]
                promise = f"routes from {region} to the peer CIDR {cidr}"
                if problems:
                    checks.append(Check(promise, Status.BROKEN, "; ".join(problems), facts.label))
                else:
                    reason = f"{len(tables)} route table(s) route {cidr} over {facts.connection_id}"
                    checks.append(Check(promise, Status.HOLDS, reason, facts.label))
        return checks
