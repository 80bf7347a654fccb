"""The payment handler with Powertools for AWS Lambda in place of our thin layers (benchmark only).

Same core as functions/payment: the same validation (payment_processor.validation, through
PaymentService), the same SSM configuration cache, one conditional PutItem per payment
(payment_processor.ledger) and the same dead-letter queue. Only the four parts the README weighs
are swapped, each independently, so bench/payment_bench.py can price every part alone on top of ours:

  part      Powertools                                 ours (payment_processor)
  logger    Logger (JSON lines)                        observability.JsonLogger
  metrics   Metrics (CloudWatch EMF)                   observability.EmfMetrics
  tracer    Tracer (X-Ray SDK, botocore patched)       tracing.XRaySubsegments (botocore hooks)
  batch     BatchProcessor, partial batch response     sqs_batch.SqsBatchProcessor

`from_env(PARTS)` is the full Powertools reference; `from_env(frozenset())` is ours. Powertools is
imported only when a part needs it, so a variant's import time counts its own parts; any import of
`aws_lambda_powertools` still loads the package root (Logger, Metrics and Tracer modules).

Callers put functions/payment and bench/ on sys.path. Powertools' extras and its Lambda layer:
https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

import botocore.session
from payment_processor.config import ConfigUnavailable
from payment_processor.dead_letter import DeadLetterQueue, DeadLetterUnavailable
from payment_processor.function import CLIENT_CONFIG, PaymentFunction
from payment_processor.ledger import LedgerUnavailable, Outcome
from payment_processor.observability import EmfMetrics, JsonLogger
from payment_processor.service import PaymentService
from payment_processor.settings import Settings
from payment_processor.tracing import XRaySubsegments
from payment_processor.validation import FieldError

PARTS = frozenset({"logger", "metrics", "tracer", "batch"})
Handler = Callable[[Any, Any], dict[str, Any]]


def powertools_logger(*, service: str, level: str, region: str, stream: TextIO | None) -> Any:
    """Powertools Logger with the one method our core calls that it lacks (`log_exception`)."""
    from aws_lambda_powertools import Logger

    class PaymentLogger(Logger):
        def log_exception(self, message: str, exc: BaseException, **fields: Any) -> None:
            self.error(message, exc_info=exc, **fields)

    return PaymentLogger(service=service, level=level, stream=stream, region=region)


class PowertoolsMetrics:
    """Our metrics interface (count, latency_ms, flush) over Powertools Metrics (EMF on stdout).

    Powertools keeps one value per add_metric call (CloudWatch sums them); ours sums counters in
    memory. The region is a default dimension so it survives each flush, as ours does.
    """

    def __init__(self, *, namespace: str, service: str, region: str):
        from aws_lambda_powertools import Metrics
        from aws_lambda_powertools.metrics import MetricUnit

        self._count_unit = MetricUnit.Count
        self._ms_unit = MetricUnit.Milliseconds
        self.metrics = Metrics(namespace=namespace, service=service)
        self.metrics.set_default_dimensions(region=region)

    def count(self, name: str, value: float = 1) -> None:
        self.metrics.add_metric(name=name, unit=self._count_unit, value=value)

    def latency_ms(self, value: float) -> None:
        self.metrics.add_metric(name="Latency", unit=self._ms_unit, value=round(value, 3))

    def flush(self) -> None:
        self.metrics.flush_metrics()


class PaymentRecordHandler:
    """One SQS record, Powertools style: return on success, raise to have it retried.

    The outcomes are ours: recorded/duplicate acknowledged; invalid or conflicting sent to the DLQ
    with its reasons, then acknowledged; transient trouble raised (a batch item failure).
    """

    def __init__(
        self,
        service: PaymentService,
        dead_letters: DeadLetterQueue,
        *,
        logger: Any,
        metrics: Any,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self._service = service
        self._dead_letters = dead_letters
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def __call__(self, record: Any) -> str:
        started = self._clock()
        message_id, body = record.message_id, record.body
        try:
            result = self._service.submit_json(body, source="sqs", source_id=message_id)
            if result.outcome is Outcome.CREATED or result.outcome is Outcome.DUPLICATE:
                self._metrics.count("Processed" if result.outcome is Outcome.CREATED else "Duplicates")
                self._logger.info(
                    f"payment {'recorded' if result.outcome is Outcome.CREATED else 'duplicate'}",
                    message_id=message_id,
                    payment_id=result.payment_id,
                    latency_ms=round((self._clock() - started) * 1000, 3),
                )
                return str(result.outcome)
            reasons = result.errors
            if result.outcome is Outcome.CONFLICT:
                self._metrics.count("Conflicts")
                reasons = (FieldError("payment_id", "was already recorded with a different body"),)
            self._dead_letters.send(body=body, source_message_id=message_id, reasons=reasons)
            self._metrics.count("Rejected")
            self._logger.warning(
                "payment record rejected to the dead-letter queue",
                message_id=message_id,
                payment_id=result.payment_id,
                reasons=[r.as_dict() for r in reasons],
            )
            return "rejected"
        except (ConfigUnavailable, LedgerUnavailable, DeadLetterUnavailable) as exc:
            self._metrics.count("Failures")
            self._logger.warning("payment record will be retried", message_id=message_id, cause=str(exc))
            raise
        except Exception as exc:
            self._metrics.count("Failures")
            self._logger.log_exception("unexpected error processing record", exc, message_id=message_id)
            raise
        finally:
            self._metrics.latency_ms((self._clock() - started) * 1000)


class PowertoolsBatch:
    """Stands in for our SqsBatchProcessor (same `process` signature) using BatchProcessor.

    `raise_on_entire_batch_failure=False`: when every record fails, the response lists them all,
    as ours does, instead of failing the invocation. BatchProcessor has no time-budget cut-off:
    the remaining-time callable is ignored (ours stops starting records 1.5 s before the timeout).
    Partial batch responses: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
    """

    def __init__(self, record_handler: PaymentRecordHandler):
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

        self._processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self._handler = record_handler

    def process(
        self, records: list[Any], remaining_ms: Callable[[], int] | None = None
    ) -> tuple[dict[str, list[dict[str, str]]], list[Any]]:
        with self._processor(records, self._handler) as processor:
            processor.process()
        return self._processor.response(), []


def build(
    parts: Iterable[str],
    settings: Settings,
    *,
    client: Callable[[str], Any],
    trace_clients: bool = True,
    stream: TextIO | None = None,
) -> Handler:
    """The handler with the given parts from Powertools and the rest ours.

    `client(name)` creates an AWS client; `trace_clients=False` when those are in-memory stubs
    (neither tracer can hook them). `stream` replaces stdout for our logs and metrics and for
    Powertools' Logger; Powertools' Metrics always print to stdout.
    """
    chosen = frozenset(parts)
    unknown = chosen - PARTS
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; choose from {sorted(PARTS)}")
    level = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
    if "logger" in chosen:
        logger = powertools_logger(
            service=settings.service, level=level, region=settings.region, stream=stream
        )
    else:
        logger = JsonLogger(service=settings.service, level=level, stream=stream, region=settings.region)
    metrics: Any
    if "metrics" in chosen:
        metrics = PowertoolsMetrics(
            namespace=settings.metrics_namespace, service=settings.service, region=settings.region
        )
    else:
        metrics = EmfMetrics(
            namespace=settings.metrics_namespace,
            service=settings.service,
            region=settings.region,
            stream=stream,
        )
    tracer: Any = None
    hooks: XRaySubsegments | None = None
    if "tracer" in chosen:
        from aws_lambda_powertools import Tracer

        tracer = Tracer(service=settings.service)  # patches botocore (every client) when enabled
    elif trace_clients:
        hooks = XRaySubsegments.from_env(region=settings.region)

    def traced(name: str) -> Any:
        created = client(name)
        if hooks is not None:
            hooks.install(created)
        return created

    core = PaymentFunction(
        settings,
        dynamodb=traced("dynamodb"),
        ssm=traced("ssm"),
        sqs_factory=lambda: traced("sqs"),
        logger=logger,
        metrics=metrics,
    )
    if "batch" in chosen:
        core.sqs = PowertoolsBatch(  # type: ignore[assignment]  # same process() contract
            PaymentRecordHandler(core.service, core.dead_letters, logger=logger, metrics=metrics)
        )
    if tracer is not None:
        handler: Handler = tracer.capture_lambda_handler(core.handle)
        return handler
    return core.handle


def from_env(
    parts: Iterable[str], session: botocore.session.Session | None = None, *, stream: TextIO | None = None
) -> Handler:
    """As PaymentFunction.from_env: settings from the environment, botocore clients built here."""
    settings = Settings.from_env()
    session = session or botocore.session.get_session()

    def client(name: str) -> Any:
        return session.create_client(name, region_name=settings.region, config=CLIENT_CONFIG)

    return build(parts, settings, client=client, stream=stream)
