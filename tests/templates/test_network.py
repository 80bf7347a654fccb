"""Network: the peering flows as data, and the security group rules and ACLs they render to."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

import pytest

from payinfra.config import Context, load_context
from payinfra.model.peering import (
    DATABASE,
    DB_PORT,
    EPHEMERAL,
    FUNCTION,
    SERVICE,
    declare_flows,
    dns_resolution_sides,
    zone_associations,
)
from payinfra.paths import ROOT

from .conftest import Template, secondary_of


def _resources(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


def _group(props: dict[str, Any]) -> str:
    """The security group a rule belongs to (`!GetAtt X.GroupId` loads as `["X", "GroupId"]`)."""
    return str(props["GroupId"]["Fn::GetAtt"][0])


def _labels(ctx: Context) -> set[str]:
    return {f.label for f in declare_flows(ctx)}


# -- flows as data ------------------------------------------------------------------------------
def test_replica_mode_flows(context: Context) -> None:
    assert context.project.database_mode == "replica"
    port = secondary_of(context).ecs.container_port
    assert _labels(context) == {
        f"us-east-2 ECS service -> us-east-1 database writer tcp/{DB_PORT}",
        f"us-east-2 payment function -> us-east-1 database writer tcp/{DB_PORT}",
        f"us-east-1 ECS service -> us-east-2 ECS service tcp/{port}",
        f"us-east-2 ECS service -> us-east-1 ECS service tcp/{context.primary.ecs.container_port}",
    }
    writers = [f for f in declare_flows(context) if f.destination.component == DATABASE]
    assert {(f.source.role, f.source.component) for f in writers} == {
        ("secondary", SERVICE),
        ("secondary", FUNCTION),
    }
    assert all(f.destination.region == context.project.primary_region for f in writers)


def test_independent_mode_has_no_database_flow(render_with: Callable[..., Any], context: Context) -> None:
    from payinfra.config.loader import DEFAULT_PATH, _apply_override, _read_toml, build_context

    raw = _read_toml(DEFAULT_PATH)
    _apply_override(raw, "project.database_mode=independent")
    flows = declare_flows(build_context(raw))
    assert {f.destination.component for f in flows} == {SERVICE}
    assert dns_resolution_sides(flows) == []
    primary = render_with("project.database_mode=independent")["template.primary.yaml"]
    assert not any(
        _group(r) == "DatabaseSecurityGroup"
        for r in _resources(primary, "AWS::EC2::SecurityGroupIngress").values()
        if r.get("CidrIp") == secondary_of(context).vpc_cidr
    )
    assert not [e for e in _acl(primary, "isolated") if e["CidrBlock"] == secondary_of(context).vpc_cidr]


def test_names_each_flow_needs(context: Context) -> None:
    flows = declare_flows(context)
    # The RDS endpoint is a primary-VPC hostname: the requester side's DNS option.
    assert dns_resolution_sides(flows) == ["us-east-1"]
    # Each region's Cloud Map zone is associated with the other region's VPC.
    assert zone_associations(flows) == [("us-east-1", "us-east-2"), ("us-east-2", "us-east-1")]


@pytest.mark.parametrize(
    ("peering", "associations"),
    [
        ("hub-and-spoke", [("us-east-1", "us-east-2"), ("us-east-1", "us-west-2"),
                           ("us-east-2", "us-east-1"), ("us-west-2", "us-east-1")]),
        ("mesh", [("us-east-1", "us-east-2"), ("us-east-1", "us-west-2"), ("us-east-2", "us-east-1"),
                  ("us-east-2", "us-west-2"), ("us-west-2", "us-east-1"), ("us-west-2", "us-east-2")]),
    ],
)
def test_names_by_region_with_three_regions(peering: str, associations: list[tuple[str, str]]) -> None:
    """Regions, not roles: two secondaries share a role but each has its own side and zone."""
    ctx = load_context(ROOT / "examples" / "three-regions.toml", overrides=[f'project.peering="{peering}"'])
    flows = declare_flows(ctx)
    assert dns_resolution_sides(flows) == ["us-east-1"]  # only the primary's database is reached
    assert zone_associations(flows) == associations


# -- security groups ----------------------------------------------------------------------------
def _peer_rules(template: Template, peer_cidr: str) -> set[tuple[str, str, int, int]]:
    rules = set()
    for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        for props in _resources(template, kind).values():
            if props.get("CidrIp") == peer_cidr:
                group = _group(props)
                rules.add((group, kind.rsplit("::", 1)[-1][13:], props["FromPort"], props["ToPort"]))
    for group in _resources(template, "AWS::EC2::SecurityGroup").values():
        for direction in ("SecurityGroupIngress", "SecurityGroupEgress"):
            assert all(r.get("CidrIp") != peer_cidr for r in group.get(direction, [])), "inline peer rule"
    return rules


def test_security_groups_admit_exactly_the_flow_ports(
    primary: Template, secondary: Template, context: Context
) -> None:
    p_cidr, s_cidr = context.primary.vpc_cidr, secondary_of(context).vpc_cidr
    p_port, s_port = context.primary.ecs.container_port, secondary_of(context).ecs.container_port
    assert _peer_rules(primary, s_cidr) == {
        ("DatabaseSecurityGroup", "Ingress", DB_PORT, DB_PORT),
        ("ServiceSecurityGroup", "Ingress", p_port, p_port),
        ("ServiceSecurityGroup", "Egress", s_port, s_port),
    }
    assert _peer_rules(secondary, p_cidr) == {
        ("ServiceSecurityGroup", "Egress", DB_PORT, DB_PORT),
        ("FunctionSecurityGroup", "Egress", DB_PORT, DB_PORT),
        ("ServiceSecurityGroup", "Ingress", s_port, s_port),
        ("ServiceSecurityGroup", "Egress", p_port, p_port),
    }


def test_security_group_outputs_for_verify(regional: Template) -> None:
    for group in ("ServiceSecurityGroup", "FunctionSecurityGroup", "DatabaseSecurityGroup"):
        assert regional["Outputs"][f"{group}Id"]["Value"] == {"Fn::GetAtt": [group, "GroupId"]}


# -- network ACLs -------------------------------------------------------------------------------
def _acl(template: Template, tier: str) -> list[dict[str, Any]]:
    acl = f"{tier.capitalize()}NetworkAcl"
    return [
        p
        for p in _resources(template, "AWS::EC2::NetworkAclEntry").values()
        if p["NetworkAclId"] == {"Ref": acl}
    ]


def _admits(entries: list[dict[str, Any]], egress: bool, cidr: str, low: int, high: int) -> bool:
    """Every port low..high from/to every address of `cidr` allowed by the first matching rule."""
    net = ipaddress.ip_network(cidr)
    # A CIDR mapped per secondary (`Fn::FindInMap`, the shared template) is the region's own VPC's.
    ordered = sorted(
        (e for e in entries if (e["Egress"] is True) == egress and isinstance(e["CidrBlock"], str)),
        key=lambda e: e["RuleNumber"],
    )
    for port in range(low, high + 1, max(1, (high - low) // 50)):
        for e in ordered:
            if (
                e["Protocol"] in (6, "6", -1, "-1")
                and net.subnet_of(ipaddress.ip_network(e["CidrBlock"]))
                and (e["PortRange"]["From"] <= port <= e["PortRange"]["To"])
            ):
                if e["RuleAction"] != "allow":
                    return False
                break
        else:
            return False
    return True


def _assert_flows_admitted(templates: dict[str, Template], ctx: Context) -> None:
    """Every declared flow and its return traffic pass both ends' network ACLs."""
    cidrs = {name: region.vpc_cidr for name, region in ctx.regions.items()}
    for flow in declare_flows(ctx):
        src, dst = flow.source, flow.destination
        src_acl = _acl(templates[src.role], src.component.tier)
        dst_acl = _acl(templates[dst.role], dst.component.tier)
        assert _admits(src_acl, True, cidrs[dst.region], flow.port, flow.port), flow.label
        assert _admits(dst_acl, False, cidrs[src.region], flow.port, flow.port), flow.label
        assert _admits(dst_acl, True, cidrs[src.region], *EPHEMERAL), flow.label
        assert _admits(src_acl, False, cidrs[dst.region], *EPHEMERAL), flow.label


