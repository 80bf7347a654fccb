"""IAM roles described through the IAM API, with the managed policies attached to them."""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers

SERVICE = ServiceCheckers("iam")


@SERVICE.describes("AWS::IAM::Role")
def iam_role(c: Clients, pid: str) -> str:
    result: str = c("iam").get_role(RoleName=pid)["Role"]["Arn"]
    return result


@SERVICE.reads_back(
    "AWS::IAM::Role",
    CFN_DOCS + "aws-resource-iam-role.html",
    Prop("ManagedPolicyArns", "AttachedPolicyArns", "set"),
    Prop("PermissionsBoundary", "PermissionsBoundary.PermissionsBoundaryArn"),
)
def _role_view(c: Clients, pid: str) -> dict[str, Any]:
    role = dict(c("iam").get_role(RoleName=pid)["Role"])
    pages = c("iam").get_paginator("list_attached_role_policies").paginate(RoleName=pid)
    role["AttachedPolicyArns"] = [p["PolicyArn"] for page in pages for p in page["AttachedPolicies"]]
    return role


SERVICE.reads_attribute(
    "AWS::IAM::Role", "Arn", lambda c, pid: c("iam").get_role(RoleName=pid)["Role"]["Arn"]
)
