"""One template deployed to several regions, as the merged secondary and the peering templates are:
values from a mapping keyed by `AWS::Region` (a region the mapping lacks is refused when the stack
or change set is requested, as CloudFormation does), and `Fn::GetStackOutput` reading a Ref'd region."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws._moto import ValidationError
from localaws.cloudformation import find_in_map
from localaws.cloudformation.template_hook import parse_template

from ..support import Clients, create, deploy, emulated, outputs, vpc_template

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


def _refusal(call: Callable[[], object]) -> dict[str, str] | None:
    """The error of a refused request, None if it went through."""
    try:
        call()
    except ClientError as exc:
        return exc.response["Error"]  # type: ignore[return-value]
    return None


def _unable(path: str) -> dict[str, str]:
    return {
        "Type": "Sender",
        "Code": "ValidationError",
        "Message": f"Template error: Unable to get mapping for {path}",
    }


@pytest.mark.parametrize("fixed", [True, False])
def test_a_region_missing_from_the_mapping_refuses_the_change_set_and_creates_nothing(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"find_in_map"}) as client:
        error = _refusal(lambda: deploy(client, "secondary", MAPPED, region="eu-west-1"))
        stacks = client("cloudformation", "eu-west-1").list_stacks()["StackSummaries"]
        vpcs = client("ec2", "eu-west-1").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["false"]}])
        if fixed:
            assert error == _unable("SecondaryRegions::eu-west-1::VpcCidrBlock")
            assert (stacks, vpcs["Vpcs"]) == ([], [])
        else:  # moto creates the stack, then fails the VPC on a KeyError and rolls back
            assert error is None
            assert [s["StackStatus"] for s in stacks] == ["ROLLBACK_COMPLETE"]


def _with_key(second_level_key: str) -> dict[str, Any]:
    """MAPPED whose VPC reads `second_level_key` of the region's row."""
    template: dict[str, Any] = json.loads(json.dumps(MAPPED))
    template["Resources"]["Vpc"]["Properties"]["CidrBlock"]["Fn::FindInMap"][2] = second_level_key
    return template


def test_create_stack_update_stack_and_an_update_change_set_are_refused_too() -> None:
    with emulated() as client:
        cfn = client("cloudformation", "us-east-2")
        assert create(client, "direct", MAPPED, region="us-east-2")["StackStatus"] == "CREATE_COMPLETE"
        missing = json.dumps(_with_key("CidrBlock"))
        assert _refusal(lambda: cfn.create_stack(StackName="other", TemplateBody=missing)) == _unable(
            "SecondaryRegions::us-east-2::CidrBlock"
        )
        assert _refusal(lambda: cfn.update_stack(StackName="direct", TemplateBody=missing)) == _unable(
            "SecondaryRegions::us-east-2::CidrBlock"
        )
        update = lambda: cfn.create_change_set(  # noqa: E731
            StackName="direct", ChangeSetName="u1", ChangeSetType="UPDATE", TemplateBody=missing
        )
        assert _refusal(update) == _unable("SecondaryRegions::us-east-2::CidrBlock")
        stack = cfn.describe_stacks(StackName="direct")["Stacks"][0]
        assert (stack["StackStatus"], outputs(stack)["VpcCidr"]) == ("CREATE_COMPLETE", "10.1.0.0/16")
        assert [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]] == ["direct"]


# Keys from a parameter (its default or the request's value), a nested lookup, a pseudo parameter.
BY_ENVIRONMENT: dict[str, Any] = {
    "Parameters": {"Environment": {"Type": "String", "Default": "dev"}},
    "Mappings": {
        "Environments": {"dev": {"Tier": "small"}, "prod": {"Tier": "large"}},
        "Tiers": {"small": {"Size": "1"}, "large": {"Size": "4"}},
        "Accounts": {"123456789012": {"Alias": "test"}},
    },
    "Resources": {
        "Size": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Type": "String",
                "Value": {
                    "Fn::FindInMap": [
                        "Tiers",
                        {"Fn::FindInMap": ["Environments", {"Ref": "Environment"}, "Tier"]},
                        "Size",
                    ]
                },
            },
        }
    },
    "Outputs": {"Alias": {"Value": {"Fn::FindInMap": ["Accounts", {"Ref": "AWS::AccountId"}, "Alias"]}}},
}


@pytest.mark.parametrize(
    ("environment", "refused"),
    [(None, None), ("prod", None), ("test", "Environments::test::Tier")],
)
def test_keys_come_from_parameters_nested_lookups_and_pseudo_parameters(
    environment: str | None, refused: str | None
) -> None:
    with emulated() as client:
        parameters = {"Environment": environment} if environment else None
        error = _refusal(lambda: deploy(client, "sized", BY_ENVIRONMENT, parameters=parameters))
        assert error == (_unable(refused) if refused else None)


def test_a_missing_map_name_is_refused() -> None:
    template = json.loads(json.dumps(MAPPED))
    template["Resources"]["Vpc"]["Properties"]["CidrBlock"]["Fn::FindInMap"][0] = "RegionMap"
    with emulated() as client:
        error = _refusal(lambda: deploy(client, "secondary", template, region="us-east-2"))
        assert error == _unable("RegionMap::us-east-2::VpcCidrBlock")


