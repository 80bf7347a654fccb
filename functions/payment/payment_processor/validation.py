"""Strict validation of a payment event, independent of how it arrived (SQS or ALB).

Every problem is reported as a `FieldError` naming the field and the rule it breaks; the offending
value is never echoed (it could be a card number or megabytes of junk). A payment that passes is
returned in canonical form: amount quantized to the currency's minor units, timestamp in UTC.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .config import PaymentConfig
from .currencies import minor_units
from .limits import MAX_BODY_BYTES

MAX_REPORTED_ERRORS = 20
PAYMENT_TYPES = ("authorize", "capture", "refund", "void")
REQUIRED_FIELDS = ("payment_id", "account_id", "amount", "currency", "type", "created_at")
_KNOWN_FIELDS = frozenset(REQUIRED_FIELDS)
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_AMOUNT = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,18})?")
# RFC 3339 with a mandatory offset; fromisoformat() does the calendar checks.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One broken rule: `field` is the JSON key (or `body`), `reason` says what is expected."""

    field: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Payment:
    """A validated payment in canonical form (every text field is final, ready to store)."""

    payment_id: str
    account_id: str
    amount: str  # quantized to the currency's minor units: "125.50", "9800"
    amount_minor: int  # the same amount in minor units: 12550, 9800
    currency: str
    type: str
    created_at: str  # UTC, microseconds: "2026-01-15T10:30:00.000000Z"

    def canonical(self) -> tuple[str, ...]:
        """The fields that define the payment's identity (duplicates compare these)."""
        return (self.payment_id, self.account_id, self.amount, self.currency, self.type, self.created_at)


