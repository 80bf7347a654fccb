"""Give moto's CloudFormation models that cannot be deleted a `delete`, so stack deletion deletes.

moto 5.2.5 deletes a stack's resources through each model's `delete` (or
`delete_from_cloudformation_json`); these models have neither, and moto then drops them from
the stack silently while the resource stays: EIP, FlowLog, InternetGateway, NatGateway, Route,
RouteTable, VPCGatewayAttachment, ELBv2 Listener/ListenerRule/TargetGroup. The VPC then cannot
be deleted ("has dependencies") and the stack ends DELETE_FAILED with half its resources left.
Each `delete` here calls the backend's own delete operation; one that fails because of a
dependency is retried by moto's deletion loop after the dependent resources are gone.
"""

from __future__ import annotations

from typing import Any

from localaws._moto import (
    ElasticAddress,
    FakeListener,
    FakeListenerRule,
    FakeTargetGroup,
    FlowLogs,
    InternetGateway,
    NatGateway,
    Route,
    RouteTable,
    VPCGatewayAttachment,
    ec2_backends,
    elbv2_backends,
)
from localaws.patching import Patcher


def _ec2(account_id: str, region_name: str) -> Any:
    return ec2_backends[account_id][region_name]


def delete_address(self: ElasticAddress, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if any(a.public_ip == self.public_ip for a in backend.addresses):
        backend.release_address(
            allocation_id=self.allocation_id
        ) if self.allocation_id else backend.release_address(address=self.public_ip)


def delete_flow_log(self: FlowLogs, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if self.id in backend.flow_logs:
        backend.delete_flow_logs([self.id])


def delete_internet_gateway(self: InternetGateway, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if self.id in backend.internet_gateways:
        backend.delete_internet_gateway(self.id)


def delete_nat_gateway(self: NatGateway, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if self.id in backend.nat_gateways and self.state != "deleted":
        backend.delete_nat_gateway(self.id)
        # AWS also removes the gateway's network interface (so the subnet and the EIP can go).
        for address in backend.addresses:
            if address.eni is self._eni:
                backend.disassociate_address(address=address.public_ip)
        if self._eni.id in backend.enis:
            backend.delete_network_interface(self._eni.id)


def delete_route(self: Route, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    table = backend.route_tables.get(self.route_table.id)
    if table is not None and self.id in table._routes:
        backend.delete_route(
            self.route_table.id, self.destination_cidr_block, self.destination_ipv6_cidr_block
        )


def delete_route_table(self: RouteTable, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    if self.id in backend.route_tables:
        backend.delete_route_table(self.id)


def delete_gateway_attachment(self: VPCGatewayAttachment, account_id: str, region_name: str) -> None:
    backend = _ec2(account_id, region_name)
    gateway = backend.internet_gateways.get(self.gateway_id)
    if gateway is not None and gateway.vpc is not None:
        backend.detach_internet_gateway(self.gateway_id, self.vpc_id)


def delete_listener(self: FakeListener, account_id: str, region_name: str) -> None:
    backend = elbv2_backends[account_id][region_name]
    if any(self.arn in lb.listeners for lb in backend.load_balancers.values()):
        backend.delete_listener(self.arn)


def delete_rule(self: FakeListenerRule, account_id: str, region_name: str) -> None:
    backend = elbv2_backends[account_id][region_name]
    if any(
        self.arn in li._non_default_rules
        for lb in backend.load_balancers.values()
        for li in lb.listeners.values()
    ):
        backend.delete_rule(self.arn)


def delete_target_group(self: FakeTargetGroup, account_id: str, region_name: str) -> None:
    backend = elbv2_backends[account_id][region_name]
    if self.arn in backend.target_groups:
        backend.delete_target_group(self.arn)


def apply(patcher: Patcher) -> None:
    for cls, delete in (
        (ElasticAddress, delete_address),
        (FlowLogs, delete_flow_log),
        (InternetGateway, delete_internet_gateway),
        (NatGateway, delete_nat_gateway),
        (Route, delete_route),
        (RouteTable, delete_route_table),
        (VPCGatewayAttachment, delete_gateway_attachment),
        (FakeListener, delete_listener),
        (FakeListenerRule, delete_rule),
        (FakeTargetGroup, delete_target_group),
    ):
        patcher.replace(cls, "delete", delete)