def test_a_lookup_keyed_by_a_resource_is_left_to_moto() -> None:
    template = {
        "Mappings": {"ByVpc": {"none": {"Cidr": "10.9.0.0/16"}}},
        "Resources": {
            **vpc_template()["Resources"],
            "Other": {
                "Type": "AWS::EC2::VPC",
                "Properties": {"CidrBlock": {"Fn::FindInMap": ["ByVpc", {"Ref": "Vpc"}, "Cidr"]}},
            },
        },
    }
    with emulated() as client:
        assert deploy(client, "keyed", template)["StackStatus"] == "ROLLBACK_COMPLETE"


VALUES = {"AWS::Region": "eu-west-1", "AWS::AccountId": "123456789012"}


@pytest.mark.parametrize(
    "lookup",
    [
        # the AWS::LanguageExtensions form: a miss returns the default
        ["SecondaryRegions", {"Ref": "AWS::Region"}, "VpcCidrBlock", {"DefaultValue": "10.0.0.0/16"}],
        # an SSM-typed parameter holds a parameter name, resolved after the template
        ["SecondaryRegions", {"Ref": "Ssm"}, "VpcCidrBlock"],
        # a parameter the request gives no value
        ["SecondaryRegions", {"Ref": "NoValue"}, "VpcCidrBlock"],
    ],
)
def test_a_lookup_not_known_before_resources_exist_is_not_checked(lookup: list[Any]) -> None:
    template = {
        "Parameters": {
            "Ssm": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cidr"},
            "NoValue": {"Type": "String"},
        },
        "Mappings": MAPPED["Mappings"],
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": {"Fn::FindInMap": lookup}}}
        },
    }
    find_in_map.check_mappings(template, {**VALUES, "Ssm": "/cidr"})


def test_both_branches_of_an_if_and_the_conditions_are_checked() -> None:
    """CloudFormation resolves every lookup, whichever branch a condition picks."""
    lookup = {"Fn::FindInMap": ["SecondaryRegions", {"Ref": "AWS::Region"}, "VpcCidrBlock"]}
    in_branch = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Mappings": MAPPED["Mappings"],
        "Resources": {
            "Vpc": {
                "Type": "AWS::EC2::VPC",
                "Properties": {"CidrBlock": {"Fn::If": ["Never", lookup, "10.0.0.0/16"]}},
            }
        },
    }
    in_condition = {**in_branch, "Conditions": {"Wide": {"Fn::Equals": [lookup, "10.0.0.0/8"]}}}
    for template in (in_branch, in_condition):
        with pytest.raises(ValidationError, match="Unable to get mapping for SecondaryRegions::eu-west-1::"):
            find_in_map.check_mappings(template, VALUES)


REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def three_regions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The primary and the merged secondary template rendered for examples/three-regions.toml."""
    out = tmp_path_factory.mktemp("three-regions")
    command = [
        sys.executable,
        "-m",
        "payinfra",
        "render",
        "--config",
        "examples/three-regions.toml",
        "--out",
        str(out),
    ]
    rendered = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    assert rendered.returncode == 0, rendered.stdout + rendered.stderr
    return {
        role: parse_template((out / f"template.{role}.yaml").read_text()) for role in ("primary", "secondary")
    }


def _deployable(template: dict[str, Any], client: Clients, region: str) -> dict[str, Any]:
    """`template` with its functions' code in a bucket of `region`, as `sam deploy` uploads it."""
    bucket = f"code-{region}"
    client("s3", region).create_bucket(
        Bucket=bucket,
        **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}),
    )
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
    client("s3", region).put_object(Bucket=bucket, Key="fn.zip", Body=code.getvalue())
    deployable: dict[str, Any] = json.loads(json.dumps(template, default=str))
    for resource in deployable["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = f"s3://{bucket}/fn.zip"
    return deployable


def test_the_merged_secondary_template_deploys_in_its_regions_and_is_refused_elsewhere(
    three_regions: dict[str, dict[str, Any]],
) -> None:
    secondary = three_regions["secondary"]
    assert set(secondary["Mappings"]["SecondaryRegions"]) == {"us-east-2", "us-west-2"}
    with emulated() as client:
        primary = deploy(client, "primary", _deployable(three_regions["primary"], client, "us-east-1"))
        assert primary["StackStatus"] == "CREATE_COMPLETE"  # its database is what the replicas follow
        for region in ("us-east-2", "us-west-2"):
            stack = deploy(client, "secondary", _deployable(secondary, client, region), region=region)
            assert stack["StackStatus"] == "CREATE_COMPLETE", region
        template = _deployable(secondary, client, "eu-west-1")
        error = _refusal(lambda: deploy(client, "secondary", template, region="eu-west-1"))
        assert error is not None
        assert error["Message"].startswith(
            "Template error: Unable to get mapping for SecondaryRegions::eu-west-1::"
        )
        assert client("cloudformation", "eu-west-1").list_stacks()["StackSummaries"] == []


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
