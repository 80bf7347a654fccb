"""Fixes that make declared security-relevant properties read back: each scenario with and without its fix."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .support import Clients, create, emulated, lambda_resources, physical_ids, put_function_code

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
            **lambda_resources(**extra),
        }
    }


DECLARED = {
    "TracingConfig": {"Mode": "Active"},
    "KmsKeyArn": {"Fn::GetAtt": ["Key", "Arn"]},
    "LoggingConfig": {"LogGroup": "/custom/fn1", "LogFormat": "JSON"},
    "Architectures": ["arm64"],
}


@ON_OFF
def test_function_keeps_tracing_key_logging_and_architecture(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "lambda_function")) as client:
        put_function_code(client)
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
        put_function_code(client)
        create(client, "fn", _function_template(**DECLARED))
        client("cloudformation").update_stack(StackName="fn", TemplateBody=json.dumps(_function_template()))
        config = client("lambda").get_function_configuration(FunctionName="fn1")
        assert config["TracingConfig"] == {"Mode": "PassThrough"}
        assert config.get("KMSKeyArn") is None
        assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn1"}


@ON_OFF
def test_update_function_configuration_applies_tracing(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "lambda_function")) as client:
        put_function_code(client)
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
        except (ClientError, NotImplementedError):  # moto lacks it: NotImplemented (HTTP 501)
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


# -- RDS Performance Insights ------------------------------------------------------------------------
def _database(**extra: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": ROOT_KEY_POLICY}},
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBInstanceIdentifier": "db1",
                    "Engine": "postgres",
                    "DBInstanceClass": "db.t4g.medium",
                    "AllocatedStorage": "20",
                    "MasterUsername": "admin1",
                    "MasterUserPassword": "s3cret-pass",
                    **extra,
                },
            },
        }
    }


PERFORMANCE_INSIGHTS = {
    "EnablePerformanceInsights": True,
    "PerformanceInsightsKMSKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
    "PerformanceInsightsRetentionPeriod": 31,
}


@ON_OFF
def test_database_keeps_its_performance_insights_key_and_retention(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "rds")) as client:
        create(client, "db", _database(**PERFORMANCE_INSIGHTS))
        key_arn = client("kms").describe_key(KeyId=physical_ids(client, "db")["Key"])["KeyMetadata"]["Arn"]
        db = client("rds").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
        kept = (
            db.get("PerformanceInsightsEnabled") is True,
            db.get("PerformanceInsightsKMSKeyId") == key_arn,
            db.get("PerformanceInsightsRetentionPeriod") == 31,
        )
        assert kept == (fixed,) * 3


@ON_OFF
def test_create_db_instance_keeps_performance_insights_and_defaults_to_the_aws_rds_key(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "rds")) as client:
        rds = client("rds")
        common = {
            "DBInstanceClass": "db.t4g.medium",
            "Engine": "postgres",
            "MasterUsername": "admin1",
            "MasterUserPassword": "s3cret-pass",
            "AllocatedStorage": 20,
        }
        rds.create_db_instance(DBInstanceIdentifier="on", EnablePerformanceInsights=True, **common)
        rds.create_db_instance(DBInstanceIdentifier="off", **common)
        described = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
        if not fixed:
            assert "PerformanceInsightsEnabled" not in described["on"]
            return
        default_key = client("kms").describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
        on, off = described["on"], described["off"]
        assert (on["PerformanceInsightsEnabled"], on["PerformanceInsightsKMSKeyId"]) == (True, default_key)
        assert on["PerformanceInsightsRetentionPeriod"] == 7
        assert off["PerformanceInsightsEnabled"] is False
        assert "PerformanceInsightsKMSKeyId" not in off
        rds.modify_db_instance(
            DBInstanceIdentifier="on", EnablePerformanceInsights=False, ApplyImmediately=True
        )
        turned_off = rds.describe_db_instances(DBInstanceIdentifier="on")["DBInstances"][0]
        assert (turned_off["PerformanceInsightsEnabled"], "PerformanceInsightsKMSKeyId" in turned_off) == (
            False,
            False,
        )


# -- S3 Bucket Key -----------------------------------------------------------------------------------
def _bucket(bucket_key: bool) -> dict[str, Any]:
    return {
        "Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": ROOT_KEY_POLICY}},
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": "uploads1",
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {
                                "BucketKeyEnabled": bucket_key,
                                "ServerSideEncryptionByDefault": {
                                    "SSEAlgorithm": "aws:kms",
                                    "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]},
                                },
                            }
                        ]
                    },
                },
            },
        }
    }


@ON_OFF
def test_bucket_keeps_its_bucket_key_for_the_bucket_and_new_objects(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "s3_bucket")) as client:
        create(client, "b", _bucket(True))
        s3 = client("s3")
        rule = s3.get_bucket_encryption(Bucket="uploads1")["ServerSideEncryptionConfiguration"]["Rules"][0]
        s3.put_object(Bucket="uploads1", Key="o", Body=b"x")
        head = s3.head_object(Bucket="uploads1", Key="o")
        assert (rule["BucketKeyEnabled"], head.get("BucketKeyEnabled") is True) == (fixed, fixed)


def test_bucket_key_defaults_to_off_and_follows_updates() -> None:
    with emulated() as client:
        template = _bucket(True)
        encryption = template["Resources"]["Bucket"]["Properties"]["BucketEncryption"]
        del encryption["ServerSideEncryptionConfiguration"][0]["BucketKeyEnabled"]
        create(client, "b", template)
        s3 = client("s3")

        def bucket_key() -> bool:
            rules = s3.get_bucket_encryption(Bucket="uploads1")["ServerSideEncryptionConfiguration"]["Rules"]
            return bool(rules[0]["BucketKeyEnabled"])

        assert bucket_key() is False
        client("cloudformation").update_stack(StackName="b", TemplateBody=json.dumps(_bucket(True)))
        assert bucket_key() is True
        client("cloudformation").update_stack(StackName="b", TemplateBody=json.dumps(_bucket(False)))
        assert bucket_key() is False


# -- Fn::GetAZs --------------------------------------------------------------------------------------
def _subnets(*zones: Any) -> dict[str, Any]:
    resources: dict[str, Any] = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.1.0.0/16"}}}
    for index, zone in enumerate(zones):
        resources[f"Subnet{index}"] = {
            "Type": "AWS::EC2::Subnet",
            "Properties": {
                "VpcId": {"Ref": "Vpc"},
                "CidrBlock": f"10.1.{index}.0/24",
                "AvailabilityZone": {"Fn::Select": [index, zone]},
            },
        }
    return {"Resources": resources}


def _zones(client: Clients, stack: str, region: str) -> list[str]:
    ids = physical_ids(client, stack, region)
    subnet_ids = [ids[name] for name in sorted(ids) if name.startswith("Subnet")]
    subnets = client("ec2", region).describe_subnets(SubnetIds=subnet_ids)["Subnets"]
    by_id = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}
    return [by_id[subnet_id] for subnet_id in subnet_ids]


@ON_OFF
def test_get_azs_lists_the_zones_of_the_stacks_own_region(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "get_azs")) as client:
        create(client, "net", _subnets(*[{"Fn::GetAZs": ""}] * 3), region="us-east-2")
        region = "us-east-2" if fixed else "us-east-1"  # moto: us-east-1's zones in every region
        assert _zones(client, "net", "us-east-2") == [f"{region}{zone}" for zone in "abc"]


def test_get_azs_takes_a_ref_to_the_region_or_a_region_name_and_refuses_an_unknown_one() -> None:
    with emulated() as client:
        template = _subnets({"Fn::GetAZs": {"Ref": "AWS::Region"}}, {"Fn::GetAZs": "us-east-2"})
        create(client, "net", template, region="us-east-2")
        assert _zones(client, "net", "us-east-2") == ["us-east-2a", "us-east-2b"]
        with pytest.raises(ClientError) as refused:
            create(client, "bad", _subnets({"Fn::GetAZs": "us-east-9"}), region="us-east-2")
        assert refused.value.response["Error"]["Code"] == "ValidationError"
        assert "'us-east-9' is not a Region" in refused.value.response["Error"]["Message"]


def test_get_azs_lists_only_zones_with_a_default_subnet_while_any_has_one() -> None:
    with emulated() as client:
        ec2 = client("ec2", "us-east-2")
        defaults = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        for subnet in defaults:
            if subnet["AvailabilityZone"] == "us-east-2a":
                ec2.delete_subnet(SubnetId=subnet["SubnetId"])
        create(client, "net", _subnets({"Fn::GetAZs": ""}), region="us-east-2")
        assert _zones(client, "net", "us-east-2") == ["us-east-2b"]
