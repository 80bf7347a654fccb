"""The Powertools reference handler in bench/ runs on the sample SQS batch against moto.

Keeps the benchmark's reference from rotting as Powertools or our core change; no timing here.
Tracing stays off (no LAMBDA_TASK_ROOT): an enabled Tracer patches botocore for the whole process.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
for folder in (REPO / "functions" / "payment", REPO / "bench"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import botocore.session  # noqa: E402

from localaws.testing import mock_aws  # noqa: E402

pytest.importorskip("aws_lambda_powertools")

from powertools_reference.handler import PARTS, from_env  # noqa: E402

REGION = "us-east-1"
TABLE = "payments-ledger-bench-test"
PATH = "/payments/benchtest"


class Context:
    aws_request_id = "req-bench-test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


@pytest.fixture
def region(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    for name in ("AWS_PROFILE", "AWS_XRAY_DAEMON_ADDRESS", "_X_AMZN_TRACE_ID", "LAMBDA_TASK_ROOT"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "LEDGER_TABLE": TABLE,
        "SSM_PARAMETER_PATH": PATH,
        "DEPLOY_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "payments",
        "POWERTOOLS_METRICS_NAMESPACE": "Payments",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        session = botocore.session.get_session()
        dynamodb = session.create_client("dynamodb", region_name=REGION)
        ssm = session.create_client("ssm", region_name=REGION)
        sqs = session.create_client("sqs", region_name=REGION)
        dynamodb.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
        )
        ssm.put_parameter(Name=f"{PATH}/payment_api_endpoint", Value="https://api.example.com", Type="String")
        ssm.put_parameter(Name=f"{PATH}/max_amount", Value="50000.00", Type="String")
        ssm.put_parameter(Name=f"{PATH}/currencies", Value="USD,EUR,JPY", Type="StringList")
        dlq_url = sqs.create_queue(QueueName="bench-test-dlq")["QueueUrl"]
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", dlq_url)
        yield {"session": session, "dynamodb": dynamodb, "sqs": sqs, "dlq_url": dlq_url}


def test_reference_records_valid_once_and_dead_letters_invalid(
    region: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    event = json.loads((REPO / "events" / "sqs-batch.json").read_text())
    handler = from_env(PARTS, region["session"])

    response = handler(event, Context())

    assert response == {"batchItemFailures": []}
    items = region["dynamodb"].scan(TableName=TABLE)["Items"]
    assert sorted(i["payment_id"]["S"] for i in items) == ["pay_20260115_0001", "pay_20260115_0002"]
    dead = region["sqs"].receive_message(
        QueueUrl=region["dlq_url"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert sorted(m["MessageAttributes"]["source_message_id"]["StringValue"] for m in dead) == [
        "6b1a3c1e-0004-4c1f-9a4e-000000000004",
        "6b1a3c1e-0005-4c1f-9a4e-000000000005",
    ]
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (document,) = [line for line in lines if "_aws" in line]  # Powertools Metrics: one EMF document
    assert document["Processed"] == [1.0, 1.0] and document["Rejected"] == [1.0, 1.0]
    assert document["Duplicates"] == [1.0]
    assert document["region"] == REGION and "Latency" in document
    assert any(line.get("payment_id") == "pay_20260115_0001" for line in lines if "level" in line)


def test_transient_failure_is_a_batch_item_failure(region: dict[str, Any]) -> None:
    """No ledger table: that record is retried alone, through BatchProcessor's partial response."""
    region["dynamodb"].delete_table(TableName=TABLE)
    event = json.loads((REPO / "events" / "sqs-batch.json").read_text())
    handler = from_env(PARTS, region["session"])

    response = handler({"Records": event["Records"][:2]}, Context())

    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "6b1a3c1e-0001-4c1f-9a4e-000000000001"},
            {"itemIdentifier": "6b1a3c1e-0002-4c1f-9a4e-000000000002"},
        ]
    }


def test_unknown_part_is_one_clear_error(region: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown part"):
        from_env({"idempotency"}, region["session"])
