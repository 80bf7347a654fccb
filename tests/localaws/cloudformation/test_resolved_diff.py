"""An update that rewrites a property to an intrinsic resolving to the same value changes nothing.

Adding a second secondary region turns the shared secondary template's literal values into
`Fn::FindInMap` lookups keyed by `AWS::Region` (payinfra/render/merge.py); removing it turns them
back. CloudFormation leaves such resources alone; moto alone replaced them (a new VPC id).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..support import Clients, deploy, emulated, physical_ids

LITERAL: dict[str, Any] = {
    "Resources": {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}},
        "Subnet": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.1.0.0/20"},
        },
    },
    "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
}


def mapped(subnet_cidr: str = "10.1.0.0/20") -> dict[str, Any]:
    """LITERAL with its values read from a region-keyed mapping (the merged template's shape)."""

    def lookup(key: str) -> dict[str, Any]:
        return {"Fn::FindInMap": ["SecondaryRegions", {"Ref": "AWS::Region"}, key]}

    return {
        "Mappings": {
            "SecondaryRegions": {
                "us-east-2": {"VpcCidr": "10.1.0.0/16", "SubnetCidr": subnet_cidr},
                "us-west-2": {"VpcCidr": "10.2.0.0/16", "SubnetCidr": "10.2.0.0/20"},
            }
        },
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": lookup("VpcCidr")}},
            "Subnet": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": lookup("SubnetCidr")},
            },
        },
        "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
    }


def update(client: Clients, template: dict[str, Any], name: str) -> list[str]:
    """UPDATE change set, as `sam deploy` sends it; returns the resources it lists, then executes."""
    cfn = client("cloudformation", "us-east-2")
    cfn.create_change_set(
        StackName="secondary", ChangeSetName=name, ChangeSetType="UPDATE", TemplateBody=json.dumps(template)
    )
    changes = cfn.describe_change_set(StackName="secondary", ChangeSetName=name)["Changes"]
    cfn.execute_change_set(StackName="secondary", ChangeSetName=name)
    return sorted(c["ResourceChange"]["LogicalResourceId"] for c in changes)


@pytest.mark.parametrize("skip", [frozenset(), frozenset({"resolved_diff"})], ids=["fixed", "moto alone"])
def test_a_literal_that_becomes_an_equal_mapping_keeps_the_resource(skip: frozenset[str]) -> None:
    with emulated(skip=skip) as client:
        deploy(client, "secondary", LITERAL, region="us-east-2")
        before = physical_ids(client, "secondary", "us-east-2")
        listed = update(client, mapped(), "grow")
        after = physical_ids(client, "secondary", "us-east-2")
        status = client("cloudformation", "us-east-2").describe_stacks(StackName="secondary")["Stacks"][0]
        if skip:  # moto replaced (or lost) the VPC for a change that resolves to nothing
            assert after.get("Vpc") != before["Vpc"]
            return
        assert listed == []
        assert after == before
        assert status["StackStatus"] == "UPDATE_COMPLETE"
        # And back: the mapping becomes the literal again when the region is removed.
        assert update(client, LITERAL, "shrink") == []
        assert physical_ids(client, "secondary", "us-east-2") == before


def parameter_template(values: dict[str, str]) -> dict[str, Any]:
    """An SSM parameter whose value comes from the region-keyed mapping (a type moto updates in place)."""
    return {
        "Mappings": {"SecondaryRegions": {region: {"Endpoint": value} for region, value in values.items()}},
        "Resources": {
            "Endpoint": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": "/payments/dev/endpoint",
                    "Type": "String",
                    "Value": {"Fn::FindInMap": ["SecondaryRegions", {"Ref": "AWS::Region"}, "Endpoint"]},
                },
            }
        },
    }


@pytest.mark.parametrize("skip", [frozenset(), frozenset({"resolved_diff"})], ids=["fixed", "moto alone"])
def test_a_value_changed_only_in_the_mapping_updates_the_resource(skip: frozenset[str]) -> None:
    """The resource's text is the same; its region's mapping value is not (a secondary's setting
    changed in the context): CloudFormation updates the resource, moto alone did not."""
    east, west = "https://api.us-east-2.example.com", "https://api.us-west-2.example.com"
    with emulated(skip=skip) as client:
        first = parameter_template({"us-east-2": east, "us-west-2": west})
        deploy(client, "secondary", first, region="us-east-2")
        changed = parameter_template({"us-east-2": east + "/v2", "us-west-2": west})
        listed = update(client, changed, "endpoint")
        value = client("ssm", "us-east-2").get_parameter(Name="/payments/dev/endpoint")["Parameter"]["Value"]
        if skip:
            assert (listed, value) == ([], east)
            return
        assert (listed, value) == (["Endpoint"], east + "/v2")
        # A change to another region's value only leaves this region's stack alone.
        other = parameter_template({"us-east-2": east + "/v2", "us-west-2": west + "/v2"})
        assert update(client, other, "other") == []
