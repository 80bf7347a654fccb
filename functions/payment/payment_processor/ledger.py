"""The payments ledger: one DynamoDB item per payment id, written exactly once.

Strong mode (a multi-Region strongly consistent global table, the default): `record` is a single
conditional PutItem (`attribute_not_exists(payment_id)`); the condition holds across regions.
Eventual mode (an eventually consistent global table plus a region-local audit table): `record` is
one TransactWriteItems of the same conditional put and an audit entry (payment_id, region), so a
payment recorded again in a second region during the replication window shows up at reconciliation.
Either way, when the id exists DynamoDB returns the stored item with the failure
(ReturnValuesOnConditionCheckFailure=ALL_OLD), so a duplicate costs no second call: same fingerprint
= duplicate (original outcome returned), different fingerprint = conflict. Nothing is overwritten.
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
        # Multi-Region strong consistency: another region is writing the same item; retry-safe.
        # https://docs.aws.amazon.com/botocore/latest/reference/services/dynamodb/client/exceptions/ReplicatedWriteConflictException.html
        "ReplicatedWriteConflictException",
    }
)
# TransactWriteItems cancellation reason codes worth retrying (the others, ValidationError and
# ItemCollectionSizeLimitExceeded, fail the same way again); ConditionalCheckFailed is the
# duplicate path. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
TRANSIENT_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError"}
)
# A key no payment can have (validation allows no '#'): the health check's one cheap read.
HEALTH_PROBE_KEY = {"payment_id": {"S": "healthz#probe"}}
AUDIT_STATUS_CHARGED = "charged"
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
    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]: ...


def fingerprint(payment: Payment) -> str:
    """SHA-256 of the identity fields; the unit separator cannot occur in any validated field."""
    return hashlib.sha256("\x1f".join(payment.canonical()).encode()).hexdigest()


def _utc_now_text(now: float) -> str:
    return f"{utc_second(int(now))}.{int(now % 1 * 1_000_000):06d}Z"


class Ledger:
    """Idempotent store of accepted payments (the region's replica of the global table)."""

    def __init__(
        self,
        dynamodb: DynamoDbClient,
        table_name: str,
        *,
        region: str,
        audit_table: str | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._dynamodb = dynamodb
        self._table = table_name
        self._region = region
        self._audit_table = audit_table
        self._clock = clock

    def record(self, payment: Payment, *, source: str, source_id: str | None = None) -> LedgerResult:
        item = self._item(payment, source=source, source_id=source_id)
        put = {
            "TableName": self._table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(payment_id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            if self._audit_table is None:
                self._dynamodb.put_item(**put)
            else:
                audit = {"TableName": self._audit_table, "Item": audit_item(item)}
                self._dynamodb.transact_write_items(TransactItems=[{"Put": put}, {"Put": audit}])
        except ClientError as exc:
            old = _existing_item(exc)
            if old is _NOT_A_DUPLICATE:
                raise _unavailable(exc) from exc
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

    def probe(self) -> None:
        """One cheap read for the health check: an eventually consistent GetItem of a key no
        payment has (half a read unit; a data-plane call that fails when the table cannot serve,
        unlike DescribeTable, a control-plane call with its own low request-rate quota).
        Raises `LedgerUnavailable`.
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
        """
        try:
            self._dynamodb.get_item(TableName=self._table, Key=HEALTH_PROBE_KEY)
        except (ClientError, BotoCoreError) as exc:
            raise _unavailable(exc) from exc

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


def audit_item(item: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The audit entry of a ledger item: what reconciliation compares across regions."""
    return {
        name: item[name]
        for name in ("payment_id", "region", "recorded_at", "fingerprint", "amount_minor", "currency")
    } | {"status": {"S": AUDIT_STATUS_CHARGED}}


_NOT_A_DUPLICATE: dict[str, Any] = {}  # a sentinel, compared by identity


def _existing_item(exc: ClientError) -> dict[str, Any] | None:
    """The stored item when the failure says the payment id exists (None: exists, item not
    returned), `_NOT_A_DUPLICATE` for any other failure.

    ReturnValuesOnConditionCheckFailure=ALL_OLD puts the item in the error response (`Item` for
    PutItem, the ledger put's `CancellationReasons[0].Item` for TransactWriteItems), keys
    botocore's error TypedDict does not declare.
    """
    response = cast("dict[str, Any]", exc.response)
    code = response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return cast("dict[str, Any] | None", response.get("Item"))
    if code == "TransactionCanceledException":
        reasons = response.get("CancellationReasons") or []
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            return cast("dict[str, Any] | None", reasons[0].get("Item"))
    return _NOT_A_DUPLICATE


def _unavailable(exc: ClientError | BotoCoreError) -> LedgerUnavailable:
    if isinstance(exc, ClientError):
        response = cast("dict[str, Any]", exc.response)
        code = response.get("Error", {}).get("Code", "Unknown")
        if code == "TransactionCanceledException":
            reasons = [r.get("Code", "None") for r in response.get("CancellationReasons") or []]
            failing = [r for r in reasons if r != "None"]
            transient = bool(failing) and all(r in TRANSIENT_CANCELLATION_CODES for r in failing)
            return LedgerUnavailable(f"DynamoDB {code} {failing}", transient=transient)
        return LedgerUnavailable(f"DynamoDB {code}", transient=code in TRANSIENT_ERROR_CODES)
    return LedgerUnavailable(f"DynamoDB {type(exc).__name__}", transient=True)
