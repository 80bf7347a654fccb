"""Lambda functions, permissions and event source mappings described through the Lambda API."""

from __future__ import annotations

import json
from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers

SERVICE = ServiceCheckers("awslambda")


@SERVICE.describes("AWS::Lambda::Function")
def function(c: Clients, pid: str) -> str:
    f = c("lambda").get_function(FunctionName=pid)["Configuration"]
    return f"{f['Runtime']} {f.get('State', '')}".strip()


@SERVICE.describes("AWS::Lambda::Permission")
def function_permission(c: Clients, pid: str) -> str:
    # CloudFormation's physical ID of a permission is its statement id; the function is in the
    # statement's resource, so look through every function's policy for it.
    for page in c("lambda").get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            try:
                policy = json.loads(c("lambda").get_policy(FunctionName=f["FunctionName"])["Policy"])
            except Exception:  # noqa: S112 - a function without a policy
                continue
            for statement in policy.get("Statement", []):
                if statement.get("Sid") == pid:
                    return f"{f['FunctionName']} <- {statement.get('Principal')}"
    raise Missing(f"no function policy has statement {pid}")


@SERVICE.describes("AWS::Lambda::EventSourceMapping")
def event_source_mapping(c: Clients, pid: str) -> str:
    m = c("lambda").get_event_source_mapping(UUID=pid)
    return f"{m['EventSourceArn'].rsplit(':', 1)[-1]} {m['State']}"


@SERVICE.reads_back(
    "AWS::Lambda::Function",
    CFN_DOCS + "aws-resource-lambda-function.html",
    Prop("TracingConfig.Mode", "TracingConfig.Mode"),
    Prop("KmsKeyArn", "KMSKeyArn", "key"),
    Prop("LoggingConfig.LogGroup", "LoggingConfig.LogGroup"),
    Prop("LoggingConfig.LogFormat", "LoggingConfig.LogFormat"),
    Prop("VpcConfig.SubnetIds", "VpcConfig.SubnetIds", "set"),
    Prop("VpcConfig.SecurityGroupIds", "VpcConfig.SecurityGroupIds", "set"),
)
def _function_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("lambda").get_function_configuration(FunctionName=pid)
    return result


SERVICE.reads_attribute("AWS::Lambda::Function", "Arn", lambda c, pid: _function_view(c, pid)["FunctionArn"])
