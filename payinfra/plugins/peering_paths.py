"""`verify` for every declared peering flow: the whole path, hop by hop, one check per flow.

Every flow crosses one peering (the one between its two regions); with N regions each flow is
its own check, named by its source and destination regions.

A flow (`payinfra.model.peering`) holds only when every hop a connection takes does:
its name resolves privately from the source VPC, the source security group lets it out, the
source subnets' network ACLs let it out, their route tables send the peer range over the
peering, the connection is active, the destination subnets' ACLs let it in, the destination
security group admits it, and the reply gets back (destination ACL egress to ephemeral ports,
routes back over the peering, source ACL ingress on ephemeral ports). The first hop that fails
is named in the BROKEN reason.

Evaluation follows AWS: security groups are stateful (the reply needs no rule) and a rule
admits a source when its CIDR contains the whole peer range; network ACLs are stateless and
evaluated lowest rule number first, the first matching rule deciding, with a final deny:
https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
A subnet without an explicit route table association uses the VPC's main route table:
https://docs.aws.amazon.com/vpc/latest/userguide/RouteTables.html
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from payinfra.model.peering import EPHEMERAL, Flow, Naming, declare_flows, peering_side
from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.peering_accepter import describe_connection, route_problem
from payinfra.plugins.peering_dns import DNS_OPTION, dns_option, namespace_zone, zone_vpcs
from payinfra.topology import Peering
from payinfra.topology.outputs import SECURITY_GROUP_OUTPUTS, SUBNET_OUTPUTS, PeeringOutput, RegionalOutput

TCP_PROTOCOLS = frozenset({"tcp", "6", "-1"})


# -- pure evaluation (tested directly) ----------------------------------------------------------
def _net(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr, strict=False)


def acl_problem(entries: list[dict[str, Any]], egress: bool, cidr: str, low: int, high: int) -> str:
    """Empty when the ACL admits TCP ports low..high for every address of `cidr`; else why not."""
    undecided = [(low, high)]
    peer = _net(cidr)
    rules = sorted((e for e in entries if bool(e.get("Egress")) == egress), key=lambda e: e["RuleNumber"])
    for rule in rules:
        if str(rule.get("Protocol")) not in TCP_PROTOCOLS or not rule.get("CidrBlock"):
            continue
        network = _net(rule["CidrBlock"])
        if not network.overlaps(peer):
            continue
        ports = rule.get("PortRange") or {"From": 0, "To": 65535}
        if str(rule.get("Protocol")) == "-1":
            ports = {"From": 0, "To": 65535}
        r_low, r_high = int(ports["From"]), int(ports["To"])
        hit = [(max(a, r_low), min(b, r_high)) for a, b in undecided if a <= r_high and r_low <= b]
        if not hit:
            continue
        if rule.get("RuleAction") != "allow":
            a, b = hit[0]
            where = "to" if egress else "from"
            return f"rule {rule['RuleNumber']} denies tcp/{a}-{b} {where} {rule['CidrBlock']}"
        if not peer.subnet_of(network):
            continue  # admits only part of the peer range: decides nothing for the rest
        undecided = [
            part
            for a, b in undecided
            for part in ((a, min(b, r_low - 1)), (max(a, r_high + 1), b))
            if part[0] <= part[1]
        ]
        if not undecided:
            return ""
    a, b = undecided[0]
    return f"no rule admits tcp/{a}-{b} {'to' if egress else 'from'} {cidr} (default deny)"


def security_group_admits(permissions: list[dict[str, Any]], cidr: str, port: int) -> bool:
    """Whether some rule admits TCP `port` for the whole `cidr` (rules are stateful: one way suffices)."""
    peer = _net(cidr)
    for permission in permissions:
        protocol = str(permission.get("IpProtocol"))
        if protocol not in TCP_PROTOCOLS:
            continue
        if protocol != "-1" and not (permission.get("FromPort", 0) <= port <= permission.get("ToPort", -1)):
            continue
        if any(peer.subnet_of(_net(r["CidrIp"])) for r in permission.get("IpRanges", []) if r.get("CidrIp")):
            return True
    return False


# -- live state, read once per run --------------------------------------------------------------
@dataclass
class RegionState:
    """What `verify` reads in one region for the flows' subnets and groups."""

    vpc_id: str
    cidr: str
    route_tables: dict[str, dict[str, Any]]  # subnet -> its route table
    acls: dict[str, list[dict[str, Any]]]  # subnet -> its ACL entries
    acl_ids: dict[str, str]
    groups: dict[str, dict[str, Any]]  # group id -> described group
    outputs: Any

    def subnets(self, output: str) -> list[str]:
        return list(self.outputs.require_list(output))


