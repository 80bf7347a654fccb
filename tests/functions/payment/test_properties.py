"""Property-based tests: thousands of malformed and hostile inputs, none of which may escape.

Invariants: no exception leaves the handler; nothing is written for an invalid record; every
rejection names a field and a reason; valid records are written exactly once. Malformed inputs
are generated to be invalid by construction (a valid payment with one field broken, or junk).
"""

from __future__ import annotations

import base64
import itertools
import json
import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from payment_processor.config import PaymentConfig
from payment_processor.function import PaymentFunction
from payment_processor.observability import EmfMetrics, JsonLogger
from payment_processor.settings import Settings
from payment_processor.validation import ID_PATTERN, PAYMENT_TYPES, REQUIRED_FIELDS, validate_payment

from .support import CURRENCIES, ENDPOINT, MAX_AMOUNT, CallLog, LambdaContext, Region, sqs_record

ALLOWED = frozenset(CURRENCIES.split(","))
CONFIG = PaymentConfig(ENDPOINT, Decimal(MAX_AMOUNT), ALLOWED)
FIXTURES_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
_ids = itertools.count()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
not_strings = json_values.filter(lambda v: not isinstance(v, str) and v is not None)


def _past(days: int) -> str:
    return (datetime(2026, 1, 1, tzinfo=UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


@st.composite
def valid_payments(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(sorted(ALLOWED)))
    places = 0 if currency == "JPY" else 2
    minor = draw(st.integers(min_value=1, max_value=int(Decimal(MAX_AMOUNT).scaleb(places))))
    return {
        "payment_id": f"pay_{next(_ids)}",  # unique across examples: no accidental conflicts
        "account_id": "acct_"
        + draw(st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20)),
        "amount": f"{Decimal(minor).scaleb(-places):f}",
        "currency": currency,
        "type": draw(st.sampled_from(PAYMENT_TYPES)),
        "created_at": _past(draw(st.integers(min_value=0, max_value=3000))),
    }


BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "payment_id": not_strings
    | st.text(max_size=80).filter(lambda s: not ID_PATTERN.fullmatch(s))
    | st.just("p" * 65),
    "account_id": not_strings | st.text(max_size=80).filter(lambda s: not ID_PATTERN.fullmatch(s)),
    "amount": not_strings
    | st.sampled_from(
        ["-1.00", "0", "0.00", "NaN", "Infinity", "1e3", "12.345", " 1.00", "1,00", "", "50000.01"]
    )
    | st.decimals(min_value=Decimal("50000.01"), max_value=Decimal(10**15), places=2).map(lambda d: f"{d:f}")
    | st.text(max_size=30).filter(lambda s: not s.replace(".", "", 1).isdigit()),
    "currency": not_strings | st.text(max_size=6).filter(lambda c: c not in ALLOWED),
    "type": not_strings | st.text(max_size=20).filter(lambda t: t not in PAYMENT_TYPES),
    "created_at": not_strings
    | st.sampled_from(
        ["2026-13-01T00:00:00Z", "2026-01-01", "2026-01-01T00:00:00", "2999-01-01T00:00:00Z", ""]
    )
    | st.text(max_size=40),
}


@st.composite
def broken_payments(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid payment with exactly one thing wrong, and the field that must be named."""
    data = draw(valid_payments())
    kind = draw(st.sampled_from(["bad", "missing", "null", "unknown"]))
    field = draw(st.sampled_from(REQUIRED_FIELDS))
    if kind == "bad":
        data[field] = draw(BAD_VALUES[field])
    elif kind == "missing":
        del data[field]
    elif kind == "null":
        data[field] = None
    else:
        field = draw(
            st.from_regex(r"[a-z_]{1,20}", fullmatch=True).filter(lambda f: f not in REQUIRED_FIELDS)
        )
        data[field] = draw(json_values)
    return data, field


junk_bodies = st.one_of(
    st.text(max_size=200),  # mostly broken JSON
    json_values.map(json.dumps),  # JSON, but not a payment object
    st.integers(min_value=16_385, max_value=40_000).map(lambda n: '"' + "a" * n + '"'),  # too large
    st.integers(min_value=1_000, max_value=5_000).map(lambda n: "[" * n + "]" * n),  # too deep
    st.sampled_from(['{"amount": NaN}', "{", "null", "[]", '{"payment_id": 1e999}']),
)


@st.composite
def sqs_bodies(draw: st.DrawFn) -> tuple[str, str | None]:
    """(body, expectation): 'valid', or the field a rejection must name ('*' = any field)."""
    choice = draw(st.sampled_from(["valid", "broken", "junk"]))
    if choice == "valid":
        return json.dumps(draw(valid_payments())), "valid"
    if choice == "broken":
        data, field = draw(broken_payments())
        try:
            return json.dumps(data, allow_nan=False), field
        except ValueError:  # a NaN/Infinity value makes the whole body invalid JSON
            return json.dumps(data), "body"
    return draw(junk_bodies), "*"


class RecordingQueue:
    """Stands in for the DLQ client in the hot property loops (SendMessage calls are recorded)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, Any]:
        self.sent.append(kwargs)
        return {"MessageId": str(len(self.sent))}


class NullStream:
    def write(self, text: str) -> int:
        return len(text)


