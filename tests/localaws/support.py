"""Helpers for the emulator tests.

Most fixes are exercised in-process: `emulated(skip=...)` applies the fixes (all, or all but some)
under `moto.mock_aws`, so a test can run the same scenario with and without a fix and show
what the fix repairs. The fixes patch process-global moto state; the context manager reverts
them, so no other test in the session sees them. Only what needs a socket (the endpoint, SAM
CLI, the CLI) starts a real `LocalAws`.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws

from localaws.order import apply_fixes

Clients = Callable[..., Any]


@contextmanager
def emulated(skip: frozenset[str] | set[str] = frozenset()) -> Iterator[Clients]:
    """moto with the emulator's fixes (except `skip`); yields `client(service, region="us-east-1")`."""
    patcher = apply_fixes(skip=skip)
    try:
        with mock_aws():
            yield lambda service, region="us-east-1": boto3.client(service, region_name=region)
    finally:
        patcher.revert()


def deploy(
    client: Clients,
    name: str,
    template: dict[str, Any],
    region: str = "us-east-1",
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Create the stack the way `sam deploy` does (CreateChangeSet + ExecuteChangeSet); return it."""
    cfn = client("cloudformation", region)
    cfn.create_change_set(
        StackName=name,
        ChangeSetName="deploy1",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    cfn.execute_change_set(StackName=name, ChangeSetName="deploy1")
    return cfn.describe_stacks(StackName=name)["Stacks"][0]  # type: ignore[no-any-return]


def create(
    client: Clients,
    name: str,
    template: dict[str, Any],
    region: str = "us-east-1",
    parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """CreateStack (moto creates synchronously); return the stack."""
    cfn = client("cloudformation", region)
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()],
    )
    return cfn.describe_stacks(StackName=name)["Stacks"][0]  # type: ignore[no-any-return]


def physical_ids(client: Clients, name: str, region: str = "us-east-1") -> dict[str, str]:
    resources = client("cloudformation", region).list_stack_resources(StackName=name)[
        "StackResourceSummaries"
    ]
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in resources}


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def vpc_template(cidr: str = "10.0.0.0/16", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A VPC with one subnet, plus `extra` resources."""
    return {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": cidr}},
            "Subnet": {
                "Type": "AWS::EC2::Subnet",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "CidrBlock": cidr.replace("0.0/16", "1.0/24"),
                    "AvailabilityZone": "us-east-1a",
                },
            },
            **(extra or {}),
        },
        "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}}},
    }


CODE_BUCKET, CODE_KEY = "code", "fn.zip"


def put_function_code(client: Clients) -> None:
    """A one-line handler zip in the bucket the `lambda_resources` function reads its code from."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    client("s3").create_bucket(Bucket=CODE_BUCKET)
    client("s3").put_object(Bucket=CODE_BUCKET, Key=CODE_KEY, Body=buffer.getvalue())


def lambda_resources(runtime: str = "python3.13", **properties: Any) -> dict[str, Any]:
    """`Role` and function `Fn` (name fn1) for a test template; `properties` add to the function's."""
    return {
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
                "Runtime": runtime,
                "Handler": "app.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": CODE_BUCKET, "S3Key": CODE_KEY},
                **properties,
            },
        },
    }
