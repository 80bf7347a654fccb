"""DDB003: an MRSC global table is formed from an empty table, with 3 members in one region set,
and a global table's consistency mode never changes.

DynamoDB global tables: "You cannot change a global table's consistency mode after creation";
MultiRegionConsistency is "only valid when you create a global table"; an MRSC table has three
replicas, or two replicas and a witness, within one region set (DDB002's sets), and the table must
be empty when MRSC is enabled (AWS's MRSC walkthrough). moto ignored all three UpdateTable fields;
the emulator's global tables (`global_tables.py`) would otherwise form any group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws.aws_errors import DynamoDBValidationException
from localaws.patching import Patcher
from localaws.services.dynamodb.global_tables import GlobalTables, Group

from . import global_table_strong

ID = "DDB003"
TITLE = "an MRSC global table starts empty with 3 members in one region set; the mode never changes"
DOC_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html"
)
MODE_DOC_URL = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html"


def problem(current: Group, planned: Group, table_empty: bool) -> str | None:
    """Why AWS refuses turning `current` into `planned`, or None."""
    established = len(current.replicas) > 1 or current.witness is not None
    if established and planned.consistency != current.consistency:
        return (
            f"the consistency mode of global table {current.table} is {current.consistency}: a global "
            f"table's consistency mode cannot be changed after creation ({MODE_DOC_URL})"
        )
    if planned.consistency != "STRONG":
        return None
    if established and len(planned.replicas) == 1 and planned.witness is None:
        # Removing a replica and the witness together leaves a single-Region table:
        # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteGlobalTableWitnessGroupMemberAction.html
        return None
    if not established and not table_empty:
        return (
            f"table {current.table} must be empty to become a multi-Region strongly consistent global table"
        )
    properties = {
        "MultiRegionConsistency": "STRONG",
        "Replicas": [{"Region": region} for region in planned.replicas],
        "GlobalTableWitnesses": [{"Region": planned.witness}] if planned.witness else [],
    }
    return global_table_strong.problem(properties)


def _wrap_plan(original: Callable[..., Group]) -> Callable[..., Group]:
    def plan(
        self: GlobalTables, current: Group, region: str, body: dict[str, Any], table_empty: bool
    ) -> Group:
        planned = original(self, current, region, body, table_empty)
        found = problem(current, planned, table_empty)
        if found:
            raise DynamoDBValidationException(f"{found[0].upper()}{found[1:]} [{ID}, {DOC_URL}]")
        return planned

    return plan


def apply(patcher: Patcher) -> None:
    patcher.replace(GlobalTables, "plan", _wrap_plan(GlobalTables.plan))
