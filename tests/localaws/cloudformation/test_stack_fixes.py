"""Fixes to moto's CloudFormation engine: each scenario passes with the fix, shows the gap without."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

from localaws._moto import MotoVersionError, _check_moto_version
from localaws.cloudformation import template_url
from localaws.order import FIXES, apply_fixes

from ..support import create, deploy, emulated, outputs, physical_ids, put_function_code, vpc_template

# The scenarios without a fix make moto warn about the types it skips: that is the point.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .* not supported:UserWarning")


def ssm_param(name: str) -> dict[str, Any]:
    return {"Type": "AWS::SSM::Parameter", "Properties": {"Name": name, "Type": "String", "Value": "v"}}


def test_unknown_fix_name_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown emulator fix"):
        apply_fixes(skip={"no_such_fix"})


def test_other_moto_version_fails_with_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("localaws._moto.version", lambda name: "5.3.0")
    with pytest.raises(MotoVersionError, match=r"moto==5\.2\.5 only; moto 5\.3\.0 is installed"):
        _check_moto_version()


def test_revert_restores_moto_exactly() -> None:
    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend

    before = (
        CloudFormationBackend.__dict__["execute_change_set"],
        parsing.get_model_list,
        list(parsing.NULL_MODELS),
    )
    patcher = apply_fixes()
    assert "AWS::WAFv2::WebACL" in parsing.get_model_map()
    patcher.revert()
    after = (
        CloudFormationBackend.__dict__["execute_change_set"],
        parsing.get_model_list,
        list(parsing.NULL_MODELS),
    )
    assert after == before
    assert "AWS::WAFv2::WebACL" not in parsing.get_model_map()


@pytest.mark.parametrize("fixed", [True, False])
def test_change_set_execution_publishes_outputs(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"changeset_outputs"}) as client:
        stack = deploy(client, "s", vpc_template())
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        assert outputs(stack).get("VpcId", "").startswith("vpc-") is fixed


def test_template_url_on_an_ip_endpoint_is_read_path_style() -> None:
    url = "http://127.0.0.1:4566/templates/stack.yaml"
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="templates")
        s3.put_object(Bucket="templates", Key="stack.yaml", Body=b"Resources: {}")
        assert template_url.get_stack_from_s3_url(url, "123456789012", "aws") == "Resources: {}"
        with pytest.raises(Exception, match="bucket does not exist"):  # moto reads bucket "127"
            template_url.ORIGINAL(url, account_id="123456789012", partition="aws")


SAM_TEMPLATE = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Parameters": {"Suffix": {"Type": "String", "Default": "dev"}},
    "Resources": {
        "Fn": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "FunctionName": {"Fn::Sub": "fn-${Suffix}"},
                "Handler": "app.handler",
                "Runtime": "python3.11",
                "CodeUri": "s3://code/fn.zip",
                "Policies": ["AWSLambdaBasicExecutionRole"],
            },
        }
    },
    "Outputs": {"FnArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}}},
}


@pytest.mark.parametrize("fixed", [True, False])
def test_sam_transform_creates_the_function(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"sam_transform"}) as client:
        put_function_code(client)
        try:
            deploy(client, "sam", SAM_TEMPLATE)
        except Exception:  # moto without the transform: the output's GetAtt has no resource
            assert not fixed
        names = [f["FunctionName"] for f in client("lambda").list_functions()["Functions"]]
        assert (names == ["fn-dev"]) is fixed


def test_sam_transform_errors_name_the_resource() -> None:
    broken = json.loads(json.dumps(SAM_TEMPLATE))
    broken["Resources"]["Fn"]["Properties"]["CodeUri"] = "not-an-s3-uri"
    with (
        emulated() as client,
        pytest.raises(ClientError, match=r"Transform AWS::Serverless-2016-10-31 failed.*Fn"),
    ):
        deploy(client, "sam", broken)


def test_other_transforms_are_refused_clearly() -> None:
    template = {"Transform": "AWS::LanguageExtensions", "Resources": {"P": ssm_param("/p")}}
    with emulated() as client, pytest.raises(ClientError, match="runs only the AWS::Serverless"):
        deploy(client, "t", template)


CONSUMER = {
    "Parameters": {"Producer": {"Type": "String"}},
    "Resources": {
        "Copy": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {
                "Name": "/copy",
                "Type": "String",
                "Value": {
                    "Fn::Select": [
                        0,
                        {
                            "Fn::Split": [
                                ",",
                                {
                                    "Fn::GetStackOutput": {
                                        "StackName": {"Ref": "Producer"},
                                        "OutputName": "VpcId",
                                        "Region": "us-east-2",
                                    }
                                },
                            ]
                        },
                    ]
                },
            },
        }
    },
}


@pytest.mark.parametrize("fixed", [True, False])
def test_get_stack_output_reads_another_regions_stack(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"get_stack_output"}) as client:
        vpc_id = outputs(deploy(client, "producer", vpc_template(), region="us-east-2"))["VpcId"]
        try:
            deploy(client, "consumer", CONSUMER, parameters={"Producer": "producer"})
            value = client("ssm").get_parameter(Name="/copy")["Parameter"]["Value"]
        except ClientError:
            value = None  # moto splits a dict it does not understand
        assert (value == vpc_id) is fixed


@pytest.mark.parametrize(
    ("producer_region", "message"),
    [("us-east-2", "has no output Nope"), ("eu-west-1", "does not exist in eu-west-1")],
)
def test_get_stack_output_errors_are_explicit(producer_region: str, message: str) -> None:
    template = json.loads(
        json.dumps(CONSUMER).replace('"VpcId"', '"Nope"').replace("us-east-2", "eu-west-1")
        if producer_region != "us-east-2"
        else json.dumps(CONSUMER).replace('"VpcId"', '"Nope"')
    )
    with emulated() as client:
        deploy(client, "producer", vpc_template(), region="us-east-2")
        with pytest.raises(ClientError, match=message):
            deploy(client, "consumer", template, parameters={"Producer": "producer"})


DOTTED_YAML = """
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      DBInstanceIdentifier: db1
      Engine: postgres
      DBInstanceClass: db.t4g.micro
      AllocatedStorage: "20"
      MasterUsername: admin1
      MasterUserPassword: secret123456
