"""DDB001 (MREC global table with replicas needs a stream) and DDB002 (MRSC: 3 members, one region set)."""

from __future__ import annotations

from typing import Any

import pytest

from ...rules.support import STRICT_OR_NOT, stack_outcome, strict, strict_unless


def _table(
    replicas: list[str], *, stream: bool, consistency: str | None = None, witness: str | None = None
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "TableName": "sessions",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "Replicas": [{"Region": region} for region in replicas],
    }
    if stream:
        properties["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    if consistency:
        properties["MultiRegionConsistency"] = consistency
    if witness:
        properties["GlobalTableWitnesses"] = [{"Region": witness}]
    return {"Resources": {"Table": {"Type": "AWS::DynamoDB::GlobalTable", "Properties": properties}}}


# -- DDB001 -----------------------------------------------------------------------------------------
@STRICT_OR_NOT
def test_an_eventually_consistent_global_table_with_two_replicas_and_no_stream_fails(is_strict: bool) -> None:
    with strict_unless(is_strict, "DDB001") as client:
        status, reasons = stack_outcome(client, "gt", _table(["us-east-1", "us-east-2"], stream=False))
        if not is_strict:
            assert status == "CREATE_COMPLETE"
            return
        assert status == "ROLLBACK_COMPLETE"
        assert "ValidationException" in reasons and "StreamSpecification" in reasons and "DDB001" in reasons
        assert client("dynamodb", "us-east-2").list_tables()["TableNames"] == []


@pytest.mark.parametrize(
    ("replicas", "stream"),
    [(["us-east-1", "us-east-2"], True), (["us-east-1"], False)],
    ids=["streamed", "one-replica"],
)
def test_a_streamed_or_single_replica_global_table_is_created(replicas: list[str], stream: bool) -> None:
    with strict() as client:
        assert stack_outcome(client, "gt", _table(replicas, stream=stream))[0] == "CREATE_COMPLETE"


# -- DDB002 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("replicas", "witness"),
    [(["us-east-1", "us-east-2", "us-west-2"], None), (["us-east-1", "us-east-2"], "us-west-2")],
    ids=["three-replicas", "two-replicas-and-witness"],
)
def test_a_strongly_consistent_table_with_three_members_in_one_set_needs_no_stream(
    replicas: list[str], witness: str | None
) -> None:
    with strict() as client:
        template = _table(replicas, stream=False, consistency="STRONG", witness=witness)
        assert stack_outcome(client, "gt", template)[0] == "CREATE_COMPLETE"
        assert client("dynamodb", "us-east-2").list_tables()["TableNames"] == ["sessions"]


@STRICT_OR_NOT
@pytest.mark.parametrize(
    ("replicas", "witness", "why"),
    [
        (["us-east-1", "us-east-2"], None, "exactly three members"),
        (["us-east-1", "us-east-2", "us-west-2"], "us-west-2", "exactly three members"),
        (["us-east-1", "us-east-2"], "us-east-2", "three different regions"),
        (["us-east-1", "us-east-2"], "eu-west-1", "not within one region set"),
    ],
    ids=["two", "four", "witness-in-a-replica-region", "two-sets"],
)
def test_a_strongly_consistent_table_outside_the_three_member_region_set_rule_fails(
    is_strict: bool, replicas: list[str], witness: str | None, why: str
) -> None:
    with strict_unless(is_strict, "DDB002") as client:
        template = _table(replicas, stream=False, consistency="STRONG", witness=witness)
        status, reasons = stack_outcome(client, "gt", template)
        if not is_strict:
            assert status == "CREATE_COMPLETE"
            return
        assert status == "ROLLBACK_COMPLETE"
        assert why in reasons and "DDB002" in reasons
