"""Logs, EMF documents and X-Ray subsegments: shapes CloudWatch and X-Ray accept."""

from __future__ import annotations

import io
import json
import socket
from typing import Any

import pytest
from payment_processor.observability import EmfMetrics, JsonLogger, scrub
from payment_processor.tracing import XRaySubsegments, parse_trace_header

from .support import LambdaContext, Region, payment, sqs_record


def test_log_lines_are_json_with_context_and_trace_id(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    logger = JsonLogger(service="payments", stream=stream, region="us-east-2")
    logger.append_keys(function_request_id="req-1")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-abc-def;Parent=1234;Sampled=1")

    logger.info("payment created", payment_id="pay_1")
    logger.debug("not shown")

    (line,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["level"] == "INFO" and line["message"] == "payment created"
    assert (line["service"], line["region"], line["function_request_id"]) == (
        "payments",
        "us-east-2",
        "req-1",
    )
    assert line["payment_id"] == "pay_1" and line["xray_trace_id"] == "1-abc-def"
    assert line["timestamp"].endswith("Z")


@pytest.mark.parametrize("card", ["4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004"])
def test_card_like_numbers_are_redacted(card: str) -> None:
    stream = io.StringIO()
    JsonLogger(service="s", stream=stream).warning(f"bad {card}", field=f"x{card}x")

    assert card not in stream.getvalue() and "[redacted]" in stream.getvalue()
    assert scrub("pay_20260115_0001") == "pay_20260115_0001"  # ids with dates stay readable


def test_emf_splits_latency_samples_at_100() -> None:
    stream = io.StringIO()
    metrics = EmfMetrics(namespace="Payments", service="payments", region="us-east-1", stream=stream)
    metrics.count("Processed", 250)
    for i in range(250):
        metrics.latency_ms(i)

    metrics.flush()
    metrics.flush()  # nothing new: no document

    documents = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [len(d["Latency"]) for d in documents] == [100, 100, 50]
    assert documents[0]["Processed"] == 250 and "Processed" not in documents[1]
    for document in documents:
        names = {m["Name"] for m in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
        assert names <= set(document)  # every declared metric has a value


def test_trace_header_parsing() -> None:
    assert parse_trace_header("Root=1-a-b;Parent=c;Sampled=1") == {
        "Root": "1-a-b",
        "Parent": "c",
        "Sampled": "1",
    }


@pytest.fixture
def daemon() -> Any:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(2)
    yield listener
    listener.close()


def test_aws_calls_become_xray_subsegments(
    make_function: Any, region: Region, daemon: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_XRAY_DAEMON_ADDRESS", f"127.0.0.1:{daemon.getsockname()[1]}")
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    )
    function = make_function()

    function.handle({"Records": [sqs_record(json.dumps(payment("pay_1")), "m-1")]}, LambdaContext())

    documents = []
    for _ in range(2):  # GetParameters, then PutItem
        header, _, body = daemon.recv(65536).partition(b"\n")
        assert json.loads(header) == {"format": "json", "version": 1}
        documents.append(json.loads(body))
    assert [(d["name"], d["aws"]["operation"]) for d in documents] == [
        ("SSM", "GetParameters"),
        ("DynamoDB", "PutItem"),
    ]
    for document in documents:
        assert document["type"] == "subsegment" and document["namespace"] == "aws"
        assert document["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"
        assert document["parent_id"] == "53995c3f42cd8ad8"
        assert document["end_time"] >= document["start_time"]


def test_unsampled_invocations_send_nothing(
    make_function: Any, region: Region, daemon: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "AWS_XRAY_DAEMON_ADDRESS", f"udp:127.0.0.1:{daemon.getsockname()[1]} tcp:127.0.0.1:2000"
    )
    monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-a-b;Parent=c;Sampled=0")
    daemon.settimeout(0.2)
    function = make_function()

    function.handle({"Records": [sqs_record(json.dumps(payment("pay_1")), "m-1")]}, LambdaContext())

    with pytest.raises(TimeoutError):
        daemon.recv(65536)
    assert list(region.items()) == ["pay_1"]


def test_tracing_is_off_outside_lambda() -> None:
    assert XRaySubsegments.from_env(region="us-east-1") is None
