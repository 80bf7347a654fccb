"""Benchmark of the payment-event processor (a script that prints figures; not a test).

    .venv/bin/python bench/payment_bench.py [--batches N] [--import-python PATH]

Prints, for this machine:
  1. handler overhead per event, AWS calls stubbed in memory (only our code is measured);
  2. events/s for 10-record SQS batches against moto, ours vs a naive reference handler
     (one SSM GetParameter per event, new clients per call), and the ratio;
  3. AWS calls per event (botocore calls counted: target 1 PutItem, 0 SSM after warm-up);
  4. import time of the handler module (fresh interpreter, median of several runs), and the
     share of it that is botocore;
  5. for reference, the per-call cost of Powertools' Logger and Metrics if installed.
Targets: overhead < 100 us/event, import < 300 ms.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FUNCTION_DIR = REPO / "functions" / "payment"
sys.path.insert(0, str(FUNCTION_DIR))

REGION = "us-east-1"
TABLE = "payments-ledger-bench"
PATH = "/payments/bench"
ENDPOINT = "https://api.us-east-1.payments.example.com"
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "LEDGER_TABLE": TABLE,
    "SSM_PARAMETER_PATH": PATH,
    "DEPLOY_REGION": REGION,
    "PAYMENT_API_ENDPOINT": ENDPOINT,
    "CONFIG_CACHE_TTL_S": "60",
    "DEAD_LETTER_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/123456789012/bench-dlq",
}
os.environ.update(ENV)
for name in ("AWS_XRAY_DAEMON_ADDRESS", "_X_AMZN_TRACE_ID", "AWS_PROFILE"):
    os.environ.pop(name, None)

from moto import mock_aws  # noqa: E402  (before any client exists)
from payment_processor.function import PaymentFunction  # noqa: E402
from payment_processor.observability import EmfMetrics, JsonLogger  # noqa: E402
from payment_processor.settings import Settings  # noqa: E402


class Discard(io.TextIOBase):
    """stdout stand-in: log lines are still formatted, then dropped."""

    def write(self, text: str) -> int:
        return len(text)


def payment(payment_id: str) -> str:
    return json.dumps(
        {
            "payment_id": payment_id,
            "account_id": "acct_42",
            "amount": "125.50",
            "currency": "USD",
            "type": "capture",
            "created_at": "2026-01-15T10:30:00Z",
        }
    )


def sqs_batch(prefix: str, size: int = 10) -> dict[str, Any]:
    return {
        "Records": [
            {"messageId": f"{prefix}-{i}", "body": payment(f"{prefix}_{i}"), "eventSource": "aws:sqs"}
            for i in range(size)
        ]
    }


class Context:
    aws_request_id = "bench"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 15_000


# ---------------------------------------------------------------- 1. overhead, AWS stubbed
class StubDynamoDB:
    def put_item(self, **_: Any) -> dict[str, Any]:
        return {}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {}


class StubSsm:
    def get_parameters(self, Names: list[str]) -> dict[str, Any]:
        values = {"payment_api_endpoint": ENDPOINT, "max_amount": "50000.00", "currencies": "USD,EUR"}
        return {"Parameters": [{"Name": n, "Value": values[n.rsplit("/", 1)[-1]]} for n in Names]}


def stubbed_function() -> PaymentFunction:
    settings = Settings.from_env()
    return PaymentFunction(
        settings,
        dynamodb=StubDynamoDB(),
        ssm=StubSsm(),
        sqs_factory=lambda: None,
        logger=JsonLogger(service="payments", stream=Discard(), region=REGION),
        metrics=EmfMetrics(namespace="Payments", service="payments", region=REGION, stream=Discard()),
    )


def overhead_us(rounds: int) -> tuple[float, float]:
    """(us per SQS event, us per ALB POST): the best of 9 repeats, to see past other load."""
    function = stubbed_function()
    batches = [sqs_batch(f"o{r}") for r in range(rounds)]
    function.handle(batches[0], Context())  # warm the config cache
    sqs_runs = []
    for _ in range(9):
        started = time.perf_counter()
        for event in batches:
            function.handle(event, Context())
        sqs_runs.append((time.perf_counter() - started) / (rounds * 10) * 1e6)
    alb = {
        "requestContext": {"elb": {"targetGroupArn": "arn"}},
        "httpMethod": "POST",
        "path": "/payments",
        "headers": {"content-type": "application/json"},
        "body": payment("pay_alb"),
        "isBase64Encoded": False,
    }
    alb_runs = []
    for _ in range(9):
        started = time.perf_counter()
        for _ in range(rounds * 10):
            function.handle(alb, Context())
        alb_runs.append((time.perf_counter() - started) / (rounds * 10) * 1e6)
    return min(sqs_runs), min(alb_runs)


# ---------------------------------------------------------------- 2/3. moto runs
class CallCounter:
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, model: Any, **_: Any) -> None:
        key = f"{model.service_model.service_id}.{model.name}"
        self.calls[key] = self.calls.get(key, 0) + 1


def setup_moto() -> None:
    import boto3

    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "payment_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "payment_id", "KeyType": "HASH"}],
    )
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name=f"{PATH}/payment_api_endpoint", Value=ENDPOINT, Type="String")
    ssm.put_parameter(Name=f"{PATH}/max_amount", Value="50000.00", Type="String")
    ssm.put_parameter(Name=f"{PATH}/currencies", Value="USD,EUR,GBP,JPY,CAD", Type="StringList")


def naive_handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    """The style of many examples: config and clients fetched inside the per-record loop."""
    import boto3

    failures = []
    for record in event["Records"]:
        try:
            ssm = boto3.client("ssm")
            max_amount = float(ssm.get_parameter(Name=f"{PATH}/max_amount")["Parameter"]["Value"])
            body = json.loads(record["body"])
            if float(body["amount"]) > max_amount:
                continue
            boto3.client("dynamodb").put_item(
                TableName=TABLE,
                Item={k: {"S": str(v)} for k, v in body.items()},
                ConditionExpression="attribute_not_exists(payment_id)",
            )
        except Exception:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def moto_run(
    handler: Callable[[dict[str, Any], Any], Any], batches: int, counter: CallCounter, tag: str
) -> float:
    handler(sqs_batch(f"{tag}warm"), Context())  # warm-up batch (cold config, first clients)
    counter.calls.clear()
    started = time.perf_counter()
    for b in range(batches):
        result = handler(sqs_batch(f"{tag}{b}"), Context())
        assert result == {"batchItemFailures": []}, result
    return batches * 10 / (time.perf_counter() - started)


def moto_figures(batches: int) -> dict[str, Any]:
    import boto3
    import botocore.session

    with mock_aws():
        setup_moto()
        ours_counter, naive_counter = CallCounter(), CallCounter()
        function = PaymentFunction.from_env(botocore.session.get_session(), stream=Discard())
        for client in (function.dynamodb, function.ssm):
            client.meta.events.register("before-parameter-build", ours_counter)
        # Every client boto3 creates (the naive handler's) gets the counter through the session.
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register("before-parameter-build", naive_counter)  # type: ignore[union-attr]
        ours = moto_run(function.handle, batches, ours_counter, "ours")
        naive = moto_run(naive_handler, batches, naive_counter, "naive")
    events = batches * 10
    return {
        "ours_eps": ours,
        "naive_eps": naive,
        "ours_calls": {k: v / events for k, v in sorted(ours_counter.calls.items())},
        "naive_calls": {k: v / events for k, v in sorted(naive_counter.calls.items())},
    }


# ---------------------------------------------------------------- 4. import time
IMPORT_SNIPPET = """
import sys, time
sys.path.insert(0, {path!r})
t0 = time.perf_counter()
import botocore.session
t1 = time.perf_counter()
import payment_processor.function
t2 = time.perf_counter()
import app  # module body: PaymentFunction.from_env() creates the DynamoDB and SSM clients
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t3 - t0)
"""


RUNTIME_REQUIREMENTS = REPO / "bench" / "lambda-runtime-requirements.txt"


def runtime_like_python() -> str:
    """A venv of the function's runtime Python holding only what the Lambda runtime ships.

    The dev venv carries awscrt and pyOpenSSL (aws-sam-cli's dependencies), which botocore imports
    when present and the Lambda runtime does not have: timing the import there overstates it.
    """
    sys.path.insert(0, str(REPO))
    from payinfra.config import load_context
    from payinfra.deploy.runtime import find_interpreter

    version = load_context().primary.function.runtime.removeprefix("python")
    venv = REPO / ".tools" / f"lambda-runtime-{version}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == RUNTIME_REQUIREMENTS.read_text():
        return str(python)
    interpreter = find_interpreter(version, os.environ)
    if interpreter is None:
        raise SystemExit(
            f"import timing needs Python {version} (the function's runtime) on PATH or under pyenv; "
            "or pass --import-python PATH"
        )
    print(f"(creating {venv.relative_to(REPO)} with {interpreter} for the import timing)")
    subprocess.run([str(interpreter), "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", str(RUNTIME_REQUIREMENTS)],
        check=True,
    )
    stamp.write_text(RUNTIME_REQUIREMENTS.read_text())
    return str(python)


def import_phases_ms(python: str, runs: int = 7) -> list[float]:
    """Medians, in a fresh interpreter each run, of: botocore import, our modules' import,
    the rest of `import app` (client creation), and the total (= what `import app` costs)."""
    env = {**os.environ, **ENV}
    code = IMPORT_SNIPPET.format(path=str(FUNCTION_DIR))
    samples = []
    for _ in range(runs):
        out = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=False)
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["no output"])[-1]
            raise SystemExit(f"import timing failed with {python}: {last} (it needs botocore installed)")
        samples.append([float(x) * 1000 for x in out.stdout.split()])
    return [statistics.median(column) for column in zip(*samples, strict=True)]


# ---------------------------------------------------------------- 5. Powertools reference
def powertools_us() -> tuple[float, float] | None:
    try:
        from aws_lambda_powertools import Logger, Metrics
    except ImportError:
        return None
    import logging

    logger = Logger(service="payments", logger_handler=logging.StreamHandler(Discard()))
    metrics = Metrics(namespace="Payments", service="payments")
    n = 5000
    started = time.perf_counter()
    for _ in range(n):
        logger.info("payment created", payment_id="pay_1", message_id="m-1", latency_ms=1.0)
    log_us = (time.perf_counter() - started) / n * 1e6
    saved, sys.stdout = sys.stdout, Discard()  # Metrics prints a document every 100 values
    try:
        started = time.perf_counter()
        for _ in range(n):
            metrics.add_metric(name="Latency", unit="Milliseconds", value=1.0)
        metric_us = (time.perf_counter() - started) / n * 1e6
        metrics.clear_metrics()
    finally:
        sys.stdout = saved
    return log_us, metric_us


def ours_log_us() -> float:
    logger = JsonLogger(service="payments", stream=Discard(), region=REGION)
    n = 5000
    started = time.perf_counter()
    for _ in range(n):
        logger.info("payment created", payment_id="pay_1", message_id="m-1", latency_ms=1.0)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=50, help="10-record batches per moto run (default 50)")
    parser.add_argument(
        "--import-python",
        help="interpreter for the import timing (default: a venv of the function's runtime Python "
        "with only the Lambda runtime's packages, created under .tools/ on first use)",
    )
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; python {sys.version.split()[0]}")
    sqs_us, alb_us = overhead_us(rounds=200)
    print("\n1. handler overhead, AWS calls stubbed (best of 9)")
    print(f"   SQS record   {sqs_us:7.1f} us/event   (target < 100)")
    print(f"   ALB POST     {alb_us:7.1f} us/request")

    figures = moto_figures(args.batches)
    print(f"\n2. 10-record SQS batches against moto ({args.batches} batches after one warm-up batch)")
    print(f"   ours         {figures['ours_eps']:7.0f} events/s")
    print(f"   naive        {figures['naive_eps']:7.0f} events/s")
    print(f"   ratio        {figures['ours_eps'] / figures['naive_eps']:7.1f}x")
    print("\n3. AWS calls per event (after warm-up)")
    print(f"   ours         {figures['ours_calls']}")
    print(f"   naive        {figures['naive_calls']}")

    python = args.import_python or runtime_like_python()
    botocore_ms, own_ms, clients_ms, total_ms = import_phases_ms(python)
    print(f"\n4. import time of the handler module, fresh interpreter, median of 7 ({python})")
    print(f"   import app   {total_ms:7.1f} ms   (target < 300), made of:")
    print(f"   - botocore.session import       {botocore_ms:7.1f} ms")
    print(f"   - our modules                    {own_ms:7.1f} ms")
    print(f"   - app body: DynamoDB+SSM clients {clients_ms:7.1f} ms")

    print("\n5. per-call cost of the observability layer")
    print(f"   ours: log line {ours_log_us():.1f} us")
    reference = powertools_us()
    if reference is None:
        print("   Powertools not installed: skipped")
    else:
        print(f"   Powertools: Logger.info {reference[0]:.1f} us, Metrics.add_metric {reference[1]:.1f} us")


if __name__ == "__main__":
    main()
