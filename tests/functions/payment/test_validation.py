"""Validation rules, one behaviour per test, on the pure core (no AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pycountry
import pytest
from payment_processor.config import PaymentConfig
from payment_processor.currencies import MINOR_UNITS, minor_units
from payment_processor.validation import MAX_BODY_BYTES, parse_body, validate_payment

from .support import payment

CONFIG = PaymentConfig(
    api_endpoint="https://api.example.com",
    max_amount=Decimal("50000.00"),
    currencies=frozenset({"USD", "JPY", "KWD"}),
)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def fields(data: object) -> dict[str, str]:
    result, errors = validate_payment(data, CONFIG, now=NOW)
    assert result is None, "expected the payment to be rejected"
    return {e.field: e.reason for e in errors}


def test_valid_payment_is_canonicalised() -> None:
    result, errors = validate_payment(
        payment(amount="7.5", created_at="2026-01-15T12:30:00+02:00"), CONFIG, now=NOW
    )

    assert errors == ()
    assert result is not None
    assert result.amount == "7.50"
    assert result.amount_minor == 750
    assert result.created_at == "2026-01-15T10:30:00.000000Z"


@pytest.mark.parametrize(
    ("currency", "amount", "minor"), [("JPY", "9800", 9800), ("KWD", "1.125", 1125), ("USD", "0.01", 1)]
)
def test_minor_units_follow_the_currency(currency: str, amount: str, minor: int) -> None:
    result, errors = validate_payment(payment(currency=currency, amount=amount), CONFIG, now=NOW)

    assert errors == () and result is not None and result.amount_minor == minor


@pytest.mark.parametrize(
    ("overrides", "field", "reason_part"),
    [
        ({"amount": "12.345"}, "amount", "at most 2 decimal places for USD"),
        ({"amount": "1.5", "currency": "JPY"}, "amount", "at most 0 decimal places for JPY"),
        ({"amount": "-5.00"}, "amount", "plain non-negative decimal"),
        ({"amount": "0.00"}, "amount", "greater than 0"),
        ({"amount": "50000.01"}, "amount", "at most 50000.00"),
        ({"amount": "NaN"}, "amount", "plain non-negative decimal"),
        ({"amount": "1e3"}, "amount", "plain non-negative decimal"),
        ({"amount": 12.5}, "amount", "not a number"),
        ({"amount": True}, "amount", "not a boolean"),
        ({"amount": None}, "amount", "must not be null"),
        ({"currency": "usd"}, "currency", "must be one of JPY, KWD, USD"),
        ({"currency": "EUR"}, "currency", "must be one of"),
        ({"type": "chargeback"}, "type", "authorize, capture, refund, void"),
        ({"payment_id": "pay 1"}, "payment_id", "1-64 characters"),
        ({"payment_id": "p" * 65}, "payment_id", "1-64 characters"),
        ({"payment_id": ""}, "payment_id", "1-64 characters"),
        ({"account_id": 42}, "account_id", "must be a string, not a number"),
        ({"created_at": "2026-01-15"}, "created_at", "RFC 3339"),
        ({"created_at": "2026-01-15T10:30:00"}, "created_at", "RFC 3339"),  # no offset
        ({"created_at": "2026-02-30T10:30:00Z"}, "created_at", "calendar"),
        ({"created_at": "2026-06-01T00:06:00Z"}, "created_at", "future"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at", "calendar"),  # overflows in UTC
        ({"created_at": "9999-12-31T23:59:59-01:00"}, "created_at", "calendar"),
        ({"created_at": "1999-12-31T23:59:59Z"}, "created_at", "before 2000-01-01"),
    ],
)
def test_each_rule_names_its_field(overrides: dict[str, object], field: str, reason_part: str) -> None:
    errors = fields(payment(**overrides))

    assert field in errors
    assert reason_part in errors[field]


def test_missing_and_unknown_fields_are_all_reported() -> None:
    data = payment()
    del data["amount"], data["type"]
    data["card_number"] = "4111111111111111"

    errors = fields(data)

    assert errors == {"amount": "is required", "type": "is required", "card_number": "is not a known field"}


def test_hostile_field_names_are_shortened_and_sanitised() -> None:
    errors = fields({**payment(), "x" * 500: 1, "<script>": 2})

    assert "x" * 64 + "..." in errors
    assert "?script?" in errors


def test_many_unknown_fields_are_summarised() -> None:
    errors = fields({**payment(), **{f"extra{i}": i for i in range(50)}})

    assert len(errors) <= 12
    assert errors["body"] == "has 50 unknown fields"


def test_reasons_never_echo_the_value() -> None:
    secret = "4111 1111 1111 1111"
    _, errors = validate_payment(payment(account_id=secret, amount=secret, currency=secret), CONFIG, now=NOW)

    assert errors and all(secret not in e.reason for e in errors)


@pytest.mark.parametrize("data", [None, [], "payment", 42, [payment()]])
def test_non_object_payload_is_rejected(data: object) -> None:
    assert fields(data) == {"body": "must be a JSON object"}


@pytest.mark.parametrize(
    ("body", "reason_part"),
    [
        ('{"amount": NaN}', "not valid JSON"),
        ('{"amount": Infinity}', "not valid JSON"),
        ("{", "not valid JSON at line 1"),
        ("[" * 100_00 + "]" * 100_00, "bytes"),
        ("[" * 3000 + "]" * 3000, "not valid JSON"),  # deeper than the recursion limit, under the size limit
        ("x" * (MAX_BODY_BYTES + 1), f"at most {MAX_BODY_BYTES} bytes"),
        ("é" * (MAX_BODY_BYTES // 2 + 1), "bytes"),  # counted in UTF-8 bytes, not characters
    ],
)
def test_parse_body_rejects_hostile_text(body: str, reason_part: str) -> None:
    data, errors = parse_body(body)

    assert data is None
    assert len(errors) == 1 and errors[0].field == "body" and reason_part in errors[0].reason


def test_parse_body_requires_text() -> None:
    assert parse_body(b'{"a": 1}')[1][0].reason == "must be a JSON text"


def test_parse_body_accepts_json() -> None:
    assert parse_body(json.dumps(payment())) == (payment(), ())


def test_currency_table_is_iso_4217() -> None:
    iso_codes = {currency.alpha_3 for currency in pycountry.currencies}

    assert set(MINOR_UNITS) <= iso_codes
    assert minor_units("JPY") == 0 and minor_units("USD") == 2 and minor_units("BHD") == 3
    assert minor_units("XAU") is None  # gold has no minor units: not a payment currency