def read_region(pc: PluginContext, region: str) -> RegionState:
    outputs = pc.deployed(region)
    ec2 = pc.client("ec2", region)
    vpc_id = outputs.require(RegionalOutput.VPC_ID)
    subnets = [s for tier in ("private", "isolated") for s in outputs.require_list(SUBNET_OUTPUTS[tier])]
    tables: dict[str, dict[str, Any]] = {}
    main = None
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
        for association in table.get("Associations", []):
            if association.get("Main"):
                main = table
            elif association.get("SubnetId") in subnets:
                tables[association["SubnetId"]] = table
    for subnet in subnets:
        if subnet not in tables and main is not None:
            tables[subnet] = main
    acls: dict[str, list[dict[str, Any]]] = {}
    acl_ids: dict[str, str] = {}
    for acl in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]:
        for association in acl.get("Associations", []):
            if association.get("SubnetId") in subnets:
                acls[association["SubnetId"]] = acl.get("Entries", [])
                acl_ids[association["SubnetId"]] = acl["NetworkAclId"]
    group_ids = [outputs.require(key) for key in SECURITY_GROUP_OUTPUTS.values()]
    groups = {g["GroupId"]: g for g in ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]}
    cidr = outputs.require(RegionalOutput.VPC_CIDR)
    return RegionState(vpc_id, cidr, tables, acls, acl_ids, groups, outputs)


class HopFailed(Exception):
    """The first hop of a flow that does not hold."""


@dataclass(frozen=True)
class Crossing:
    """The peering a flow crosses, its connection id, and the connection as each end sees it."""

    peering: Peering
    connection_id: str
    seen_from: dict[str, dict[str, Any] | None]  # region -> DescribeVpcPeeringConnections entry


