"""CloudWatch Logs log groups described through the Logs API: retention and KMS key."""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers, one

SERVICE = ServiceCheckers("logs")


@SERVICE.describes("AWS::Logs::LogGroup")
def log_group(c: Clients, pid: str) -> str:
    groups = c("logs").describe_log_groups(logGroupNamePrefix=pid)["logGroups"]
    g = one([g for g in groups if g["logGroupName"] == pid], "log group", pid)
    return f"retention {g.get('retentionInDays')}, key {'yes' if g.get('kmsKeyId') else 'no'}"


@SERVICE.reads_back(
    "AWS::Logs::LogGroup",
    CFN_DOCS + "aws-resource-logs-loggroup.html",
    Prop("KmsKeyId", "kmsKeyId", "key"),
    Prop("RetentionInDays", "retentionInDays"),
)
def _log_group_view(c: Clients, pid: str) -> dict[str, Any]:
    groups = c("logs").describe_log_groups(logGroupNamePrefix=pid)["logGroups"]
    result: dict[str, Any] = one([g for g in groups if g["logGroupName"] == pid], "log group", pid)
    return result


SERVICE.reads_attribute("AWS::Logs::LogGroup", "Arn", lambda c, pid: _log_group_view(c, pid)["arn"])
