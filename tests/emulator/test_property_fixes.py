"""Fixes that make declared security-relevant properties read back: each scenario with and without its fix."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .support import Clients, create, emulated, physical_ids

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .* not supported:UserWarning")

ON_OFF = pytest.mark.parametrize("fixed", [True, False])


def _skip(fixed: bool, *names: str) -> set[str]:
    return set() if fixed else set(names)


ROOT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


# -- Lambda ------------------------------------------------------------------------------------------
def _function_template(**extra: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": ROOT_KEY_POLICY}},
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Principal": {"Service": "lambda.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                            }
                        ]
                    }
                },
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "fn1",
                    "Runtime": "python3.13",
                    "Handler": "app.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"S3Bucket": "code", "S3Key": "fn.zip"},
                    **extra,
                },
            },
        }
    }


def _code(client: Clients) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    client("s3").create_bucket(Bucket="code")
    client("s3").put_object(Bucket="code", Key="fn.zip", Body=buffer.getvalue())


DECLARED = {
    "TracingConfig": {"Mode": "Active"},
    "KmsKeyArn": {"Fn::GetAtt": ["Key", "Arn"]},
    "LoggingConfig": {"LogGroup": "/custom/fn1", "LogFormat": "JSON"},
    "Architectures": ["arm64"],
}


@ON_OFF
def test_function_keeps_tracing_key_logging_and_architecture(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "lambda_function")) as client:
        _code(client)
        create(client, "fn", _function_template(**DECLARED))
        key_arn = client("kms").describe_key(KeyId=physical_ids(client, "fn")["Key"])["KeyMetadata"]["Arn"]
        config = client("lambda").get_function_configuration(FunctionName="fn1")
        kept = (
            config["TracingConfig"] == {"Mode": "Active"},
            config.get("KMSKeyArn") == key_arn,
            config.get("LoggingConfig", {}).get("LogGroup") == "/custom/fn1",
            config["Architectures"] == ["arm64"],
        )
        assert kept == (fixed,) * 4


def test_function_logging_config_defaults_as_on_aws_and_update_resets_removed_properties() -> None:
    with emulated() as client:
        _code(client)
        create(client, "fn", _function_template(**DECLARED))
        client("cloudformation").update_stack(StackName="fn", TemplateBody=json.dumps(_function_template()))
        config = client("lambda").get_function_configuration(FunctionName="fn1")
        assert config["TracingConfig"] == {"Mode": "PassThrough"}
        assert config.get("KMSKeyArn") is None
        assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn1"}


@ON_OFF
def test_update_function_configuration_applies_tracing(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "lambda_function")) as client:
        _code(client)
        create(client, "fn", _function_template())
        client("lambda").update_function_configuration(FunctionName="fn1", TracingConfig={"Mode": "Active"})
        mode = client("lambda").get_function_configuration(FunctionName="fn1")["TracingConfig"]["Mode"]
        assert (mode == "Active") == fixed


# -- WAFv2 -------------------------------------------------------------------------------------------
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alb1/50dc6c495c0c9188"
API_STAGE_ARN = "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod"


def _web_acl(client: Clients) -> str:
    return str(
        client("wafv2").create_web_acl(
            Name="acl",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": "acl",
            },
        )["Summary"]["ARN"]
    )


@ON_OFF
def test_list_resources_for_web_acl_lists_the_associated_alb(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "wafv2")) as client:
        waf = client("wafv2")
        acl_arn = _web_acl(client)
        waf.associate_web_acl(WebACLArn=acl_arn, ResourceArn=ALB_ARN)
        try:
            listed = waf.list_resources_for_web_acl(WebACLArn=acl_arn)["ResourceArns"]
        except (ClientError, NotImplementedError):  # moto: "not implemented" (HTTP 500 on its server)
            listed = None
        assert listed == ([ALB_ARN] if fixed else None)


def test_list_resources_for_web_acl_filters_by_type_and_refuses_an_unknown_acl() -> None:
    with emulated() as client:
        waf = client("wafv2")
        acl_arn = _web_acl(client)
        waf.associate_web_acl(WebACLArn=acl_arn, ResourceArn=ALB_ARN)
        waf.associate_web_acl(WebACLArn=acl_arn, ResourceArn=API_STAGE_ARN)
        by_type = {
            t: waf.list_resources_for_web_acl(WebACLArn=acl_arn, ResourceType=t)["ResourceArns"]
            for t in ("APPLICATION_LOAD_BALANCER", "API_GATEWAY", "APPSYNC")
        }
        assert by_type == {
            "APPLICATION_LOAD_BALANCER": [ALB_ARN],
            "API_GATEWAY": [API_STAGE_ARN],
            "APPSYNC": [],
        }
        with pytest.raises(ClientError) as refused:
            waf.list_resources_for_web_acl(WebACLArn=acl_arn.replace("/acl/", "/other/"))
        assert refused.value.response["Error"]["Code"] == "WAFNonexistentItemException"


# -- ECS ---------------------------------------------------------------------------------------------
ECS = {
    "Resources": {
        "Cluster": {
            "Type": "AWS::ECS::Cluster",
            "Properties": {
                "ClusterName": "c1",
                "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
                "Configuration": {"ExecuteCommandConfiguration": {"Logging": "DEFAULT"}},
            },
        },
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "t1",
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": "256",
                "Memory": "512",
                "TaskRoleArn": "arn:aws:iam::123456789012:role/task",
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/exec",
                "ContainerDefinitions": [
                    {"Name": "api", "Image": "nginx", "ReadonlyRootFilesystem": True, "Privileged": False}
                ],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "ServiceName": "s1",
                "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": 1,
                "EnableExecuteCommand": True,
            },
        },
    }
}


@ON_OFF
def test_ecs_cluster_task_definition_and_service_keep_their_settings(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "ecs")) as client:
        create(client, "ecs", ECS)
        ecs = client("ecs")
        include = ["SETTINGS", "CONFIGURATIONS"]
        cluster = ecs.describe_clusters(clusters=["c1"], include=include)["clusters"][0]
        task = ecs.describe_task_definition(taskDefinition="t1")["taskDefinition"]
        service = ecs.describe_services(cluster="c1", services=["s1"])["services"][0]
        kept = (
            cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}],
            cluster.get("configuration", {}).get("executeCommandConfiguration") == {"logging": "DEFAULT"},
            task.get("requiresCompatibilities") == ["FARGATE"] and task.get("networkMode") == "awsvpc",
            task.get("taskRoleArn") == "arn:aws:iam::123456789012:role/task",
            task.get("executionRoleArn") == "arn:aws:iam::123456789012:role/exec",
            service.get("enableExecuteCommand") is True,
        )
        assert kept == (fixed,) * 6


def test_ecs_updates_change_settings_in_place_and_register_a_new_revision() -> None:
    with emulated() as client:
        create(client, "ecs", ECS)
        changed = json.loads(json.dumps(ECS))
        changed["Resources"]["Cluster"]["Properties"]["ClusterSettings"] = [
            {"Name": "containerInsights", "Value": "disabled"}
        ]
        changed["Resources"]["Task"]["Properties"]["NetworkMode"] = "bridge"
        changed["Resources"]["Task"]["Properties"]["RequiresCompatibilities"] = ["EC2"]
        client("cloudformation").update_stack(StackName="ecs", TemplateBody=json.dumps(changed))
        ecs = client("ecs")
        cluster = ecs.describe_clusters(clusters=["c1"], include=["SETTINGS"])["clusters"][0]
        assert cluster["settings"] == [{"name": "containerInsights", "value": "disabled"}]
        revisions = ecs.list_task_definitions(familyPrefix="t1", status="ACTIVE")["taskDefinitionArns"]
        assert [arn.rsplit(":", 1)[-1] for arn in revisions] == ["2"]
        assert ecs.describe_task_definition(taskDefinition="t1")["taskDefinition"]["networkMode"] == "bridge"
