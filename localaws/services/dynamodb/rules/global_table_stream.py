"""DDB001: an eventually consistent global table with several replicas needs StreamSpecification.

CloudFormation, `AWS::DynamoDB::GlobalTable` StreamSpecification: "You must specify a value for
this property for a AWS::DynamoDB::GlobalTable resource configured for MREC with more than one
entry in Replicas"; for Multi-Region Strong Consistency streams are not required. Without it
the stack fails on AWS; the emulator's model created the replicas anyway.
"""

from __future__ import annotations

from typing import Any

from localaws.aws_errors import DynamoDBValidationException
from localaws.patching import Patcher

from ._global_table import consistency, wrap_global_table

ID = "DDB001"
TITLE = "an eventually consistent global table with more than one replica needs StreamSpecification"
DOC_URL = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
    "aws-properties-dynamodb-globaltable-streamspecification.html"
)


def check(properties: dict[str, Any]) -> None:
    replicas = properties.get("Replicas") or []
    if consistency(properties) == "STRONG" or len(replicas) <= 1 or properties.get("StreamSpecification"):
        return
    raise DynamoDBValidationException(
        f"StreamSpecification is required for a global table configured for multi-Region eventual "
        f"consistency (MREC) with more than one replica ({len(replicas)} replicas) [{ID}, {DOC_URL}]"
    )


def apply(patcher: Patcher) -> None:
    wrap_global_table(patcher, check)