def test_acls_admit_each_flow_and_its_return_traffic(
    primary: Template, secondary: Template, context: Context
) -> None:
    _assert_flows_admitted({"primary": primary, "secondary": secondary}, context)


@pytest.mark.parametrize(
    ("role", "tier", "egress", "ranges"),
    [
        # The primary database only listens on 5432 from the peer and answers to ephemeral ports.
        ("primary", "isolated", False, {(DB_PORT, DB_PORT)}),
        ("primary", "isolated", True, {EPHEMERAL}),
        # The secondary database receives nothing over the peering.
        ("secondary", "isolated", False, set()),
        ("secondary", "isolated", True, set()),
        ("primary", "public", False, set()),
        ("secondary", "public", True, set()),
    ],
)
def test_acls_open_nothing_else_to_the_peer(
    primary: Template, secondary: Template, context: Context, role: str, tier: str, egress: bool, ranges: set
) -> None:
    template = primary if role == "primary" else secondary
    peer = secondary_of(context).vpc_cidr if role == "primary" else context.primary.vpc_cidr
    found = {
        (e["PortRange"]["From"], e["PortRange"]["To"])
        for e in _acl(template, tier)
        if e["CidrBlock"] == peer and (e["Egress"] is True) == egress
    }
    assert found == ranges