Outputs:
  Address:
    Value: !GetAtt Db.Endpoint.Address
  Port:
    Value: !GetAtt Db.Endpoint.Port
"""


@pytest.mark.parametrize("fixed", [True, False])
def test_dotted_short_form_getatt(fixed: bool) -> None:
    with emulated(skip=set() if fixed else {"getatt_dotted"}) as client:
        cfn = client("cloudformation")
        try:
            cfn.create_stack(StackName="db", TemplateBody=DOTTED_YAML)
            got = outputs(cfn.describe_stacks(StackName="db")["Stacks"][0])
        except ClientError:
            got = {}
        assert (got.get("Port") == "5432" and got.get("Address", "").startswith("db1.")) is fixed


FAILING = vpc_template(
    extra={
        "BadRule": {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": "sg-does-not-exist",
                "IpProtocol": "tcp",
                "FromPort": 1,
                "ToPort": 1,
                "CidrIp": "10.0.0.0/8",
            },
        },
    }
)


def test_failed_change_set_rolls_back_with_a_reason() -> None:
    with emulated() as client:
        stack = deploy(client, "bad", FAILING)
        assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
        events = client("cloudformation").describe_stack_events(StackName=stack["StackId"])["StackEvents"]
        reasons = " ".join(e.get("ResourceStatusReason") or "" for e in events)
        assert "BadRule (AWS::EC2::SecurityGroupIngress) failed to create" in reasons
        assert (
            client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"] == []
        )


def test_without_the_fix_a_failed_resource_escapes_and_nothing_rolls_back() -> None:
    with emulated(skip={"stack_failures"}) as client:
        with pytest.raises(ClientError):
            deploy(client, "bad", FAILING)
        stack = client("cloudformation").describe_stacks(StackName="bad")["Stacks"][0]
        assert not stack["StackStatus"].startswith("ROLLBACK")
        assert client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.0.0.0/16"]}])["Vpcs"]


@pytest.mark.parametrize("fixed", [True, False])
def test_skipped_conditional_resource_is_not_listed(fixed: bool) -> None:
    template = {
        "Conditions": {"Never": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"P": ssm_param("/p"), "Q": {**ssm_param("/q"), "Condition": "Never"}},
    }
    with emulated(skip=set() if fixed else {"stack_resources"}) as client:
        create(client, "c", template)
        assert (list(physical_ids(client, "c")) == ["P"]) is fixed


@pytest.mark.parametrize("fixed", [True, False])
def test_wait_condition_handle_is_created(fixed: bool) -> None:
    template = {
        "Resources": {"P": ssm_param("/p"), "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}
    }
    with emulated(skip=set() if fixed else {"wait_condition_handle"}) as client:
        create(client, "w", template)
        handle = physical_ids(client, "w").get("Handle") or ""
        assert handle.startswith("https://") is fixed


def test_every_fix_is_documented() -> None:
    for name, module in FIXES:
        assert module.__doc__ and "moto" in module.__doc__, f"{name} must say which moto behaviour it fixes"


@pytest.mark.parametrize("fixed", [True, False])
def test_redeploying_the_parameters_of_the_last_update_is_a_no_op(fixed: bool) -> None:
    template = {
        "Parameters": {"Value": {"Type": "String", "Default": "a"}},
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/p", "Type": "String", "Value": {"Ref": "Value"}},
            }
        },
    }
    with emulated(skip=set() if fixed else {"changeset_outputs"}) as client:
        deploy(client, "s", template, parameters={"Value": "a"})
        cfn = client("cloudformation")
        for name in ("update1", "update2"):
            cfn.create_change_set(  # YAML, as SAM CLI sends it
                StackName="s",
                ChangeSetName=name,
                ChangeSetType="UPDATE",
                TemplateBody=yaml.safe_dump(template),
                Parameters=[{"ParameterKey": "Value", "ParameterValue": "b"}],
            )
            if name == "update1":
                cfn.execute_change_set(StackName="s", ChangeSetName=name)
        assert client("ssm").get_parameter(Name="/p")["Parameter"]["Value"] == "b"
        second = cfn.describe_change_set(StackName="s", ChangeSetName="update2")
        assert (second["Status"] == "FAILED" and "didn't contain changes" in second["StatusReason"]) is fixed


@pytest.mark.parametrize("fixed", [True, False])
def test_parameter_only_change_lists_the_resources_it_modifies(fixed: bool) -> None:
    template = {
        "Parameters": {"Value": {"Type": "String"}},
        "Resources": {
            "P": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/p", "Type": "String", "Value": {"Ref": "Value"}},
            },
            "Q": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/q", "Type": "String", "Value": "fixed"},
            },
        },
    }
    with emulated(skip=set() if fixed else {"changeset_diff"}) as client:
        deploy(client, "s", template, parameters={"Value": "a"})
        cfn = client("cloudformation")
        cfn.create_change_set(
            StackName="s",
            ChangeSetName="u1",
            ChangeSetType="UPDATE",
            TemplateBody=yaml.safe_dump(template),
            Parameters=[{"ParameterKey": "Value", "ParameterValue": "b"}],
        )
        changes = cfn.describe_change_set(StackName="s", ChangeSetName="u1")["Changes"]
        listed = [(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in changes]
        assert (listed == [("Modify", "P")]) is fixed
