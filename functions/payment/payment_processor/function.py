"""Wiring and dispatch: one object per container, built from the environment.

Clients are created here once (module import of app.py), never per event. The SQS client is the
exception: it is created on the first rejected record, since most containers never reject one.
botocore is used directly rather than boto3: the same clients, minus boto3's resource layer and
s3transfer on the import path.
"""

from __future__ import annotations

import os
from typing import Any, TextIO

import botocore.session
from botocore.config import Config

from .alb import AlbRouter
from .config import ConfigCache, SsmConfigLoader
from .dead_letter import DeadLetterQueue
from .ledger import Ledger
from .observability import EmfMetrics, JsonLogger
from .service import PaymentService
from .settings import Settings
from .sqs_batch import SqsBatchProcessor
from .tracing import XRaySubsegments

# Short timeouts and a bounded retry budget: a stuck call must fail one record, not the batch.
CLIENT_CONFIG = Config(
    connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3}, tcp_keepalive=True
)


class PaymentFunction:
    """Owns the clients and the core; `handle` is the Lambda entry point's body."""

    def __init__(
        self,
        settings: Settings,
        *,
        dynamodb: Any,
        ssm: Any,
        sqs_factory: Any,
        logger: JsonLogger,
        metrics: EmfMetrics,
    ):
        self.settings = settings
        self.dynamodb = dynamodb
        self.ssm = ssm
        self.logger = logger
        self.metrics = metrics
        self.config = ConfigCache(
            SsmConfigLoader(
                ssm, settings.ssm_parameter_path, fallback_endpoint=settings.payment_api_endpoint
            ),
            ttl_s=settings.config_cache_ttl_s,
            logger=logger,
        )
        self.ledger = Ledger(dynamodb, settings.ledger_table, region=settings.region)
        self.service = PaymentService(self.config, self.ledger)
        self.dead_letters = DeadLetterQueue(
            settings.dead_letter_queue_url, sqs_factory, rejected_by=f"{settings.service}@{settings.region}"
        )
        self.sqs = SqsBatchProcessor(self.service, self.dead_letters, logger=logger, metrics=metrics)
        self.alb = AlbRouter(self.service, region=settings.region, logger=logger, metrics=metrics)
        self._cold_start = True
        if not self.dead_letters.configured:
            logger.warning(
                "DEAD_LETTER_QUEUE_URL is not set: rejected SQS records are retried until redriven"
            )

    @classmethod
    def from_env(
        cls, session: botocore.session.Session | None = None, *, stream: TextIO | None = None
    ) -> PaymentFunction:
        """Build from the environment. `session` lets tests share parsed service models;
        `stream` replaces stdout for logs and metrics (benchmarks)."""
        settings = Settings.from_env()
        level = os.environ.get("POWERTOOLS_LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO"
        logger = JsonLogger(service=settings.service, level=level, stream=stream, region=settings.region)
        metrics = EmfMetrics(
            namespace=settings.metrics_namespace,
            service=settings.service,
            region=settings.region,
            stream=stream,
        )
        session = session or botocore.session.get_session()
        tracer = XRaySubsegments.from_env(region=settings.region)

        def client(name: str) -> Any:
            created = session.create_client(name, region_name=settings.region, config=CLIENT_CONFIG)
            if tracer is not None:
                tracer.install(created)
            return created

        return cls(
            settings,
            dynamodb=client("dynamodb"),
            ssm=client("ssm"),
            sqs_factory=lambda: client("sqs"),
            logger=logger,
            metrics=metrics,
        )

    def handle(self, event: Any, context: Any = None) -> dict[str, Any]:
        request_id = str(getattr(context, "aws_request_id", "") or "")
        self.logger.append_keys(function_request_id=request_id, cold_start=self._cold_start)
        self._cold_start = False
        try:
            if is_sqs_event(event):
                remaining = getattr(context, "get_remaining_time_in_millis", None)
                response, _ = self.sqs.process(event["Records"], remaining if callable(remaining) else None)
                return response
            if is_alb_event(event):
                return self.alb.handle(event, request_id)
            self.logger.error("unsupported event shape", event_type=type(event).__name__)
            return {
                "error": {"code": "unsupported_event", "message": "expected an SQS batch or an ALB request"}
            }
        finally:
            self.metrics.flush()


def is_sqs_event(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get("Records"), list)


def is_alb_event(event: Any) -> bool:
    context = event.get("requestContext") if isinstance(event, dict) else None
    return isinstance(context, dict) and "elb" in context
