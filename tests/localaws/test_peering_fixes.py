"""Peering options and Cloud Map zones on the local AWS: each scenario with and without its fix."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .support import Clients, create, emulated, physical_ids, vpc_template

ON_OFF = pytest.mark.parametrize("fixed", [True, False])
DNS = {"AllowDnsResolutionFromRemoteVpc": True}


def _skip(fixed: bool, name: str) -> set[str]:
    return set() if fixed else {name}


def _peering(client: Clients, accept: bool = True) -> str:
    v1 = client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    v2 = client("ec2", "us-east-2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx = client("ec2").create_vpc_peering_connection(VpcId=v1, PeerVpcId=v2, PeerRegion="us-east-2")[
        "VpcPeeringConnection"
    ]["VpcPeeringConnectionId"]
    if accept:
        client("ec2", "us-east-2").accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    return str(pcx)


def _refused(call: Any) -> str:
    """The error code of a refused call, or "" when it is accepted."""
    try:
        call()
    except ClientError as err:
        return str(err.response["Error"]["Code"])
    return ""


@ON_OFF
def test_options_only_on_an_active_peering(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "vpc_peering")) as client:
        pcx = _peering(client, accept=False)
        code = _refused(
            lambda: client("ec2").modify_vpc_peering_connection_options(
                VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=DNS
            )
        )
        assert code == ("OperationNotPermitted" if fixed else "")


@ON_OFF
def test_each_side_in_its_own_region(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "vpc_peering")) as client:
        pcx = _peering(client)
        wrong = [
            ("us-east-1", {"AccepterPeeringConnectionOptions": DNS}),
            ("us-east-2", {"RequesterPeeringConnectionOptions": DNS}),
            (
                "us-east-1",
                {"RequesterPeeringConnectionOptions": {"AllowEgressFromLocalClassicLinkToRemoteVpc": True}},
            ),
        ]
        for region, options in wrong:
            code = _refused(
                lambda r=region, o=options: client("ec2", r).modify_vpc_peering_connection_options(
                    VpcPeeringConnectionId=pcx, **o
                )
            )
            assert code == ("OperationNotPermitted" if fixed else ""), (region, options)
        # Positive control: each side in its own region is accepted, and both regions see it.
        client("ec2").modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=DNS
        )
        client("ec2", "us-east-2").modify_vpc_peering_connection_options(
            VpcPeeringConnectionId=pcx, AccepterPeeringConnectionOptions=DNS
        )
        described = client("ec2", "us-east-2").describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx])
        connection = described["VpcPeeringConnections"][0]
        assert connection["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
        assert connection["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True


def _namespace(client: Clients, region: str, name: str, vpc: str) -> str:
    sd = client("servicediscovery", region)
    sd.create_private_dns_namespace(Name=name, Vpc=vpc)
    namespace_id = next(n["Id"] for n in sd.list_namespaces()["Namespaces"] if n["Name"] == name)
    zone = sd.get_namespace(Id=namespace_id)["Namespace"]["Properties"]["DnsProperties"]["HostedZoneId"]
    return str(zone)


@ON_OFF
def test_namespace_zone_is_named_and_answers_its_vpc(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "servicediscovery")) as client:
        vpc = client("ec2", "us-east-2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        zone = client("route53").get_hosted_zone(Id=_namespace(client, "us-east-2", "a.internal", vpc))
        assert (zone["HostedZone"]["Name"] == "a.internal.") is fixed
        assert (zone["VPCs"] == [{"VPCId": vpc, "VPCRegion": "us-east-2"}]) is fixed


@ON_OFF
def test_a_vpc_cannot_join_two_zones_of_one_name(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "servicediscovery")) as client:
        v1 = client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        v2 = client("ec2", "us-east-2").create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        same = _namespace(client, "us-east-1", "same.internal", v1)
        _namespace(client, "us-east-2", "same.internal", v2)
        code = _refused(
            lambda: client("route53").associate_vpc_with_hosted_zone(
                HostedZoneId=same, VPC={"VPCId": v2, "VPCRegion": "us-east-2"}
            )
        )
        assert code == ("ConflictingDomainExists" if fixed else "")
        # Positive control: per-region names (as the templates use) associate across regions.
        own = _namespace(
            client,
            "us-east-1",
            "us-east-1.other.internal",
            client("ec2").create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"],
        )
        client("route53").associate_vpc_with_hosted_zone(
            HostedZoneId=own, VPC={"VPCId": v2, "VPCRegion": "us-east-2"}
        )
        vpcs = client("route53").get_hosted_zone(Id=own)["VPCs"]
        assert {"VPCId": v2, "VPCRegion": "us-east-2"} in vpcs
        # With its own VPC associated, the foreign one can be removed again before destroy.
        if fixed:
            client("route53").disassociate_vpc_from_hosted_zone(
                HostedZoneId=own, VPC={"VPCId": v2, "VPCRegion": "us-east-2"}
            )
            assert len(client("route53").get_hosted_zone(Id=own)["VPCs"]) == 1


@ON_OFF
def test_subnet_public_ip_on_launch_as_declared(fixed: bool) -> None:
    template = vpc_template(cidr="10.1.0.0/16")
    template["Resources"]["Subnet"]["Properties"].update(
        AvailabilityZone="us-east-2a", MapPublicIpOnLaunch=False
    )
    with emulated(skip=_skip(fixed, "ec2_network")) as client:
        ec2 = client("ec2", "us-east-2")
        for default in ec2.describe_subnets()["Subnets"]:  # accounts without a default VPC
            ec2.delete_subnet(SubnetId=default["SubnetId"])
        create(client, "net", template, region="us-east-2")
        subnet_id = physical_ids(client, "net", region="us-east-2")["Subnet"]
        subnet = client("ec2", "us-east-2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
        # moto made the first subnet of an AZ that AZ's default subnet, with public IPs on launch.
        assert subnet["MapPublicIpOnLaunch"] is not fixed
        assert subnet["DefaultForAz"] is not fixed
