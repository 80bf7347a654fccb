"""peering-dns and peering-flows: names across the peering, and every declared flow's whole path.

The moto world of conftest gets what the regional templates declare for the flows: the private
and isolated subnets on their route tables, the ACL tables and peer security group rules
computed by `payinfra.model.peering` (the same data the templates render), the three
security groups and a Cloud Map namespace per region.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from payinfra.model.network import network, plan_subnets
from payinfra.model.peering import DB_PORT, declare_flows, peer_rule_numbers
from payinfra.model.site import site
from payinfra.plugins.api import Check, EventKind, Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.peering_accepter import PeeringAccepterPlugin
from payinfra.plugins.peering_dns import PeeringDnsPlugin, namespace_zone, zone_vpcs
from payinfra.plugins.peering_paths import PeeringFlowsPlugin, acl_problem, security_group_admits
from tests.plugins.conftest import World

# The first ACL rule number of each peer's block (a region's entries for that peer start there).
FROM_PRIMARY, FROM_SECONDARY = peer_rule_numbers("us-east-1")[0], peer_rule_numbers("us-east-2")[0]
GROUPS = ("ServiceSecurityGroup", "FunctionSecurityGroup", "DatabaseSecurityGroup")


def _build_network(world: World) -> None:
    """Add the flows' subnets, ACLs, security groups and namespaces to the world and its outputs."""
    config = world.config
    for region in config.project.region_names:
        out = world.outputs[region]
        ec2 = world.client("ec2", region)
        plan = network(site(config, region), declare_flows(config))
        acls = {table.tier: table.entries for table in plan.acl_tables}
        tables = out["PrivateRouteTableIds"].split(",")
        subnets: dict[str, list[str]] = {"private": [], "isolated": []}
        for s in plan_subnets(out["VpcCidr"], config.regions[region].az_count):
            if s.tier not in subnets:
                continue
            subnet = ec2.create_subnet(VpcId=out["VpcId"], CidrBlock=s.cidr)["Subnet"]["SubnetId"]
            subnets[s.tier].append(subnet)
            table = tables[s.az_index] if s.tier == "private" else tables[-1]
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        for tier, ids in subnets.items():
            acl = ec2.create_network_acl(VpcId=out["VpcId"])["NetworkAcl"]["NetworkAclId"]
            for e in acls[tier]:
                ec2.create_network_acl_entry(
                    NetworkAclId=acl,
                    RuleNumber=e.number,
                    Protocol=str(e.protocol),
                    RuleAction=e.action,
                    Egress=e.egress,
                    CidrBlock=e.cidr,
                    PortRange={"From": e.low, "To": e.high},
                )
            described = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": ids}])
            for association in described["NetworkAcls"][0]["Associations"]:
                if association["SubnetId"] in ids:
                    ec2.replace_network_acl_association(
                        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
                    )
            out[f"{tier.capitalize()}SubnetIds"] = ",".join(ids)
        for group in GROUPS:
            group_id = ec2.create_security_group(GroupName=group, Description=group, VpcId=out["VpcId"])[
                "GroupId"
            ]
            # As the template: explicit egress replaces the allow-all default.
            ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            out[f"{group}Id"] = group_id
        for rule in plan.security_group_rules:
            authorize = (
                ec2.authorize_security_group_egress if rule.egress else ec2.authorize_security_group_ingress
            )
            authorize(
                GroupId=out[f"{rule.group}Id"],
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": rule.port,
                        "ToPort": rule.port,
                        "IpRanges": [{"CidrIp": rule.cidr}],
                    }
                ],
            )
        sd = world.client("servicediscovery", region)
        sd.create_private_dns_namespace(
            Name=config.names.concrete("namespace", region=region), Vpc=out["VpcId"]
        )
        out["NamespaceId"] = next(
            n["Id"]
            for n in sd.list_namespaces()["Namespaces"]
            if n["Name"] == config.names.concrete("namespace", region=region)
        )
        # AWS creates the namespace's zone associated with the namespace's VPC (moto leaves it empty).
        zone = world.client("servicediscovery", region).get_namespace(Id=out["NamespaceId"])["Namespace"]
        world.client("route53", region).associate_vpc_with_hosted_zone(
            HostedZoneId=zone["Properties"]["DnsProperties"]["HostedZoneId"],
            VPC={"VPCId": out["VpcId"], "VPCRegion": region},
        )


