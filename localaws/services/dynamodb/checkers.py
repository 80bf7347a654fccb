"""DynamoDB tables and global tables described through the DynamoDB API.

A global table's `Ref` is its name; the stack's region holds the replica read back.
"""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers

SERVICE = ServiceCheckers("dynamodb")


@SERVICE.describes("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
def dynamodb_table(c: Clients, pid: str) -> str:
    t = c("dynamodb").describe_table(TableName=pid)["Table"]
    sse = t.get("SSEDescription", {}).get("Status", "default")
    return f"{t['TableStatus']}, SSE {sse}"


def _dynamodb_view(c: Clients, pid: str) -> dict[str, Any]:
    table = dict(c("dynamodb").describe_table(TableName=pid)["Table"])
    backups = c("dynamodb").describe_continuous_backups(TableName=pid)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    sse = table.get("SSEDescription", {})
    # DescribeTable has no SSEEnabled: a table shows an SSEDescription (status ENABLED) only when
    # encrypted with a KMS key (customer managed or aws/dynamodb); AWS-owned-key tables show none.
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html
    table["SSEEnabled"] = sse.get("Status") in ("ENABLED", "UPDATING")
    table["PointInTimeRecoveryEnabled"] = pitr == "ENABLED"
    return table


SERVICE.reads_back(
    "AWS::DynamoDB::Table",
    CFN_DOCS + "aws-resource-dynamodb-table.html",
    Prop("SSESpecification.SSEEnabled", "SSEEnabled"),
    Prop("SSESpecification.SSEType", "SSEDescription.SSEType"),
    Prop("SSESpecification.KMSMasterKeyId", "SSEDescription.KMSMasterKeyArn", "key"),
    Prop("StreamSpecification.StreamViewType", "StreamSpecification.StreamViewType"),
    Prop(
        "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
        "PointInTimeRecoveryEnabled",
    ),
    Prop("DeletionProtectionEnabled", "DeletionProtectionEnabled"),
)(_dynamodb_view)
SERVICE.reads_back(
    "AWS::DynamoDB::GlobalTable",
    CFN_DOCS + "aws-resource-dynamodb-globaltable.html",
    Prop("SSESpecification.SSEEnabled", "SSEEnabled"),
    Prop(
        "Replicas[{region}].SSESpecification.KMSMasterKeyId",
        "SSEDescription.KMSMasterKeyArn",
        "key",
    ),
    Prop("StreamSpecification.StreamViewType", "StreamSpecification.StreamViewType"),
    Prop(
        "Replicas[{region}].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
        "PointInTimeRecoveryEnabled",
    ),
    Prop(
        "Replicas[{region}].DeletionProtectionEnabled",
        "DeletionProtectionEnabled",
    ),
)(_dynamodb_view)

SERVICE.reads_attribute(
    "AWS::DynamoDB::Table",
    "Arn",
    lambda c, pid: c("dynamodb").describe_table(TableName=pid)["Table"]["TableArn"],
)
SERVICE.reads_attribute(
    "AWS::DynamoDB::Table",
    "StreamArn",
    lambda c, pid: c("dynamodb").describe_table(TableName=pid)["Table"].get("LatestStreamArn"),
)
