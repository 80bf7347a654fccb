"""Systems Manager parameters described through the SSM API."""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers

SERVICE = ServiceCheckers("ssm")


@SERVICE.describes("AWS::SSM::Parameter")
def ssm_parameter(c: Clients, pid: str) -> str:
    p = c("ssm").get_parameter(Name=pid)["Parameter"]
    return f"{p['Type']} = {p['Value'][:40]}"


@SERVICE.reads_back(
    "AWS::SSM::Parameter",
    CFN_DOCS + "aws-resource-ssm-parameter.html",
    Prop("Type", "Type"),
)
def _parameter_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("ssm").get_parameter(Name=pid)["Parameter"]
    return result
