"""The ALB path: status codes, bodies, headers and the ledger state behind them."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from .support import ENDPOINT, REGION, LambdaContext, Region, alb_request, inject_errors, payment


def post(function: Any, body: dict[str, Any] | str, **kwargs: Any) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return function.handle(alb_request("POST", "/payments", text, **kwargs), LambdaContext())


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])


def test_first_post_is_201_with_location_and_status_url(function: Any, region: Region) -> None:
    response = post(function, payment("pay_1"))

    assert response["statusCode"] == 201
    assert response["statusDescription"] == "201 Created"
    assert response["headers"]["Location"] == f"{ENDPOINT}/payments/pay_1"  # from SSM, not the env fallback
    body = body_of(response)
    assert body["region"] == REGION and body["status_url"] == f"{ENDPOINT}/payments/pay_1"
    assert body["payment"] == {
        "payment_id": "pay_1",
        "account_id": "acct_42",
        "amount": "125.50",
        "amount_minor": 12550,
        "currency": "USD",
        "type": "capture",
        "created_at": "2026-01-15T10:30:00.000000Z",
        "status": "recorded",
        "region": REGION,
        "recorded_at": body["payment"]["recorded_at"],
    }
    assert region.items()["pay_1"]["source"] == {"S": "alb"}


def test_repeat_post_is_200_with_the_original_record(function: Any, region: Region) -> None:
    first = body_of(post(function, payment("pay_1")))

    again = post(function, payment("pay_1", amount="125.5"))  # same payment, other spelling

    assert again["statusCode"] == 200
    assert body_of(again) == first
    assert len(region.items()) == 1


def test_same_id_different_body_is_409_and_changes_nothing(function: Any, region: Region) -> None:
    post(function, payment("pay_1"))
    stored = region.items()

    response = post(function, payment("pay_1", account_id="acct_other"))

    assert response["statusCode"] == 409
    assert body_of(response)["error"]["code"] == "conflict"
    assert "acct_42" not in response["body"]  # the other body is not disclosed
    assert region.items() == stored


def test_get_known_unknown_and_invalid_ids(function: Any, region: Region) -> None:
    created = body_of(post(function, payment("pay_1")))

    found = function.handle(alb_request("GET", "/payments/pay_1"), LambdaContext())
    missing = function.handle(alb_request("GET", "/payments/pay_2"), LambdaContext())
    invalid = function.handle(alb_request("GET", "/payments/" + "x" * 65), LambdaContext())

    assert (found["statusCode"], body_of(found)) == (200, created)
    assert (missing["statusCode"], body_of(missing)["error"]["code"]) == (404, "not_found")
    assert invalid["statusCode"] == 400 and body_of(invalid)["error"]["fields"][0]["field"] == "payment_id"


def test_invalid_post_is_400_naming_every_field(function: Any, region: Region) -> None:
    response = post(function, {"payment_id": "pay_1", "amount": "-1", "currency": "ZZZ", "extra": 1})

    assert response["statusCode"] == 400
    error = body_of(response)["error"]
    assert error["code"] == "validation_failed"
    assert {f["field"] for f in error["fields"]} == {
        "account_id",
        "amount",
        "currency",
        "type",
        "created_at",
        "extra",
    }
    assert all(f["reason"] for f in error["fields"])
    assert region.items() == {}


@pytest.mark.parametrize(
    ("event", "status", "code"),
    [
        (alb_request("POST", "/payments", "{}", content_type="text/plain"), 415, "unsupported_media_type"),
        (alb_request("POST", "/payments", "{}", content_type=None), 415, "unsupported_media_type"),
        (alb_request("POST", "/payments", "x" * 20_000), 413, "payload_too_large"),
        (alb_request("DELETE", "/payments/pay_1"), 405, "method_not_allowed"),
        (alb_request("GET", "/payments"), 405, "method_not_allowed"),
        (alb_request("GET", "/admin"), 404, "not_found"),
        (alb_request("POST", "/payments", ""), 400, "validation_failed"),
    ],
)
def test_request_level_errors(
    function: Any, region: Region, event: dict[str, Any], status: int, code: str
) -> None:
    response = function.handle(event, LambdaContext())

    assert response["statusCode"] == status
    assert body_of(response)["error"]["code"] == code
    assert body_of(response)["region"] == REGION
    assert region.items() == {}


def test_method_not_allowed_says_what_is(function: Any, region: Region) -> None:
    response = function.handle(alb_request("PUT", "/payments"), LambdaContext())

    assert response["headers"]["Allow"] == "POST"


def test_multi_value_headers_in_means_multi_value_headers_out(function: Any, region: Region) -> None:
    response = function.handle(
        alb_request("POST", "/payments", json.dumps(payment("pay_1")), multi_value=True), LambdaContext()
    )

    assert response["statusCode"] == 201
    assert "headers" not in response
    assert response["multiValueHeaders"]["Content-Type"] == ["application/json"]


def test_base64_body_is_decoded(function: Any, region: Region) -> None:
    event = alb_request("POST", "/payments", base64.b64encode(json.dumps(payment("pay_1")).encode()).decode())
    event["isBase64Encoded"] = True

    assert function.handle(event, LambdaContext())["statusCode"] == 201


def test_throttling_is_503_with_retry_after(function: Any, region: Region) -> None:
    inject_errors(function.dynamodb, "PutItem", lambda p: "ProvisionedThroughputExceededException")

    response = post(function, payment("pay_1"))

    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"
    assert body_of(response)["error"]["code"] == "temporarily_unavailable"


def test_permanent_aws_error_is_500_without_details(function: Any, region: Region) -> None:
    inject_errors(function.dynamodb, "GetItem", lambda p: "AccessDeniedException")

    response = function.handle(alb_request("GET", "/payments/pay_1"), LambdaContext(request_id="req-42"))

    assert response["statusCode"] == 500
    assert body_of(response)["error"] == {
        "code": "internal_error",
        "message": "unexpected error; quote request id req-42",
    }


def test_ssm_down_at_cold_start_is_503_naming_the_cause(function: Any, region: Region) -> None:
    inject_errors(
        function.ssm, "GetParameters", lambda p: EndpointConnectionError(endpoint_url="https://ssm")
    )

    response = post(function, payment("pay_1"))

    assert response["statusCode"] == 503
    error = body_of(response)["error"]
    assert error["code"] == "config_unavailable"
    assert "EndpointConnectionError" in error["message"]
    assert region.items() == {}


def test_a_bug_is_a_500_not_a_traceback(function: Any, region: Region, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(function.service, "submit_json", broken)

    response = post(function, payment("pay_1"))

    assert response["statusCode"] == 500
    assert "boom" not in response["body"] and "Traceback" not in response["body"]


# --- One body limit for the edge and the API (payment_processor/limits.py)
def test_the_body_limit_is_8_kib_counted_in_utf8_bytes(function: Any, region: Region) -> None:
    from payment_processor.limits import MAX_BODY_BYTES

    document = json.dumps(payment("pay_1"))
    at_limit = document + " " * (MAX_BODY_BYTES - len(document))  # trailing blanks: still valid JSON
    over_by_one = document + " " * (MAX_BODY_BYTES - len(document) - 1) + "é"  # 2 bytes, 1 character

    assert MAX_BODY_BYTES == 8192  # what WAF can inspect on an ALB, so what the edge can enforce
    assert post(function, at_limit)["statusCode"] == 201
    assert len(over_by_one) == MAX_BODY_BYTES and post(function, over_by_one)["statusCode"] == 413


def test_the_edge_answers_oversize_bodies_with_the_handlers_413_body(function: Any, region: Region) -> None:
    from payment_processor.limits import MAX_BODY_BYTES, payload_too_large_body

    from payinfra.cfn import load_cfn_yaml
    from payinfra.config import load_context
    from payinfra.render.renderer import render_all

    response = post(function, "x" * (MAX_BODY_BYTES + 1))
    rendered = render_all(load_context())
    web_acl = load_cfn_yaml(rendered["template.primary.yaml"])["Resources"]["WebAcl"]["Properties"]
    (rule,) = [r for r in web_acl["Rules"] if "SizeConstraintStatement" in r["Statement"]]
    custom = rule["Action"]["Block"]["CustomResponse"]
    edge_body = web_acl["CustomResponseBodies"][custom["CustomResponseBodyKey"]]

    assert REGION == "us-east-1"  # the primary template's region
    assert rule["Statement"]["SizeConstraintStatement"]["Size"] == MAX_BODY_BYTES
    assert (custom["ResponseCode"], response["statusCode"]) == (413, 413)
    assert edge_body["ContentType"] == "APPLICATION_JSON"
    assert response["headers"]["Content-Type"] == "application/json"
    assert edge_body["Content"] == response["body"] == payload_too_large_body(REGION)  # byte for byte
