"""The payments ledger: one DynamoDB item per payment id, written exactly once.

`record` is a single conditional PutItem (`attribute_not_exists(payment_id)`). When the id exists,
DynamoDB returns the stored item with the failure (ReturnValuesOnConditionCheckFailure=ALL_OLD), so
a duplicate costs no second call: same fingerprint = duplicate (original outcome returned),
different fingerprint = conflict. Nothing is ever overwritten.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, cast

from botocore.exceptions import BotoCoreError, ClientError

from .observability import utc_second
from .validation import Payment

# Error codes worth retrying: throttling, capacity and server-side faults.
TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)
PUBLIC_FIELDS = (
    "payment_id",
    "account_id",
    "amount",
    "amount_minor",
    "currency",
    "type",
    "created_at",
    "status",
    "region",
    "recorded_at",
)


class Outcome(StrEnum):
    """What happened to one submitted payment: the ledger decides the first three."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class LedgerResult:
    outcome: Outcome
    item: dict[str, Any]  # the stored item, DynamoDB-typed

    @property
    def record(self) -> dict[str, Any]:
        """The stored record's public fields (built on demand: the SQS path never needs it)."""
        return public_record(self.item)


class LedgerUnavailable(RuntimeError):
    """The ledger could not be read or written; `transient` says whether a retry may succeed."""

    def __init__(self, cause: str, *, transient: bool):
        super().__init__(cause)
        self.transient = transient


class DynamoDbClient(Protocol):
    def put_item(self, **kwargs: Any) -> dict[str, Any]: ...
    def get_item(self, **kwargs: Any) -> dict[str, Any]: ...


def fingerprint(payment: Payment) -> str:
    """SHA-256 of the identity fields; the unit separator cannot occur in any validated field."""
    return hashlib.sha256("\x1f".join(payment.canonical()).encode()).hexdigest()


def _utc_now_text(now: float) -> str:
    return f"{utc_second(int(now))}.{int(now % 1 * 1_000_000):06d}Z"


class Ledger:
    """Region-local, idempotent store of accepted payments."""

    def __init__(
        self,
        dynamodb: DynamoDbClient,
        table_name: str,
        *,
        region: str,
        clock: Callable[[], float] = time.time,
    ):
        self._dynamodb = dynamodb
        self._table = table_name
        self._region = region
        self._clock = clock

    def record(self, payment: Payment, *, source: str, source_id: str | None = None) -> LedgerResult:
        item = self._item(payment, source=source, source_id=source_id)
        try:
            self._dynamodb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(payment_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _unavailable(exc) from exc
            # ReturnValuesOnConditionCheckFailure=ALL_OLD puts the stored item in the error
            # response, a key botocore's error TypedDict does not declare.
            old = cast("dict[str, Any] | None", exc.response.get("Item"))
            stored = old or self._get_item(payment.payment_id)
            if stored is None:  # deleted between the two calls: treat as a retryable race
                raise LedgerUnavailable(
                    "payment vanished after a conditional failure", transient=True
                ) from exc
            same = stored.get("fingerprint", {}).get("S") == item["fingerprint"]["S"]
            return LedgerResult(Outcome.DUPLICATE if same else Outcome.CONFLICT, stored)
        except BotoCoreError as exc:
            raise _unavailable(exc) from exc
        return LedgerResult(Outcome.CREATED, item)

    def get(self, payment_id: str) -> dict[str, Any] | None:
        try:
            stored = self._get_item(payment_id)
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc
        return public_record(stored) if stored is not None else None

    def _get_item(self, payment_id: str) -> dict[str, Any] | None:
        response = self._dynamodb.get_item(
            TableName=self._table, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True
        )
        return response.get("Item")

    def _item(self, payment: Payment, *, source: str, source_id: str | None) -> dict[str, dict[str, str]]:
        item = {
            "payment_id": {"S": payment.payment_id},
            "account_id": {"S": payment.account_id},
            "amount": {"S": payment.amount},
            "amount_minor": {"N": str(payment.amount_minor)},
            "currency": {"S": payment.currency},
            "type": {"S": payment.type},
            "created_at": {"S": payment.created_at},
            "status": {"S": "recorded"},
            "region": {"S": self._region},
            "recorded_at": {"S": _utc_now_text(self._clock())},
            "source": {"S": source},
            "fingerprint": {"S": fingerprint(payment)},
        }
        if source_id:
            item["source_message_id"] = {"S": source_id}
        return item


def public_record(item: dict[str, Any]) -> dict[str, Any]:
    """The stored item as plain JSON values, internal attributes left out."""
    record: dict[str, Any] = {}
    for name in PUBLIC_FIELDS:
        attribute = item.get(name)
        if attribute is None:
            continue
        if "N" in attribute:
            record[name] = int(attribute["N"])
        else:
            record[name] = attribute.get("S")
    return record


def _unavailable(exc: ClientError | BotoCoreError) -> LedgerUnavailable:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        return LedgerUnavailable(f"DynamoDB {code}", transient=code in TRANSIENT_ERROR_CODES)
    return LedgerUnavailable(f"DynamoDB {type(exc).__name__}", transient=True)