@pytest.fixture
def wired(world: World) -> World:
    """The world after deploy: network as declared, peering accepted and routed, names wired."""
    _build_network(world)
    PeeringAccepterPlugin(routes_in_stack=False).after_deploy(
        world.context(), world.reporter.for_plugin("acc")
    )
    PeeringDnsPlugin().after_deploy(world.context(), world.reporter.for_plugin("dns"))
    world.reset_log()
    return world


def _checks(world: World) -> dict[str, Check]:
    return {c.promise: c for c in PeeringFlowsPlugin().verify(world.context())}


def _promise(world: World, source: str, destination: str) -> str:
    flow = next(
        f
        for f in declare_flows(world.config)
        if f.source.component.name == source
        and f.destination.component.name == destination
        and (destination != "ECS service" or f.source.region == "us-east-2")
    )
    return f"peering flow {flow.label}"


# -- peering-dns --------------------------------------------------------------------------------
def test_dns_option_set_on_the_requester_side_in_its_region(world: World) -> None:
    _build_network(world)
    PeeringAccepterPlugin(routes_in_stack=False).after_deploy(
        world.context(), world.reporter.for_plugin("acc")
    )
    world.reset_log()
    PeeringDnsPlugin().after_deploy(world.context(), world.reporter.for_plugin("dns"))
    writes = world.log.writes()
    primary = world.config.project.primary_region
    assert (primary, "ec2", "ModifyVpcPeeringConnectionOptions") in writes
    assert [w for w in writes if w[2] == "AssociateVPCWithHostedZone"] == [
        (primary, "route53", "AssociateVPCWithHostedZone")
    ] * 2
    pcx = world.outputs["peering-us-east-2"]["PeeringConnectionId"]
    described = world.client("ec2", primary).describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])
    options = described["VpcPeeringConnections"][0]
    assert options["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert options["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False
    for zone_region, vpc_region in (("us-east-1", "us-east-2"), ("us-east-2", "us-east-1")):
        pc = world.context()
        zone = namespace_zone(pc, zone_region, world.outputs[zone_region]["NamespaceId"])
        assert (world.outputs[vpc_region]["VpcId"], vpc_region) in zone_vpcs(pc, zone)


def test_dns_second_run_changes_nothing(wired: World) -> None:
    PeeringDnsPlugin().after_deploy(wired.context(), wired.reporter.for_plugin("dns"))
    assert wired.log.writes() == []
    assert {e.kind for e in wired.reporter.events} == {EventKind.NO_CHANGE}


def test_dns_refuses_a_connection_not_yet_active(world: World) -> None:
    _build_network(world)
    with pytest.raises(PluginError, match=r"pending-acceptance.*only on an active connection"):
        PeeringDnsPlugin().after_deploy(world.context(), world.reporter.for_plugin("dns"))


def test_before_destroy_removes_the_foreign_associations_once(wired: World) -> None:
    PeeringDnsPlugin().before_destroy(wired.context(), wired.reporter.for_plugin("dns"))
    assert [op for _, _, op in wired.log.writes()] == ["DisassociateVPCFromHostedZone"] * 2
    pc = wired.context()
    zone = namespace_zone(pc, "us-east-1", wired.outputs["us-east-1"]["NamespaceId"])
    assert (wired.outputs["us-east-2"]["VpcId"], "us-east-2") not in zone_vpcs(pc, zone)
    broken = _checks(wired)[_promise(wired, "ECS service", "ECS service")]
    assert broken.status == Status.BROKEN and "not associated with the source VPC" in broken.reason
    wired.reset_log()
    PeeringDnsPlugin().before_destroy(wired.context(), wired.reporter.for_plugin("dns"))
    assert wired.log.writes() == []


# -- peering-flows verify -----------------------------------------------------------------------
def test_every_declared_flow_holds_after_deploy(wired: World) -> None:
    checks = _checks(wired)
    assert set(checks) == {f"peering flow {f.label}" for f in declare_flows(wired.config)}
    assert {c.status for c in checks.values()} == {Status.HOLDS}, [c.reason for c in checks.values()]
    assert wired.log.writes() == []


def _secondary_ec2(world: World) -> Any:
    return world.client("ec2", world.config.project.secondary_regions[0])


def _primary_ec2(world: World) -> Any:
    return world.client("ec2", world.config.project.primary_region)


def _acl_of(ec2: Any, subnet: str) -> str:
    found = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
    return str(found["NetworkAcls"][0]["NetworkAclId"])


def _first(world: World, role: str, output: str) -> str:
    return world.outputs[role][output].split(",")[0]


def _dns_off(w: World) -> None:
    _primary_ec2(w).modify_vpc_peering_connection_options(
        VpcPeeringConnectionId=w.outputs["peering-us-east-2"]["PeeringConnectionId"],
        RequesterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": False},
    )


def _revoke_source_egress(w: World) -> None:
    _secondary_ec2(w).revoke_security_group_egress(
        GroupId=w.outputs["us-east-2"]["ServiceSecurityGroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": DB_PORT,
                "ToPort": DB_PORT,
                "IpRanges": [{"CidrIp": w.outputs["us-east-1"]["VpcCidr"]}],
            }
        ],
    )


