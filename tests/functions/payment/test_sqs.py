"""The SQS path: exactly-once ledger writes, partial batch failures, DLQ routing, faults."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from .support import (
    CallLog,
    LambdaContext,
    Region,
    emf_documents,
    inject_errors,
    log_lines,
    payment,
    sqs_record,
)


def batch(*bodies: dict[str, Any] | str) -> dict[str, Any]:
    records = [
        sqs_record(b if isinstance(b, str) else json.dumps(b), f"msg-{i}") for i, b in enumerate(bodies)
    ]
    return {"Records": records}


def reasons_by_message(region: Region) -> dict[str, list[dict[str, str]]]:
    return {
        m["MessageAttributes"]["source_message_id"]["StringValue"]: json.loads(
            m["MessageAttributes"]["rejection_reasons"]["StringValue"]
        )
        for m in region.dead_letters()
    }


def test_redelivery_changes_nothing(function: Any, region: Region) -> None:
    function.handle(batch(payment("pay_1")), LambdaContext())
    before = region.items()["pay_1"]

    response = function.handle(batch(payment("pay_1"), payment("pay_1")), LambdaContext())

    assert response == {"batchItemFailures": []}
    assert region.items() == {"pay_1": before}
    assert region.dead_letters() == []


def test_same_id_with_a_different_body_is_dead_lettered_and_the_original_kept(
    function: Any, region: Region
) -> None:
    function.handle(batch(payment("pay_1")), LambdaContext())

    response = function.handle(batch(payment("pay_1", amount="999.00")), LambdaContext())

    assert response == {"batchItemFailures": []}
    assert region.items()["pay_1"]["amount"] == {"S": "125.50"}
    assert reasons_by_message(region) == {
        "msg-0": [{"field": "payment_id", "reason": "was already recorded with a different body"}]
    }


def test_throttled_records_alone_are_batch_item_failures(function: Any, region: Region) -> None:
    throttled = {"pay_2", "pay_4"}
    inject_errors(
        function.dynamodb,
        "PutItem",
        lambda p: (
            "ProvisionedThroughputExceededException" if p["Item"]["payment_id"]["S"] in throttled else None
        ),
    )

    response = function.handle(batch(*(payment(f"pay_{i}") for i in range(1, 6))), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-1"}, {"itemIdentifier": "msg-3"}]}
    assert sorted(region.items()) == ["pay_1", "pay_3", "pay_5"]
    assert region.dead_letters() == []


def test_timeouts_and_server_errors_are_retried_not_rejected(function: Any, region: Region) -> None:
    verdicts: dict[str, BaseException | str] = {
        "pay_1": ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
        "pay_2": "InternalServerError",
        "pay_3": "AccessDeniedException",  # not transient, but still retried: never dropped
    }
    inject_errors(function.dynamodb, "PutItem", lambda p: verdicts.get(p["Item"]["payment_id"]["S"]))

    response = function.handle(batch(*(payment(f"pay_{i}") for i in range(1, 5))), LambdaContext())

    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == ["msg-0", "msg-1", "msg-2"]
    assert list(region.items()) == ["pay_4"]


def test_a_failed_dead_letter_send_retries_the_record(function: Any, region: Region) -> None:
    inject_errors(function.dead_letters.client, "SendMessage", lambda p: "ServiceUnavailable")

    response = function.handle(batch(payment("pay_1", amount="-1"), payment("pay_2")), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    assert list(region.items()) == ["pay_2"]


def test_without_a_dead_letter_queue_rejects_are_retried(
    make_function: Any, region: Region, monkeypatch: Any
) -> None:
    monkeypatch.delenv("DEAD_LETTER_QUEUE_URL")
    function = make_function()

    response = function.handle(batch(payment("pay_1", currency="XXX")), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}


def test_ssm_down_at_cold_start_fails_the_batch_clearly(
    function: Any, region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    calls = CallLog()
    calls.attach(function.ssm)
    inject_errors(
        function.ssm, "GetParameters", lambda p: EndpointConnectionError(endpoint_url="https://ssm")
    )

    response = function.handle(batch(payment("pay_1"), payment("pay_2")), LambdaContext())

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    assert region.items() == {}
    assert calls.count("GetParameters") == 1  # not once per record
    errors = [line for line in log_lines(capsys.readouterr().out) if line["level"] == "ERROR"]
    assert errors[0]["message"] == "configuration unavailable and nothing cached"
    assert "EndpointConnectionError" in errors[0]["cause"]


def test_ssm_down_with_a_warm_cache_keeps_processing(
    make_function: Any, region: Region, monkeypatch: Any
) -> None:
    monkeypatch.setenv("CONFIG_CACHE_TTL_S", "0.001")  # every event wants a refresh
    function = make_function()
    function.handle(batch(payment("pay_1")), LambdaContext())
    inject_errors(function.ssm, "GetParameters", lambda p: "ThrottlingException")

    response = function.handle(batch(payment("pay_2"), payment("pay_3")), LambdaContext())

    assert response == {"batchItemFailures": []}
    assert sorted(region.items()) == ["pay_1", "pay_2", "pay_3"]
    assert function.config.refresh_failures >= 1


def test_one_write_per_valid_event_and_no_ssm_calls_once_warm(function: Any, region: Region) -> None:
    calls = CallLog()
    for client in (function.dynamodb, function.ssm):
        calls.attach(client)
    function.handle(batch(payment("warm")), LambdaContext())
    calls.calls.clear()

    function.handle(batch(*(payment(f"pay_{i}") for i in range(10))), LambdaContext())

    assert calls.calls == [("DynamoDB", "PutItem")] * 10


def test_duplicate_costs_one_call(function: Any, region: Region) -> None:
    function.handle(batch(payment("pay_1")), LambdaContext())
    calls = CallLog()
    calls.attach(function.dynamodb)

    function.handle(batch(payment("pay_1")), LambdaContext())

    assert calls.calls == [("DynamoDB", "PutItem")]  # the stored item comes back with the failure


def test_time_budget_returns_unstarted_records(function: Any, region: Region) -> None:
    response = function.handle(batch(payment("pay_1"), payment("pay_2")), LambdaContext(remaining_ms=500))

    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}, {"itemIdentifier": "msg-1"}]}
    assert region.items() == {}


def test_records_that_are_not_sqs_records_are_dead_lettered(function: Any, region: Region) -> None:
    response = function.handle({"Records": [{"messageId": "m-1"}, "junk"]}, LambdaContext())

    assert response == {"batchItemFailures": []}
    reasons = reasons_by_message(region)
    assert reasons["m-1"] == [{"field": "record", "reason": "is not an SQS record"}]
    assert reasons["(none)"] == [{"field": "record", "reason": "is not an SQS record"}]


@pytest.mark.parametrize("event", [None, "text", [], {}, {"Records": "x"}, {"requestContext": {}}])
def test_unsupported_events_answer_without_raising(function: Any, event: Any) -> None:
    assert function.handle(event, None)["error"]["code"] == "unsupported_event"


def test_metrics_are_one_emf_document_per_invocation(
    function: Any, region: Region, capsys: pytest.CaptureFixture[str]
) -> None:
    inject_errors(
        function.dynamodb,
        "PutItem",
        lambda p: "ThrottlingException" if p["Item"]["payment_id"]["S"] == "t" else None,
    )

    function.handle(batch(payment("a"), payment("a"), payment("t"), payment("b", type="x")), LambdaContext())

    (document,) = emf_documents(capsys.readouterr().out)
    assert {k: document[k] for k in ("Processed", "Duplicates", "Rejected", "Failures", "Conflicts")} == {
        "Processed": 1,
        "Duplicates": 1,
        "Rejected": 1,
        "Failures": 1,
        "Conflicts": 0,
    }
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Payments" and directive["Dimensions"] == [["service", "region"]]
    assert len(document["Latency"]) == 4
