"""Helpers for the payment function's tests: moto region setup, event builders, fault injection."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
FUNCTION_DIR = REPO / "functions" / "payment"
EVENTS_DIR = REPO / "events"
if str(FUNCTION_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTION_DIR))

import botocore.session  # noqa: E402

REGION = "us-east-1"
TABLE = "payments-ledger-dev"
PATH = "/payments/dev"
ENDPOINT = "https://api.us-east-1.payments.example.com"
ENV_ENDPOINT = "https://env-fallback.payments.example.com"
CURRENCIES = "USD,EUR,GBP,JPY,CAD"
MAX_AMOUNT = "50000.00"


@dataclass
class Region:
    """The moto side of a test: clients to arrange and inspect AWS state."""

    dynamodb: Any
    ssm: Any
    sqs: Any
    dlq_url: str

    def items(self) -> dict[str, dict[str, Any]]:
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
        # The payments only: not the active-region record ("#active-region", an item of the same table).
        return {
            i["payment_id"]["S"]: i
            for page in pages
            for i in page["Items"]
            if not i["payment_id"]["S"].startswith("#")
        }

    def dead_letters(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not batch:
                return messages
            messages.extend(batch)
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])


@dataclass
class CallLog:
    """Records AWS API calls as (service, operation), from botocore's first per-call event.

    Injected failures still count: the call was made by our code, whatever answered it.
    """

    calls: list[tuple[str, str]] = field(default_factory=list)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_id, model.name))

    def count(self, operation: str) -> int:
        return sum(1 for _, name in self.calls if name == operation)


# One session for every test: clients stay per test, but service models are parsed only once.
SESSION = botocore.session.get_session()


def create_region(*, with_parameters: bool = True) -> Region:
    session = SESSION
    dynamodb = session.create_client("dynamodb", region_name=REGION)
    ssm = session.create_client("ssm", region_name=REGION)
    sqs = session.create_client("sqs", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
    )
    if with_parameters:
        ssm.put_parameter(Name=f"{PATH}/payment_api_endpoint", Value=ENDPOINT, Type="String")
        ssm.put_parameter(Name=f"{PATH}/max_amount", Value=MAX_AMOUNT, Type="String")
        ssm.put_parameter(Name=f"{PATH}/currencies", Value=CURRENCIES, Type="StringList")
    dlq_url = sqs.create_queue(QueueName="payments-payment-events-dlq-dev")["QueueUrl"]
    return Region(dynamodb, ssm, sqs, dlq_url)


class LambdaContext:
    """The attributes of the Lambda context object the handler reads."""

    def __init__(self, remaining_ms: int = 15_000, request_id: str = "req-0001"):
        self.aws_request_id = request_id
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


def sqs_record(body: str, message_id: str) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:payments-payment-events-dev",
        "awsRegion": REGION,
    }


def payment(payment_id: str = "pay_0001", **overrides: Any) -> dict[str, Any]:
    body = {
        "payment_id": payment_id,
        "account_id": "acct_42",
        "amount": "125.50",
        "currency": "USD",
        "type": "capture",
        "created_at": "2026-01-15T10:30:00Z",
    }
    body.update(overrides)
    return body


def alb_request(
    method: str,
    path: str,
    body: str | None = None,
    *,
    content_type: str | None = "application/json",
    multi_value: bool = False,
) -> dict[str, Any]:
    headers = {"host": "alb.example.com"}
    if content_type:
        headers["content-type"] = content_type
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/fn/1"}
        },
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "body": body or "",
        "isBase64Encoded": False,
    }
    if multi_value:
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
    else:
        event["headers"] = headers
    return event


def inject_errors(
    client: Any,
    operation: str,
    decide: Callable[[dict[str, Any]], BaseException | str | dict[str, Any] | None],
) -> None:
    """Make `operation` fail for chosen requests, before moto sees them.

    `decide(params)` returns None (let the call through), an AWS error code (answered as a 400
    ClientError, as DynamoDB answers throttling), a whole parsed error response (a dict with
    "Error") or an exception to raise (timeouts).
    """

    class _Http:
        status_code = 400

    def decide_early(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["injected"] = decide(params)  # the API parameters exist only at this stage

    def answer(context: dict[str, Any], **_: Any) -> Any:
        verdict = context.pop("injected", None)
        if verdict is None:
            return None
        if isinstance(verdict, BaseException):
            raise verdict
        if isinstance(verdict, dict):  # a whole error response, e.g. with CancellationReasons
            return _Http(), {"ResponseMetadata": {"HTTPStatusCode": 400}, **verdict}
        parsed = {
            "Error": {"Code": verdict, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return _Http(), parsed

    client.meta.events.register(f"before-parameter-build.*.{operation}", decide_early)
    client.meta.events.register(f"before-call.*.{operation}", answer)


def emf_documents(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"_aws"')]


def log_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"level"')]
