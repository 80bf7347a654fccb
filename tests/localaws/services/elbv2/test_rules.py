"""ELB001: ALB access logs need an existing SSE-S3 bucket whose policy lets ELB put the log files."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest

from localaws.services.elbv2.rules.access_log_bucket import ELB_ACCOUNTS, SERVICE_PRINCIPAL, problem

from ...rules.support import (
    ACCOUNT,
    ROOT,
    STRICT_OR_NOT,
    refused,
    rendered_resources,
    stack_outcome,
    strict,
    strict_unless,
)

BUCKET = "alb-logs"
ELB_EAST1 = f"arn:aws:iam::{ELB_ACCOUNTS['us-east-1']}:root"
LOG_PATH = f"arn:aws:s3:::{BUCKET}/alb/AWSLogs/{ACCOUNT}/*"
KMS = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}


def _policy(
    principal: dict[str, Any] | str, resource: str = LOG_PATH, effect: str = "Allow"
) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": effect, "Principal": principal, "Action": "s3:PutObject", "Resource": resource}
        ],
    }


def _bucket(client: Any, policy: dict[str, Any] | None, encryption: dict[str, str] | None = None) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    if policy is not None:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    if encryption is not None:
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": encryption}]},
        )


def _balancer(client: Any, region: str = "us-east-1") -> str:
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    balancer = client("elbv2", region).create_load_balancer(Name="alb", Subnets=subnets)
    return str(balancer["LoadBalancers"][0]["LoadBalancerArn"])


def _enable(client: Any, arn: str, region: str = "us-east-1", bucket: str = BUCKET) -> Any:
    return client("elbv2", region).modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": bucket},
            {"Key": "access_logs.s3.prefix", "Value": "alb"},
        ],
    )


def _attributes(client: Any, arn: str) -> dict[str, str]:
    found = client("elbv2").describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return {a["Key"]: a["Value"] for a in found}


BAD_BUCKETS: dict[str, tuple[dict[str, Any] | None, dict[str, str] | None, str]] = {
    "missing bucket": (None, None, "does not exist"),
    "no policy": ({}, None, "does not allow s3:PutObject"),
    "another region's ELB account": (
        _policy({"AWS": f"arn:aws:iam::{ELB_ACCOUNTS['us-west-2']}:root"}),
        None,
        "does not allow s3:PutObject",
    ),
    "another prefix": (
        _policy({"Service": SERVICE_PRINCIPAL}, f"arn:aws:s3:::{BUCKET}/other/*"),
        None,
        "does not allow",
    ),
    "wrong service": (_policy({"Service": "delivery.logs.amazonaws.com"}), None, "does not allow"),
    "SSE-KMS default encryption": (_policy({"Service": SERVICE_PRINCIPAL}), KMS, "SSE-KMS"),
    "unconditional deny": (
        {
            "Statement": [
                *_policy({"Service": SERVICE_PRINCIPAL})["Statement"],
                *_policy("*", f"arn:aws:s3:::{BUCKET}/*", "Deny")["Statement"],
            ]
        },
        None,
        "denies",
    ),
}


@STRICT_OR_NOT
@pytest.mark.parametrize("case", list(BAD_BUCKETS))
def test_enabling_access_logs_to_a_bucket_elb_cannot_write_is_refused(is_strict: bool, case: str) -> None:
    policy, encryption, reason = BAD_BUCKETS[case]
    with strict_unless(is_strict, "ELB001") as client:
        if case != "missing bucket":
            _bucket(client, policy or None, encryption)
        arn = _balancer(client)
        if not is_strict:  # moto alone stores the attributes whatever the bucket
            _enable(client, arn)
            assert _attributes(client, arn)["access_logs.s3.enabled"] == "true"
            return
        message = refused(lambda: _enable(client, arn), "InvalidConfigurationRequest", "ELB001")
        assert f"Access Denied for bucket: {BUCKET}. Please check S3bucket permission" in message
        assert reason in message, message
        assert _attributes(client, arn).get("access_logs.s3.enabled", "false") == "false"


@pytest.mark.parametrize(
    ("region", "principal"),
    [
        ("us-east-1", {"Service": SERVICE_PRINCIPAL}),
        ("us-east-1", {"AWS": ELB_EAST1}),
        ("us-east-1", {"AWS": ELB_ACCOUNTS["us-east-1"]}),
        ("us-east-2", {"AWS": f"arn:aws:iam::{ELB_ACCOUNTS['us-east-2']}:root"}),
        ("us-east-2", {"AWS": [ELB_EAST1, f"arn:aws:iam::{ELB_ACCOUNTS['us-east-2']}:root"]}),
    ],
)
def test_either_principal_form_of_the_regions_elb_is_accepted(region: str, principal: dict[str, Any]) -> None:
    with strict() as client:
        s3 = client("s3", region)
        where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        s3.create_bucket(Bucket=BUCKET, **where)
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(_policy(principal)))
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        )
        arn = _balancer(client, region)
        _enable(client, arn, region)
        attributes = client("elbv2", region).describe_load_balancer_attributes(LoadBalancerArn=arn)[
            "Attributes"
        ]
        assert {"Key": "access_logs.s3.bucket", "Value": BUCKET} in attributes


def test_the_us_east_1_account_alone_does_not_grant_us_east_2() -> None:
    with strict() as client:
        s3 = client("s3", "us-east-2")
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-east-2"})
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(_policy({"AWS": ELB_EAST1})))
        arn = _balancer(client, "us-east-2")
        message = refused(lambda: _enable(client, arn, "us-east-2"), "InvalidConfigurationRequest", "ELB001")
        assert ELB_ACCOUNTS["us-east-2"] in message and SERVICE_PRINCIPAL in message


def test_disabling_or_other_attributes_need_no_bucket() -> None:
    with strict() as client:
        arn = _balancer(client)
        elbv2 = client("elbv2")
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn,
            Attributes=[
                {"Key": "access_logs.s3.enabled", "Value": "false"},
                {"Key": "access_logs.s3.bucket", "Value": "nowhere"},
            ],
        )
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=arn, Attributes=[{"Key": "idle_timeout.timeout_seconds", "Value": "30"}]
        )
        assert _attributes(client, arn)["idle_timeout.timeout_seconds"] == "30"


def _stack(policy: dict[str, Any] | None) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        **{
            f"Subnet{az.upper()}": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": f"10.0.{i}.0/24",
                    "AvailabilityZone": f"us-east-1{az}",
                },
            }
            for i, az in enumerate("ab")
        },
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}},
    }
    if policy:  # before the balancer: moto's change sets create in template order, not by DependsOn
        resources["LogsPolicy"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": {"Ref": "Logs"}, "PolicyDocument": policy},
        }
    resources["Alb"] = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "DependsOn": ["Logs"] + (["LogsPolicy"] if policy else []),
        "Properties": {
            "Name": "alb",
            "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
            "LoadBalancerAttributes": [
                {"Key": "access_logs.s3.enabled", "Value": "true"},
                {"Key": "access_logs.s3.bucket", "Value": {"Ref": "Logs"}},
                {"Key": "access_logs.s3.prefix", "Value": "alb"},
            ],
        },
    }
    return {"Resources": resources}


@STRICT_OR_NOT
def test_a_stack_whose_alb_logs_to_a_bucket_without_the_grant_rolls_back(is_strict: bool) -> None:
    with strict_unless(is_strict, "ELB001") as client:
        status, reasons = stack_outcome(client, "edge", _stack(None))
        if not is_strict:
            assert status == "CREATE_COMPLETE"
            return
        assert status == "ROLLBACK_COMPLETE"
        assert "InvalidConfigurationRequest" in reasons and "ELB001" in reasons
        assert client("elbv2").describe_load_balancers()["LoadBalancers"] == []


def test_a_stack_whose_alb_logs_to_a_granted_bucket_deploys_and_deletes() -> None:
    with strict() as client:
        status, _ = stack_outcome(client, "edge", _stack(_policy({"Service": SERVICE_PRINCIPAL})))
        assert status == "CREATE_COMPLETE"
        (balancer,) = client("elbv2").describe_load_balancers()["LoadBalancers"]
        assert _attributes(client, balancer["LoadBalancerArn"])["access_logs.s3.bucket"] == BUCKET
        cfn = client("cloudformation")
        stack_id = cfn.describe_stacks(StackName="edge")["Stacks"][0]["StackId"]
        cfn.delete_stack(StackName="edge")
        assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"


@pytest.mark.parametrize("region", ["us-east-1", "us-east-2"])
def test_the_contexts_elb_accounts_are_the_documented_ones(region: str) -> None:
    context = tomllib.loads((ROOT / "context.toml").read_text())
    assert context[region]["alb_log_delivery_account"] == ELB_ACCOUNTS[region]


def test_the_rendered_alb_log_bucket_policy_grants_elb() -> None:
    policy = rendered_resources()["AlbLogsBucketPolicy"]["Properties"]["PolicyDocument"]
    text = json.dumps(policy).replace("${AlbLogsBucket.Arn}", f"arn:aws:s3:::{BUCKET}")
    with strict() as client:
        _bucket(client, json.loads(text))
        assert problem(ACCOUNT, "us-east-1", BUCKET, "alb") is None
        assert problem(ACCOUNT, "us-east-1", BUCKET, "elsewhere") is not None