def parse_body(body: object, *, max_bytes: int = MAX_BODY_BYTES) -> tuple[object, tuple[FieldError, ...]]:
    """Decode a JSON text body; NaN/Infinity and over-deep nesting are errors, not values."""
    if not isinstance(body, str):
        return None, (FieldError("body", "must be a JSON text"),)
    if len(body) > max_bytes or len(body.encode("utf-8", "surrogatepass")) > max_bytes:
        return None, (FieldError("body", f"must be at most {max_bytes} bytes"),)
    try:
        return json.loads(body, parse_constant=_reject_constant), ()
    except (ValueError, RecursionError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        return None, (FieldError("body", f"is not valid JSON{where}"),)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed")


def validate_payment(
    data: object, config: PaymentConfig, *, now: datetime | None = None
) -> tuple[Payment | None, tuple[FieldError, ...]]:
    """Return the canonical payment, or every reason it is invalid."""
    if not isinstance(data, dict):
        return None, (FieldError("body", "must be a JSON object"),)
    errors: list[FieldError] = []
    unknown = [key for key in data if key not in _KNOWN_FIELDS]
    for key in unknown[: MAX_REPORTED_ERRORS // 2]:
        errors.append(FieldError(_safe_name(key), "is not a known field"))
    if len(unknown) > MAX_REPORTED_ERRORS // 2:
        errors.append(FieldError("body", f"has {len(unknown)} unknown fields"))
    for name in REQUIRED_FIELDS:
        if name not in data:
            errors.append(FieldError(name, "is required"))

    payment_id = _identifier(data, "payment_id", errors)
    account_id = _identifier(data, "account_id", errors)
    currency = _currency(data, config, errors)
    amount = _amount(data, config, currency, errors)
    payment_type = _choice(data, "type", PAYMENT_TYPES, errors)
    created_at = _timestamp(data, now or datetime.now(UTC), errors)
    if errors:
        return None, tuple(errors)
    assert payment_id and account_id and currency and amount is not None and payment_type and created_at
    places = minor_units(currency) or 0
    payment = Payment(
        payment_id=payment_id,
        account_id=account_id,
        amount=f"{amount:f}",
        amount_minor=int(amount.scaleb(places)),
        currency=currency,
        type=payment_type,
        created_at=created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    )
    return payment, ()


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def _safe_name(key: str) -> str:
    """A field name fit for an error body and a log line: short, plain characters only."""
    cleaned = _UNSAFE_NAME.sub("?", key[:64])
    return cleaned + ("..." if len(key) > 64 else "") if cleaned else "?"


def _string(data: dict[str, Any], name: str, errors: list[FieldError]) -> str | None:
    value = data.get(name)
    if value is None:
        if name in data:
            errors.append(FieldError(name, "must not be null"))
        return None
    if not isinstance(value, str):
        errors.append(FieldError(name, f"must be a string, not {_json_type(value)}"))
        return None
    return value


def _identifier(data: dict[str, Any], name: str, errors: list[FieldError]) -> str | None:
    value = _string(data, name, errors)
    if value is not None and not ID_PATTERN.fullmatch(value):
        errors.append(
            FieldError(name, "must be 1-64 characters: letters, digits, '_' or '-', starting alphanumeric")
        )
        return None
    return value


def _currency(data: dict[str, Any], config: PaymentConfig, errors: list[FieldError]) -> str | None:
    value = _string(data, "currency", errors)
    if value is not None and value not in config.currencies:
        errors.append(FieldError("currency", f"must be one of {', '.join(sorted(config.currencies))}"))
        return None
    return value


def _amount(
    data: dict[str, Any], config: PaymentConfig, currency: str | None, errors: list[FieldError]
) -> Decimal | None:
    amount, reason = _parse_amount(data.get("amount"), "amount" in data, config)
    if reason is None and amount is not None and currency is not None:
        places = minor_units(currency) or 0
        if -int(amount.as_tuple().exponent) > places:
            reason = f"must have at most {places} decimal places for {currency}"
        else:
            amount = amount.quantize(Decimal(1).scaleb(-places))
    if reason is not None:
        errors.append(FieldError("amount", reason))
        return None
    return amount if currency is not None else None


def _parse_amount(value: object, present: bool, config: PaymentConfig) -> tuple[Decimal | None, str | None]:
    """(amount, None) or (None, reason); (None, None) when absent (reported as required)."""
    if value is None:
        return None, ("must not be null" if present else None)
    if not isinstance(value, str):
        return None, f'must be a decimal string such as "12.50", not {_json_type(value)}'
    if not _AMOUNT.fullmatch(value):
        return None, 'must be a plain non-negative decimal string such as "12.50"'
    amount = Decimal(value)  # the pattern admits only plain decimals
    if amount <= 0:
        return None, "must be greater than 0"
    if amount > config.max_amount:
        return None, f"must be at most {config.max_amount:f}"
    return amount, None


def _choice(
    data: dict[str, Any], name: str, choices: tuple[str, ...], errors: list[FieldError]
) -> str | None:
    value = _string(data, name, errors)
    if value is not None and value not in choices:
        errors.append(FieldError(name, f"must be one of {', '.join(choices)}"))
        return None
    return value


def _timestamp(data: dict[str, Any], now: datetime, errors: list[FieldError]) -> datetime | None:
    value = _string(data, "created_at", errors)
    if value is None:
        return None
    if not _TIMESTAMP.fullmatch(value):
        errors.append(
            FieldError("created_at", "must be an RFC 3339 timestamp with offset, e.g. 2026-01-31T12:00:00Z")
        )
        return None
    try:
        parsed = datetime.fromisoformat(value).astimezone(UTC)
    except (ValueError, OverflowError):  # e.g. Feb 30, or year 1 shifted out of range by its offset
        errors.append(FieldError("created_at", "is not a valid calendar date and time"))
        return None
    if parsed < EARLIEST:
        errors.append(FieldError("created_at", "must not be before 2000-01-01"))
        return None
    if parsed > now + CLOCK_SKEW:
        errors.append(FieldError("created_at", "must not be more than 5 minutes in the future"))
        return None
    return parsed


def _json_type(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a " + type(value).__name__
