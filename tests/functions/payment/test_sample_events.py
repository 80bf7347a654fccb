"""The files in events/ (the ones `sam local invoke` uses) through app.lambda_handler, in-process."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .support import ENDPOINT, REGION, LambdaContext, Region, emf_documents, log_lines


def test_sqs_batch_records_valid_once_and_dead_letters_invalid(
    app: ModuleType, region: Region, load_event: Callable[[str], dict[str, Any]], capsys: Any
) -> None:
    event = load_event("sqs-batch.json")

    response = app.lambda_handler(event, LambdaContext())

    assert response == {"batchItemFailures": []}
    items = region.items()
    assert sorted(items) == ["pay_20260115_0001", "pay_20260115_0002"]
    assert items["pay_20260115_0001"]["amount"] == {"S": "125.50"}
    assert items["pay_20260115_0001"]["amount_minor"] == {"N": "12550"}
    assert items["pay_20260115_0002"]["amount"] == {"S": "9800"}  # JPY has no minor units
    assert items["pay_20260115_0001"]["source_message_id"] == {"S": "6b1a3c1e-0001-4c1f-9a4e-000000000001"}
    dead = {m["MessageAttributes"]["source_message_id"]["StringValue"]: m for m in region.dead_letters()}
    assert sorted(dead) == ["6b1a3c1e-0004-4c1f-9a4e-000000000004", "6b1a3c1e-0005-4c1f-9a4e-000000000005"]
    reasons = json.loads(
        dead["6b1a3c1e-0004-4c1f-9a4e-000000000004"]["MessageAttributes"]["rejection_reasons"]["StringValue"]
    )
    assert {r["field"] for r in reasons} == {"amount", "currency", "type"}
    assert dead["6b1a3c1e-0004-4c1f-9a4e-000000000004"]["Body"] == event["Records"][3]["body"]
    broken = json.loads(
        dead["6b1a3c1e-0005-4c1f-9a4e-000000000005"]["MessageAttributes"]["rejection_reasons"]["StringValue"]
    )
    assert broken[0]["field"] == "body" and "not valid JSON" in broken[0]["reason"]

    output = capsys.readouterr().out
    (document,) = emf_documents(output)
    assert document["Processed"] == 2 and document["Duplicates"] == 1 and document["Rejected"] == 2
    assert document["Failures"] == 0 and len(document["Latency"]) == 5
    assert {line.get("region") for line in log_lines(output)} == {REGION}
    assert any(line.get("payment_id") == "pay_20260115_0001" for line in log_lines(output))


def test_alb_post_then_get(
    app: ModuleType, region: Region, load_event: Callable[[str], dict[str, Any]]
) -> None:
    created = app.lambda_handler(load_event("alb-post.json"), LambdaContext())
    fetched = app.lambda_handler(load_event("alb-get.json"), LambdaContext())

    assert created["statusCode"] == 201
    assert created["headers"]["Content-Type"] == "application/json"
    body = json.loads(created["body"])
    assert body["region"] == REGION
    assert body["status_url"] == f"{ENDPOINT}/payments/pay_20260115_0100"
    assert body["payment"]["amount"] == "42.00" and body["payment"]["currency"] == "EUR"
    assert fetched["statusCode"] == 200
    assert json.loads(fetched["body"]) == body
    assert list(region.items()) == ["pay_20260115_0100"]


def test_alb_malformed_body_is_400_naming_the_body(
    app: ModuleType, region: Region, load_event: Callable[[str], dict[str, Any]]
) -> None:
    response = app.lambda_handler(load_event("alb-post-malformed.json"), LambdaContext())

    assert response["statusCode"] == 400
    error = json.loads(response["body"])["error"]
    assert error["code"] == "validation_failed"
    assert [f["field"] for f in error["fields"]] == ["body"]
    assert region.items() == {}


def test_alb_invalid_fields_are_each_named_and_card_data_never_logged(
    app: ModuleType, region: Region, load_event: Callable[[str], dict[str, Any]], capsys: Any
) -> None:
    response = app.lambda_handler(load_event("alb-post-invalid.json"), LambdaContext())

    assert response["statusCode"] == 400
    fields = {f["field"] for f in json.loads(response["body"])["error"]["fields"]}
    assert fields == {"payment_id", "amount", "currency", "created_at", "card_number"}
    assert "4111111111111111" not in response["body"]
    assert "4111111111111111" not in capsys.readouterr().out
    assert region.items() == {}