@pytest.fixture
def quiet_function(region: Region) -> tuple[PaymentFunction, RecordingQueue, CallLog]:
    """A function on moto DynamoDB/SSM with a recording DLQ and logs discarded (speed)."""
    from .support import SESSION

    queue, calls = RecordingQueue(), CallLog()
    settings_ = Settings.from_env()
    function = PaymentFunction(
        settings_,
        dynamodb=SESSION.create_client("dynamodb", region_name=settings_.region),
        ssm=SESSION.create_client("ssm", region_name=settings_.region),
        sqs_factory=lambda: queue,
        logger=JsonLogger(service="payments", stream=NullStream()),  # type: ignore[arg-type]
        metrics=EmfMetrics(
            namespace="Payments", service="payments", region=settings_.region, stream=NullStream()
        ),  # type: ignore[arg-type]
    )
    calls.attach(function.dynamodb)
    return function, queue, calls


@settings(max_examples=300, deadline=None)
@given(data=st.one_of(json_values, broken_payments().map(lambda pair: pair[0])))
def test_validator_never_raises_and_always_explains(data: Any) -> None:
    payment, errors = validate_payment(data, CONFIG)

    if payment is None:
        assert errors and all(e.field and e.reason for e in errors)
    else:
        assert errors == ()


@settings(max_examples=300, deadline=None)
@given(case=broken_payments())
def test_a_broken_field_is_always_named(case: tuple[dict[str, Any], str]) -> None:
    data, field = case

    payment, errors = validate_payment(data, CONFIG)

    assert payment is None
    assert field in {e.field for e in errors}


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES_OK)
@given(bodies=st.lists(sqs_bodies(), min_size=1, max_size=12))
def test_sqs_batches_of_hostile_records(quiet_function: Any, bodies: list[tuple[str, str | None]]) -> None:
    function, queue, calls = quiet_function
    queue.sent.clear()
    calls.calls.clear()
    event = {"Records": [sqs_record(body, f"m-{i}") for i, (body, _) in enumerate(bodies)]}

    response = function.handle(event, LambdaContext())

    assert response == {"batchItemFailures": []}
    valid = [i for i, (_, expected) in enumerate(bodies) if expected == "valid"]
    assert calls.count("PutItem") == len(valid)  # nothing written for an invalid record
    rejected = {m["MessageAttributes"]["source_message_id"]["StringValue"]: m for m in queue.sent}
    assert sorted(rejected) == sorted(f"m-{i}" for i, (_, e) in enumerate(bodies) if e != "valid")
    for i, (body, expected) in enumerate(bodies):
        if expected == "valid":
            continue
        message = rejected[f"m-{i}"]
        reasons = json.loads(message["MessageAttributes"]["rejection_reasons"]["StringValue"])
        assert reasons and all(r["field"] and r["reason"] for r in reasons)
        assert expected == "*" or expected in {r["field"] for r in reasons}
        assert message["MessageBody"] == (body or "(empty body)")  # the original, never lost


@settings(max_examples=3, deadline=None, suppress_health_check=FIXTURES_OK)
@given(bodies=st.lists(junk_bodies, min_size=150, max_size=300))
def test_oversized_batches_of_junk(quiet_function: Any, bodies: list[str]) -> None:
    function, queue, calls = quiet_function
    queue.sent.clear()
    calls.calls.clear()

    response = function.handle(
        {"Records": [sqs_record(b, f"m-{i}") for i, b in enumerate(bodies)]}, LambdaContext()
    )

    assert response == {"batchItemFailures": []}
    assert calls.count("PutItem") == 0
    assert len(queue.sent) == len(bodies)


alb_events = st.fixed_dictionaries(
    {
        "requestContext": st.just({"elb": {"targetGroupArn": "arn:tg"}}),
        "httpMethod": st.sampled_from(["GET", "POST", "PUT", "HEAD", "get", ""]) | json_values,
        "path": st.sampled_from(["/payments", "/payments/", "/payments/pay_1", "/payments/../x", "/"])
        | st.text(max_size=80).map(lambda s: "/payments/" + s)
        | json_values,
        "body": junk_bodies | broken_payments().map(lambda p: json.dumps(p[0])) | json_values,
        "isBase64Encoded": st.booleans() | json_values,
    },
    optional={
        "headers": st.just({"content-type": "application/json"})
        | st.dictionaries(st.text(max_size=20), json_values, max_size=4)
        | json_values,
        "multiValueHeaders": st.just({"Content-Type": ["application/json; charset=utf-8"]}) | json_values,
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES_OK)
@given(event=alb_events, b64=st.booleans())
def test_alb_requests_of_any_shape(quiet_function: Any, event: dict[str, Any], b64: bool) -> None:
    function, _, calls = quiet_function
    calls.calls.clear()
    if b64 and isinstance(event.get("body"), str):
        event = {
            **event,
            "body": base64.b64encode(event["body"].encode("utf-8", "surrogatepass")).decode(),
            "isBase64Encoded": True,
        }

    response = function.handle(event, LambdaContext())

    assert response["statusCode"] in {400, 404, 405, 413, 415}  # nothing valid was generated
    assert calls.count("PutItem") == 0
    if response["body"] == "":
        assert str(event.get("httpMethod")).upper() == "HEAD"
        return
    body = json.loads(response["body"])
    assert body["error"]["code"]
    if response["statusCode"] == 400:
        assert body["error"]["fields"] and all(f["field"] and f["reason"] for f in body["error"]["fields"])