def test_private_acl_no_longer_opens_every_port_to_the_peer(regional: Template, context: Context) -> None:
    cidrs = {context.primary.vpc_cidr, secondary_of(context).vpc_cidr}
    own = regional["Resources"]["Vpc"]["Properties"]["CidrBlock"]
    (peer,) = cidrs - {own}
    assert not any(
        e["CidrBlock"] == peer and e["PortRange"]["From"] < EPHEMERAL[0] for e in _acl(regional, "private")
    )


def test_namespace_names_differ_per_region(regional: Template) -> None:
    name = regional["Resources"]["Namespace"]["Properties"]["Name"]["Fn::Sub"]
    assert "${AWS::Region}" in name


def test_flow_log_role_has_the_delivery_permissions_the_vpc_guide_lists(primary: Template) -> None:
    """https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html (the group is the stack's)."""
    (policy,) = primary["Resources"]["FlowLogRole"]["Properties"]["Policies"]
    statements = policy["PolicyDocument"]["Statement"]
    granted = set()
    for statement in statements:
        action = statement["Action"]
        granted |= set(action if isinstance(action, list) else [action])
    assert granted == {
        "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups"
    }


def test_three_region_acls_and_rules_admit_every_flow_of_every_pair(
    three_rendered: dict[str, Template],
) -> None:
    """The primary opens to both secondaries' CIDRs, each under its own logical IDs and numbers;
    the one secondary template (hub and spoke: every spoke alike) opens to the primary."""
    ctx = load_context(ROOT / "examples" / "three-regions.toml")
    templates = {"primary": three_rendered["template.primary.yaml"],
                 "secondary": three_rendered["template.secondary.yaml"]}
    _assert_flows_admitted(templates, ctx)
    primary = templates["primary"]
    for tier in ("private", "isolated"):
        numbers = [(e["Egress"], e["RuleNumber"]) for e in _acl(primary, tier)]
        assert len(numbers) == len(set(numbers)), tier
    assert {"DatabaseFromUsEast2Tcp5432", "DatabaseFromUsWest2Tcp5432"} <= primary["Resources"].keys()
    east, west = ctx.regions["us-east-2"].vpc_cidr, ctx.regions["us-west-2"].vpc_cidr
    assert _peer_rules(primary, east) == _peer_rules(primary, west)