class PeeringFlowsPlugin(Plugin):
    name = "peering-flows"
    summary = "verify every declared peering flow end to end: names, security groups, ACLs, routes, both ways"
    hooks = (Hook.VERIFY,)

    def verify(self, pc: PluginContext) -> list[Check]:
        flows = declare_flows(pc.config)
        states = {node.name: read_region(pc, node.name) for node in pc.topology.regions}
        crossings = {}
        for peering in pc.topology.peerings:
            connection_id = pc.deployed(peering).require(PeeringOutput.PEERING_CONNECTION_ID)
            seen_from = {
                node.name: describe_connection(pc.client("ec2", node.name), connection_id)
                for node in (peering.requester, peering.accepter)
            }
            crossings[frozenset(seen_from)] = Crossing(peering, connection_id, seen_from)
        checks = []
        for flow in flows:
            promise = f"peering flow {flow.label}"
            pair = f"{flow.source.region} -> {flow.destination.region}"
            try:
                crossing = crossings.get(frozenset({flow.source.region, flow.destination.region}))
                if crossing is None:
                    raise HopFailed(f"no peering between {flow.source.region} and {flow.destination.region}")
                hops = self._walk(pc, flow, states, crossing)
            except HopFailed as failed:
                checks.append(Check(promise, Status.BROKEN, str(failed), pair))
                continue
            checks.append(Check(promise, Status.HOLDS, "; ".join(hops), pair))
        return checks

    def _walk(
        self, pc: PluginContext, flow: Flow, states: dict[str, RegionState], crossing: Crossing
    ) -> list[str]:
        src, dst = states[flow.source.region], states[flow.destination.region]
        port, src_c, dst_c = flow.port, flow.source.component, flow.destination.component
        src_subnets = src.subnets(SUBNET_OUTPUTS[src_c.tier])
        dst_subnets = dst.subnets(SUBNET_OUTPUTS[dst_c.tier])
        connection_id = crossing.connection_id
        hops = [self._name(pc, flow, states, crossing)]

        src_group = src.groups[src.outputs.require(SECURITY_GROUP_OUTPUTS[src_c.security_group])]
        if not security_group_admits(src_group.get("IpPermissionsEgress", []), dst.cidr, port):
            raise HopFailed(
                f"source security group {src_group['GroupId']} has no egress tcp/{port} to {dst.cidr}"
            )
        hops.append("source SG egress")
        self._acls(src, src_subnets, True, dst.cidr, port, port, hop="source subnet ACL egress")
        self._routes(src, src_subnets, dst.cidr, connection_id, "source route")
        hops.append("source ACL egress, routes")
        for region, connection in crossing.seen_from.items():
            state = connection["Status"]["Code"] if connection else "not found"
            if state != "active":
                raise HopFailed(f"peering connection {connection_id} is {state} in {region}")
        self._acls(dst, dst_subnets, False, src.cidr, port, port, hop="destination subnet ACL ingress")
        dst_group = dst.groups[dst.outputs.require(SECURITY_GROUP_OUTPUTS[dst_c.security_group])]
        if not security_group_admits(dst_group.get("IpPermissions", []), src.cidr, port):
            raise HopFailed(
                f"destination security group {dst_group['GroupId']} does not admit tcp/{port} from {src.cidr}"
            )
        hops.append("destination ACL ingress, SG ingress")
        self._acls(dst, dst_subnets, True, src.cidr, *EPHEMERAL, hop="return: destination subnet ACL egress")
        self._routes(dst, dst_subnets, src.cidr, connection_id, "return route")
        self._acls(src, src_subnets, False, dst.cidr, *EPHEMERAL, hop="return: source subnet ACL ingress")
        hops.append(f"return path (ephemeral {EPHEMERAL[0]}-{EPHEMERAL[1]})")
        return hops

    @staticmethod
    def _name(pc: PluginContext, flow: Flow, states: dict[str, RegionState], crossing: Crossing) -> str:
        dst = flow.destination
        if dst.component.naming == Naming.VPC_DNS:
            connection = crossing.seen_from[dst.region]
            side = peering_side(crossing.peering.requester.name, dst.region)
            if connection is None or not dns_option(connection, side):
                raise HopFailed(
                    f"name: {crossing.connection_id} {side.lower()} side ({dst.region}) does not "
                    f"set {DNS_OPTION}: the {dst.component.name} endpoint does not resolve privately from "
                    f"{flow.source.region}"
                )
            return f"name: {side.lower()} DNS resolution on"
        if dst.component.naming == Naming.CLOUD_MAP:
            try:
                namespace = states[dst.region].outputs.require(RegionalOutput.NAMESPACE_ID)
                zone = namespace_zone(pc, dst.region, namespace)
            except PluginError as err:
                raise HopFailed(f"name: {err}") from None
            source_vpc = (states[flow.source.region].vpc_id, flow.source.region)
            if source_vpc not in zone_vpcs(pc, zone):
                raise HopFailed(
                    f"name: {dst.region} namespace zone {zone} is not associated with the source VPC "
                    f"{source_vpc[0]} ({source_vpc[1]})"
                )
            return f"name: zone {zone} answers the source VPC"
        return "name: none needed"

    @staticmethod
    def _acls(state: RegionState, subnets: list[str], egress: bool, cidr: str, *ports: int, hop: str) -> None:
        low, high = ports
        for subnet in subnets:
            if subnet not in state.acls:
                raise HopFailed(f"{hop}: subnet {subnet} has no network ACL association")
            problem = acl_problem(state.acls[subnet], egress, cidr, low, high)
            if problem:
                raise HopFailed(f"{hop}: {state.acl_ids[subnet]} (subnet {subnet}) {problem}")

    @staticmethod
    def _routes(state: RegionState, subnets: list[str], cidr: str, connection_id: str, hop: str) -> None:
        for subnet in subnets:
            table = state.route_tables.get(subnet)
            if table is None:
                raise HopFailed(f"{hop}: subnet {subnet} has no route table")
            route = next((r for r in table.get("Routes", []) if r.get("DestinationCidrBlock") == cidr), None)
            problem = route_problem(route, connection_id)
            if problem:
                raise HopFailed(f"{hop}: {table['RouteTableId']} (subnet {subnet}) to {cidr}: {problem}")
