"""Disaster recovery in the handler, against moto: fencing, both ledger modes, /healthz, build()."""

from __future__ import annotations

import io
import json
from typing import Any

import botocore.session
import pytest

from localaws.testing import mock_aws

from .support import (
    PATH,
    REGION,
    SESSION,
    TABLE,
    CallLog,
    LambdaContext,
    Region,
    create_region,
    emf_documents,
    inject_errors,
    payment,
    sqs_record,
)

AUDIT = "payments-ledger-audit-dev"
OTHER = "us-east-2"


def record(active: str, epoch: int = 1) -> dict[str, Any]:
    """The active-region item as payinfra/recovery/active.py writes it."""
    return {
        "payment_id": {"S": "#active-region"},
        "active": {"S": active},
        "epoch": {"N": str(epoch)},
        "written_at": {"S": "2026-01-15T00:00:00Z"},
        "written_in": {"S": active},
    }


def set_active(region: Region, active: str, epoch: int = 1) -> None:
    region.dynamodb.put_item(TableName=TABLE, Item=record(active, epoch))


def create_audit_table(dynamodb: Any) -> None:
    dynamodb.create_table(
        TableName=AUDIT,
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


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fenced_env(region: Region, monkeypatch: pytest.MonkeyPatch) -> Region:
    set_active(region, REGION, 0)
    monkeypatch.setenv("ACTIVE_REGION_CACHE_S", "5")  # set (as the template does): the fence is on
    return region


def function_with(clock: Clock | None = None, stream: io.StringIO | None = None) -> Any:
    from payment_processor.function import PaymentFunction

    function = PaymentFunction.from_env(SESSION, stream=stream)
    if clock is not None:  # the same instance, its caches on a controllable clock
        function.fence._clock = clock
        function.config._clock = clock
    return function


def post(function: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    from payment_processor.function import alb_post_event

    response = function.handle(alb_post_event(body), LambdaContext())
    return response["statusCode"], json.loads(response["body"] or "null"), response["headers"]


# ---------------------------------------------------------------- fence
def test_cold_start_reads_config_and_the_record_then_each_payment_is_one_write(fenced_env: Region) -> None:
    function = function_with()
    calls = CallLog()
    calls.attach(function.ssm)
    calls.attach(function.dynamodb)
    for i in range(5):
        assert post(function, payment(f"pay_{i}"))[0] == 201
    cold = [("SSM", "GetParameters"), ("DynamoDB", "GetItem")]  # config, then the record
    assert calls.calls == cold + [("DynamoDB", "PutItem")] * 5


def test_a_fenced_region_answers_503_with_the_active_region_and_writes_nothing(fenced_env: Region) -> None:
    set_active(fenced_env, OTHER)
    status, body, headers = post(function_with(), payment("pay_fenced"))
    assert status == 503
    assert body == {"error": "region fenced", "active_region": OTHER, "region": REGION}
    assert headers["Retry-After"] == "5"
    assert fenced_env.items() == {}


def test_a_fenced_region_fails_sqs_records_back_to_the_queue_and_counts_them(fenced_env: Region) -> None:
    set_active(fenced_env, OTHER)
    out = io.StringIO()
    event = {"Records": [sqs_record(json.dumps(payment(f"pay_{i}")), f"msg-{i}") for i in range(3)]}
    response = function_with(stream=out).handle(event, LambdaContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": f"msg-{i}"} for i in range(3)]}
    assert fenced_env.items() == {} and fenced_env.dead_letters() == []
    fenced = [d["Fenced"] for d in emf_documents(out.getvalue()) if "Fenced" in d]
    assert fenced == [3]


def test_failover_fences_the_old_region_once_its_cache_expires(fenced_env: Region) -> None:
    clock = Clock()
    function = function_with(clock)
    assert post(function, payment("pay_before"))[0] == 201
    set_active(fenced_env, OTHER, 1)
    assert post(function, payment("pay_cached"))[0] == 201  # inside the 5 s cache
    clock.now += 5
    status, body, _ = post(function, payment("pay_after"))
    assert (status, body["active_region"]) == (503, OTHER)
    assert set(fenced_env.items()) == {"pay_before", "pay_cached"}


def test_when_the_record_read_fails_past_max_age_payments_are_refused(fenced_env: Region) -> None:
    clock = Clock()
    function = function_with(clock)
    assert post(function, payment("pay_ok"))[0] == 201
    inject_errors(function.dynamodb, "GetItem", lambda _: "InternalServerError")
    clock.now += 10
    assert post(function, payment("pay_stale"))[0] == 201  # stale record, within 3 x 5 s
    clock.now += 6
    status, body, _ = post(function, payment("pay_refused"))
    assert (status, body["error"], body["active_region"]) == (503, "active region unknown", None)
    assert "pay_refused" not in fenced_env.items()


def test_a_missing_active_region_record_fails_closed(region: Region, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIVE_REGION_CACHE_S", "5")  # fence on, but no record written
    status, body, _ = post(function_with(), payment("pay_1"))
    assert (status, body["error"]) == (503, "active region unknown")
    assert region.items() == {}


# ---------------------------------------------------------------- ledger modes
def test_strong_mode_retries_a_replicated_write_conflict(region: Region) -> None:
    function = function_with()
    inject_errors(function.dynamodb, "PutItem", lambda _: "ReplicatedWriteConflictException")
    status, body, headers = post(function, payment("pay_conflicting"))
    assert (status, body["error"]["code"], headers["Retry-After"]) == (503, "temporarily_unavailable", "1")
    event = {"Records": [sqs_record(json.dumps(payment("pay_q")), "m1")]}
    assert function.handle(event, LambdaContext()) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


@pytest.fixture
def eventual(region: Region, monkeypatch: pytest.MonkeyPatch) -> Region:
    create_audit_table(region.dynamodb)
    monkeypatch.setenv("LEDGER_CONSISTENCY", "eventual")
    monkeypatch.setenv("AUDIT_TABLE", AUDIT)
    return region


def audit_entries(region: Region) -> list[dict[str, Any]]:
    return region.dynamodb.scan(TableName=AUDIT)["Items"]


def test_eventual_mode_writes_ledger_and_audit_in_one_transaction(eventual: Region) -> None:
    function = function_with()
    calls = CallLog()
    calls.attach(function.dynamodb)
    assert post(function, payment("pay_1"))[0] == 201
    assert calls.calls == [("DynamoDB", "TransactWriteItems")]
    (entry,) = audit_entries(eventual)
    stored = eventual.items()["pay_1"]
    assert entry == {
        "payment_id": {"S": "pay_1"},
        "region": {"S": REGION},
        "recorded_at": stored["recorded_at"],
        "fingerprint": stored["fingerprint"],
        "amount_minor": {"N": "12550"},
        "currency": {"S": "USD"},
        "status": {"S": "charged"},
    }


def test_eventual_mode_duplicate_and_conflict_come_from_the_cancellation_reason(eventual: Region) -> None:
    function = function_with()
    assert post(function, payment("pay_1"))[0] == 201
    calls = CallLog()
    calls.attach(function.dynamodb)
    status, body, _ = post(function, payment("pay_1"))
    assert (status, body["payment"]["payment_id"]) == (200, "pay_1")
    status, body, _ = post(function, payment("pay_1", amount="9.99"))
    assert (status, body["error"]["code"]) == (409, "conflict")
    assert calls.calls == [("DynamoDB", "TransactWriteItems")] * 2  # the stored item came with the refusal
    assert len(audit_entries(eventual)) == 1


def cancelled(*codes: str) -> dict[str, Any]:
    return {
        "Error": {"Code": "TransactionCanceledException", "Message": "injected"},
        "CancellationReasons": [{"Code": code} for code in codes],
    }


@pytest.mark.parametrize(
    ("codes", "status"),
    [
        (("TransactionConflict", "None"), 503),
        (("None", "ThrottlingError"), 503),
        (("ValidationError", "None"), 500),
        (("None", "ItemCollectionSizeLimitExceeded"), 500),
    ],
)
def test_eventual_mode_other_cancellations_are_transient_or_not_as_documented(
    eventual: Region, codes: tuple[str, ...], status: int
) -> None:
    function = function_with()
    inject_errors(function.dynamodb, "TransactWriteItems", lambda _: cancelled(*codes))
    assert post(function, payment("pay_1"))[0] == status
    assert eventual.items() == {} and audit_entries(eventual) == []


def test_ledger_mode_settings_are_checked_together(monkeypatch: pytest.MonkeyPatch) -> None:
    from payment_processor.settings import Settings, SettingsError

    base = {"LEDGER_TABLE": TABLE, "SSM_PARAMETER_PATH": PATH, "DEPLOY_REGION": REGION}
    with pytest.raises(SettingsError, match="AUDIT_TABLE is set but LEDGER_CONSISTENCY is strong"):
        Settings.from_env({**base, "AUDIT_TABLE": AUDIT})
    with pytest.raises(SettingsError, match="needs AUDIT_TABLE"):
        Settings.from_env({**base, "LEDGER_CONSISTENCY": "eventual"})
    with pytest.raises(SettingsError, match="strong or eventual"):
        Settings.from_env({**base, "LEDGER_CONSISTENCY": "quorum"})
    with pytest.raises(SettingsError, match="ACTIVE_REGION_CACHE_S"):
        Settings.from_env({**base, "ACTIVE_REGION_CACHE_S": "soon"})


# ---------------------------------------------------------------- /healthz
def get(function: Any, path: str) -> tuple[int, dict[str, Any]]:
    from payment_processor.function import alb_get_event

    response = function.handle(alb_get_event(path), LambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_healthz_is_ok_in_the_active_region(fenced_env: Region) -> None:
    function = function_with()
    calls = CallLog()
    calls.attach(function.dynamodb)
    assert get(function, "/healthz") == (200, {"status": "ok", "region": REGION, "active_region": REGION})
    assert get(function, "/healthz")[0] == 200
    assert calls.calls == [("DynamoDB", "GetItem")] * 3  # probe + record, then the probe (cached)


def test_healthz_is_503_in_a_fenced_region_so_route53_takes_it_out(fenced_env: Region) -> None:
    set_active(fenced_env, OTHER)
    assert get(function_with(), "/healthz") == (
        503,
        {"status": "fenced", "region": REGION, "active_region": OTHER},
    )


def test_healthz_is_503_when_the_record_cannot_be_read(
    region: Region, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIVE_REGION_CACHE_S", "5")  # fence on, no record
    assert get(function_with(), "/healthz") == (
        503,
        {"status": "fenced", "region": REGION, "active_region": None},
    )


def test_healthz_needs_no_payment_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        create_region(with_parameters=False)
        monkeypatch.setenv("HEALTH_CHECK_PATH", "/health/deep")
        status, body = get(function_with(), "/health/deep")
    assert (status, body["status"], body["active_region"]) == (200, "ok", None)


def test_healthz_is_503_when_the_ledger_does_not_answer(region: Region) -> None:
    function = function_with()
    inject_errors(function.dynamodb, "GetItem", lambda _: "InternalServerError")
    status, body = get(function, "/healthz")
    assert (status, body["status"]) == (503, "unavailable")


# ---------------------------------------------------------------- build()
def region_env(region: str) -> dict[str, str]:
    return {
        "LEDGER_TABLE": TABLE,
        "SSM_PARAMETER_PATH": PATH,
        "DEPLOY_REGION": region,
        "ACTIVE_REGION_CACHE_S": "5",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def test_build_gives_each_region_its_own_clients_and_fence() -> None:
    from payment_processor.function import build

    with mock_aws():
        for name in (REGION, OTHER):  # the same names in both regions, as a global table has
            dynamodb: Any = botocore.session.get_session().create_client("dynamodb", region_name=name)
            dynamodb.create_table(
                TableName=TABLE,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
            )
            ssm: Any = botocore.session.get_session().create_client("ssm", region_name=name)
            for key, value in (("max_amount", "50000"), ("currencies", "USD")):
                ssm.put_parameter(Name=f"{PATH}/{key}", Value=value, Type="String")
            ssm.put_parameter(
                Name=f"{PATH}/payment_api_endpoint", Value="https://api.example.com", Type="String"
            )
            dynamodb.put_item(TableName=TABLE, Item=record(REGION))
        east, west = (build(region_env(name), stream=io.StringIO()) for name in (REGION, OTHER))
        assert east.dynamodb is not west.dynamodb and east.ssm is not west.ssm
        assert (east.dynamodb.meta.region_name, west.dynamodb.meta.region_name) == (REGION, OTHER)
        assert post(east, payment("pay_1"))[0] == 201
        status, body, _ = post(west, payment("pay_1"))
        assert (status, body["active_region"]) == (503, REGION)
        assert get(west, "/healthz") == (503, {"status": "fenced", "region": OTHER, "active_region": REGION})


def test_build_sends_calls_to_the_endpoint_it_is_given() -> None:
    from payment_processor.function import build

    function = build(region_env(OTHER), endpoint_url="http://127.0.0.1:4566", stream=io.StringIO())
    assert function.dynamodb.meta.endpoint_url == "http://127.0.0.1:4566"
    assert function.ssm.meta.endpoint_url == "http://127.0.0.1:4566"
