"""EC2's describe-checkers, against the emulator."""

from __future__ import annotations

from localaws.services.ec2.checkers import internet_gateway

from ...support import emulated


def test_internet_gateway_checker_says_detached_when_it_is() -> None:
    """The describe line names the attached VPC, or says "detached" (it used to never say so)."""
    with emulated() as clients:
        ec2 = clients("ec2")
        gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        assert internet_gateway(clients, gateway) == "detached"
        ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
        assert internet_gateway(clients, gateway) == f"attached to {vpc}"