def _drop_source_acl_egress(w: World) -> None:
    ec2 = _secondary_ec2(w)
    ec2.delete_network_acl_entry(
        NetworkAclId=_acl_of(ec2, _first(w, "us-east-2", "PrivateSubnetIds")),
        RuleNumber=FROM_PRIMARY,
        Egress=True,
    )


def _drop_source_route(w: World) -> None:
    table = w.outputs["us-east-2"]["PrivateRouteTableIds"].split(",")[0]
    _secondary_ec2(w).delete_route(RouteTableId=table, DestinationCidrBlock=w.outputs["us-east-1"]["VpcCidr"])


def _deny_destination_acl_ingress(w: World) -> None:
    ec2 = _primary_ec2(w)
    ec2.replace_network_acl_entry(
        NetworkAclId=_acl_of(ec2, _first(w, "us-east-1", "IsolatedSubnetIds")),
        RuleNumber=FROM_SECONDARY,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock=w.outputs["us-east-2"]["VpcCidr"],
        PortRange={"From": DB_PORT, "To": DB_PORT},
    )


def _revoke_destination_ingress(w: World) -> None:
    _primary_ec2(w).revoke_security_group_ingress(
        GroupId=w.outputs["us-east-1"]["DatabaseSecurityGroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": DB_PORT,
                "ToPort": DB_PORT,
                "IpRanges": [{"CidrIp": w.outputs["us-east-2"]["VpcCidr"]}],
            }
        ],
    )


def _drop_return_acl_egress(w: World) -> None:
    ec2 = _primary_ec2(w)
    ec2.delete_network_acl_entry(
        NetworkAclId=_acl_of(ec2, _first(w, "us-east-1", "IsolatedSubnetIds")),
        RuleNumber=FROM_SECONDARY,
        Egress=True,
    )


def _drop_return_route(w: World) -> None:
    table = w.outputs["us-east-1"]["PrivateRouteTableIds"].split(",")[-1]  # the isolated table
    _primary_ec2(w).delete_route(RouteTableId=table, DestinationCidrBlock=w.outputs["us-east-2"]["VpcCidr"])


def _narrow_return_acl_ingress(w: World) -> None:
    ec2 = _secondary_ec2(w)
    ec2.replace_network_acl_entry(
        NetworkAclId=_acl_of(ec2, _first(w, "us-east-2", "PrivateSubnetIds")),
        RuleNumber=FROM_PRIMARY,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock=w.outputs["us-east-1"]["VpcCidr"],
        PortRange={"From": 32768, "To": 65535},
    )


BROKEN_HOPS: list[tuple[str, Callable[[World], None], str]] = [
    ("dns-option", _dns_off, "name:"),
    ("source-sg-egress", _revoke_source_egress, "source security group"),
    ("source-acl-egress", _drop_source_acl_egress, "source subnet ACL egress"),
    ("source-route", _drop_source_route, "source route"),
    ("destination-acl-ingress", _deny_destination_acl_ingress, "destination subnet ACL ingress: "),
    ("destination-sg-ingress", _revoke_destination_ingress, "destination security group"),
    ("return-acl-egress", _drop_return_acl_egress, "return: destination subnet ACL egress"),
    ("return-route", _drop_return_route, "return route"),
    ("return-acl-ingress", _narrow_return_acl_ingress, "return: source subnet ACL ingress"),
]


