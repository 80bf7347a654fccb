"""DDB002: a strongly consistent global table has exactly three members in one region set.

CloudFormation, `AWS::DynamoDB::GlobalTable` GlobalTableWitness (and DynamoDB's
CreateGlobalTableWitnessGroupMemberAction): an MRSC global table is configured with either three
replicas, or two replicas and one witness; the witness is in a different region than the
replicas, and all are within one region set: US (us-east-1, us-east-2, us-west-2), EU
(eu-west-1, eu-west-2, eu-west-3, eu-central-1), AP (ap-northeast-1, ap-northeast-2,
ap-northeast-3). The emulator's model created any such table.
"""

from __future__ import annotations

from typing import Any

from localaws.aws_errors import DynamoDBValidationException
from localaws.patching import Patcher

from ._global_table import consistency, wrap_global_table

ID = "DDB002"
TITLE = "a strongly consistent (MRSC) global table has 3 members (replicas + witness) in one region set"
DOC_URL = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
    "aws-properties-dynamodb-globaltable-globaltablewitness.html"
)
REGION_SETS: dict[str, frozenset[str]] = {
    "US": frozenset({"us-east-1", "us-east-2", "us-west-2"}),
    "EU": frozenset({"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"}),
    "AP": frozenset({"ap-northeast-1", "ap-northeast-2", "ap-northeast-3"}),
}


def problem(properties: dict[str, Any]) -> str | None:
    """Why an MRSC table's members are refused, or None (also for eventually consistent tables)."""
    if consistency(properties) != "STRONG":
        return None
    replicas = [str(r.get("Region")) for r in properties.get("Replicas") or []]
    witnesses = [str(w.get("Region")) for w in properties.get("GlobalTableWitnesses") or []]
    members = replicas + witnesses
    if len(members) != 3 or len(witnesses) > 1:
        return (
            "a global table with MultiRegionConsistency STRONG needs exactly three members: three "
            f"replicas, or two replicas and one witness (got replicas {replicas}, witnesses {witnesses})"
        )
    if len(set(members)) != 3:
        return f"the members of an MRSC global table must be in three different regions (got {members})"
    if not any(set(members) <= regions for regions in REGION_SETS.values()):
        sets = "; ".join(f"{name}: {', '.join(sorted(r))}" for name, r in REGION_SETS.items())
        return f"the members {members} of an MRSC global table are not within one region set ({sets})"
    return None


def check(properties: dict[str, Any]) -> None:
    found = problem(properties)
    if found:
        raise DynamoDBValidationException(f"{found[0].upper()}{found[1:]} [{ID}, {DOC_URL}]")


def apply(patcher: Patcher) -> None:
    wrap_global_table(patcher, check)
