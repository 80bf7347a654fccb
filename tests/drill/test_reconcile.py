"""Reconciliation after failback (eventual ledger): every double charge voided once, every missing
record restored from the region that charged it, nothing overwritten, reruns change nothing."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from localaws.testing import mock_aws
from payinfra.config import load_context
from payinfra.recovery.reconcile import CHARGED, VOIDED, reconcile

REGIONS = ("us-east-1", "us-east-2")


@pytest.fixture
def ctx() -> Any:
    return load_context(overrides=['recovery.ledger_consistency="eventual"'])


def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


def _tables(ctx: Any) -> None:
    for region in REGIONS:
        ddb = _client("dynamodb", region)
        ddb.create_table(
            TableName=ctx.names.concrete("audit_table"),
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "payment_id", "AttributeType": "S"},
                {"AttributeName": "region", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "payment_id", "KeyType": "HASH"},
                {"AttributeName": "region", "KeyType": "RANGE"},
            ],
        )
        ddb.create_table(
            TableName=ctx.names.concrete("ledger_table"),
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        )


def _charge(ctx: Any, region: str, payment_id: str, at: str, *, ledger: bool = True) -> None:
    ddb = _client("dynamodb", region)
    ddb.put_item(
        TableName=ctx.names.concrete("audit_table"),
        Item={"payment_id": {"S": payment_id}, "region": {"S": region}, "recorded_at": {"S": at},
              "status": {"S": CHARGED}},
    )
    if ledger:
        ddb.put_item(
            TableName=ctx.names.concrete("ledger_table"),
            Item={"payment_id": {"S": payment_id}, "region": {"S": region}, "amount": {"S": "10.00"}},
        )


def _status(ctx: Any, region: str, payment_id: str) -> str:
    item = _client("dynamodb", region).get_item(
        TableName=ctx.names.concrete("audit_table"),
        Key={"payment_id": {"S": payment_id}, "region": {"S": region}},
    )["Item"]
    return str(item["status"]["S"])


def test_double_charge_is_voided_once_and_missing_record_restored(ctx: Any) -> None:
    with mock_aws():
        _tables(ctx)
        _charge(ctx, "us-east-1", "pay-1", "2026-12-01T10:00:00.000000Z")  # replicated: in both
        _charge(ctx, "us-east-2", "pay-1", "2026-12-01T10:00:01.000000Z", ledger=False)
        _charge(ctx, "us-east-1", "pay-2", "2026-12-01T10:00:02.000000Z")  # only the old region
        _charge(ctx, "us-east-2", "pay-3", "2026-12-01T10:00:03.000000Z")  # new region only
        _client("dynamodb", "us-east-2").put_item(
            TableName=ctx.names.concrete("ledger_table"), Item={"payment_id": {"S": "pay-1"}}
        )

        first = reconcile(ctx, _client, serving="us-east-2")

        assert first.needed
        assert first.double_recorded == ["pay-1"]
        assert first.voided == ["pay-1@us-east-2"]  # the later charge goes; the first stands
        assert _status(ctx, "us-east-1", "pay-1") == CHARGED
        assert _status(ctx, "us-east-2", "pay-1") == VOIDED
        assert first.missing == ["pay-2"] and first.restored == ["pay-2"] and first.lost == []
        assert first.duplicates == []
        assert first.effective_charges == {"pay-1": 1, "pay-2": 1, "pay-3": 1}

        again = reconcile(ctx, _client, serving="us-east-2")
        assert again.voided == [] and again.restored == [] and again.missing == []
        assert again.double_recorded == ["pay-1"] and again.duplicates == []


def test_a_charge_found_in_no_ledger_is_reported_lost(ctx: Any) -> None:
    with mock_aws():
        _tables(ctx)
        _charge(ctx, "us-east-1", "pay-9", "2026-12-01T10:00:00.000000Z", ledger=False)
        result = reconcile(ctx, _client, serving="us-east-2")
        assert result.lost == ["pay-9"]


def test_strong_ledger_needs_no_reconciliation() -> None:
    assert reconcile(load_context(), _client, serving="us-east-2").needed is False