@pytest.mark.parametrize(("hop", "break_it", "named"), BROKEN_HOPS, ids=[h[0] for h in BROKEN_HOPS])
def test_each_broken_hop_is_named(
    wired: World, hop: str, break_it: Callable[[World], None], named: str
) -> None:
    promise = _promise(wired, "ECS service", "database writer")
    assert _checks(wired)[promise].status == Status.HOLDS
    break_it(wired)
    check = _checks(wired)[promise]
    assert check.status == Status.BROKEN
    assert check.reason.startswith(named), check.reason


def test_service_flow_needs_the_peer_zone(wired: World) -> None:
    pc = wired.context()
    zone = namespace_zone(pc, "us-east-1", wired.outputs["us-east-1"]["NamespaceId"])
    wired.client("route53", pc.primary_region).disassociate_vpc_from_hosted_zone(
        HostedZoneId=zone,
        VPC={"VPCId": wired.outputs["us-east-2"]["VpcId"], "VPCRegion": "us-east-2"},
    )
    checks = _checks(wired)
    broken = [c for c in checks.values() if c.status == Status.BROKEN]
    assert [c.promise for c in broken] == [_promise(wired, "ECS service", "ECS service")]
    assert zone in broken[0].reason


# -- evaluation rules ---------------------------------------------------------------------------
def _entry(number: int, cidr: str, low: int, high: int, action: str = "allow", egress: bool = False) -> dict:
    return {
        "RuleNumber": number,
        "Protocol": "6",
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": cidr,
        "PortRange": {"From": low, "To": high},
    }


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([_entry(100, "10.1.0.0/16", 5432, 5432)], ""),
        ([_entry(100, "0.0.0.0/0", 0, 65535)], ""),
        # The first matching rule decides: an earlier deny wins over a later allow.
        (
            [_entry(90, "10.1.0.0/16", 5432, 5432, "deny"), _entry(100, "10.1.0.0/16", 5432, 5432)],
            "rule 90 denies",
        ),
        # An allow for only part of the peer range does not admit the peer.
        ([_entry(100, "10.1.0.0/24", 5432, 5432)], "no rule admits"),
        ([_entry(100, "10.1.0.0/16", 5433, 6000)], "no rule admits"),
        ([_entry(100, "10.1.0.0/16", 5432, 5432, egress=True)], "no rule admits"),
        ([], "default deny"),
    ],
)
def test_acl_evaluation(entries: list[dict], problem: str) -> None:
    found = acl_problem(entries, False, "10.1.0.0/16", DB_PORT, DB_PORT)
    assert (found == "") if not problem else (problem in found)


def test_acl_ranges_must_be_fully_covered() -> None:
    split = [_entry(100, "10.1.0.0/16", 1024, 3388), _entry(101, "10.1.0.0/16", 3390, 65535)]
    assert "tcp/3389-3389" in acl_problem(split, False, "10.1.0.0/16", 1024, 65535)
    assert (
        acl_problem([*split, _entry(102, "10.1.0.0/16", 3389, 3389)], False, "10.1.0.0/16", 1024, 65535) == ""
    )


def test_security_group_evaluation() -> None:
    rule = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
    assert security_group_admits([rule], "10.1.0.0/16", 5432)
    assert not security_group_admits([rule], "10.1.0.0/16", 8080)
    assert not security_group_admits([rule], "192.168.0.0/16", 5432)
    assert security_group_admits(
        [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "10.1.0.0/16", 1
    )
    assert not security_group_admits(
        [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": "sg-1"}]}],
        "10.1.0.0/16",
        5432,
    )


def test_registered_after_the_peering_accepter() -> None:
    from payinfra.plugins.registry import default_plugins

    kinds = [type(p) for p in default_plugins()]
    accepter = kinds.index(PeeringAccepterPlugin)
    assert accepter < kinds.index(PeeringDnsPlugin) < kinds.index(PeeringFlowsPlugin)
