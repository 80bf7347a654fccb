"""One template deployed to several regions, as the merged secondary and the peering templates are:
values from a mapping keyed by `AWS::Region`, and `Fn::GetStackOutput` reading a Ref'd region."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from ..support import deploy, emulated, outputs, vpc_template

# The shape render.py gives the secondary template when secondaries differ (payinfra/render/merge.py).
MAPPED: dict[str, Any] = {
    "Mappings": {
        "SecondaryRegions": {
            "us-east-2": {"VpcCidrBlock": "10.1.0.0/16", "Codes": ["BY", "KP"]},
            "us-west-2": {"VpcCidrBlock": "10.2.0.0/16", "Codes": ["KP"]},
        }
    },
    "Resources": {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {
                "CidrBlock": {"Fn::FindInMap": ["SecondaryRegions", {"Ref": "AWS::Region"}, "VpcCidrBlock"]}
            },
        }
    },
    "Outputs": {
        "VpcCidr": {"Value": {"Fn::FindInMap": ["SecondaryRegions", {"Ref": "AWS::Region"}, "VpcCidrBlock"]}},
        "Codes": {
            "Value": {
                "Fn::Join": [",", {"Fn::FindInMap": ["SecondaryRegions", {"Ref": "AWS::Region"}, "Codes"]}]
            }
        },
    },
}


def test_one_template_takes_each_regions_values_from_a_region_keyed_mapping() -> None:
    with emulated() as client:
        expected = (("us-east-2", "10.1.0.0/16", "BY,KP"), ("us-west-2", "10.2.0.0/16", "KP"))
        for region, cidr, codes in expected:
            stack = deploy(client, "secondary", MAPPED, region=region)
            assert outputs(stack) == {"VpcCidr": cidr, "Codes": codes}
            vpcs = client("ec2", region).describe_vpcs(Filters=[{"Name": "cidr", "Values": [cidr]}])["Vpcs"]
            assert len(vpcs) == 1


def test_a_region_missing_from_the_mapping_fails_the_deploy() -> None:
    with emulated() as client:
        assert deploy(client, "secondary", MAPPED, region="eu-west-1")["StackStatus"] == "ROLLBACK_COMPLETE"
        events = client("cloudformation", "eu-west-1").describe_stack_events(StackName="secondary")
        reasons = [e.get("ResourceStatusReason", "") for e in events["StackEvents"]]
        assert any("Vpc" in r and "eu-west-1" in r for r in reasons), reasons


# A peering stack reads the accepter's VPC in the region a parameter names
# (Region: !Ref AccepterRegion, as templates/peering.yaml.j2 does).
PEERING_LIKE: dict[str, Any] = {
    "Parameters": {
        "AccepterStackName": {"Type": "String"},
        "AccepterRegion": {"Type": "String", "Default": "us-east-2"},
    },
    "Resources": {
        "Copy": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": "/peer-vpc",
                "Type": "String",
                "Value": {
                    "Fn::GetStackOutput": {
                        "StackName": {"Ref": "AccepterStackName"},
                        "OutputName": "VpcId",
                        "Region": {"Ref": "AccepterRegion"},
                    }
                },
            },
        }
    },
}


@pytest.mark.parametrize("fixed", [True, False])
def test_get_stack_output_reads_the_region_a_parameter_names(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"get_stack_output"}) as client:
        deploy(client, "accepter", vpc_template("10.1.0.0/16"), region="us-east-2")
        west = outputs(deploy(client, "accepter", vpc_template("10.2.0.0/16"), region="us-west-2"))["VpcId"]
        try:
            deploy(
                client,
                "peering",
                PEERING_LIKE,
                parameters={"AccepterStackName": "accepter", "AccepterRegion": "us-west-2"},
            )
            value = client("ssm").get_parameter(Name="/peer-vpc")["Parameter"]["Value"]
        except ClientError:
            value = None  # moto cannot create a parameter from an unresolved intrinsic
        assert (value == west) is fixed
