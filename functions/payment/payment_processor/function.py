"""Wiring and dispatch: one object per container, built from the environment.

Clients are created here once (module import of app.py), never per event. The SQS client is the
exception: it is created on the first rejected record, since most containers never reject one.
botocore is used directly rather than boto3: the same clients, minus boto3's resource layer and
s3transfer on the import path.

`build(env, endpoint_url=...)` makes an independent instance for one region (the drill runs one per
region in one process, against the local AWS); `alb_post_event` builds its requests.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

import botocore.session
from botocore.config import Config

from .active_region import ActiveRegionFence, ledger_record_loader
from .alb import AlbRouter, alb_get_event, alb_post_event
from .config import ConfigCache, SsmConfigLoader
from .dead_letter import DeadLetterQueue
from .health import HealthCheck
from .ledger import Ledger
from .observability import EmfMetrics, JsonLogger
from .service import PaymentService
from .settings import Settings
from .sqs_batch import SqsBatchProcessor
from .tracing import XRaySubsegments

__all__ = ["PaymentFunction", "alb_get_event", "alb_post_event", "build"]

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
        clock: Callable[[], float] | None = None,
    ):
        """`clock` (default: monotonic for the caches, epoch time for ledger timestamps) replaces
        both, e.g. with the local AWS's simulated clock so a drill's fast-forward expires caches."""
        self.settings = settings
        self.dynamodb = dynamodb
        self.ssm = ssm
        self.logger = logger
        self.metrics = metrics
        self.fence = (
            ActiveRegionFence(
                ledger_record_loader(dynamodb, settings.ledger_table),
                region=settings.region,
                cache_s=settings.active_region_cache_s,
                max_age_s=settings.active_region_max_age_s,
                logger=logger,
                clock=clock or time.monotonic,
            )
            if settings.fenced
            else None
        )
        self.config = ConfigCache(
            SsmConfigLoader(
                ssm,
                settings.ssm_parameter_path,
                fallback_endpoint=settings.payment_api_endpoint,
            ),
            ttl_s=settings.config_cache_ttl_s,
            logger=logger,
            clock=clock or time.monotonic,
        )
        self.ledger = Ledger(
            dynamodb,
            settings.ledger_table,
            region=settings.region,
            audit_table=settings.audit_table,
            clock=clock or time.time,
        )
        self.service = PaymentService(self.config, self.ledger, self.fence)
        self.dead_letters = DeadLetterQueue(
            settings.dead_letter_queue_url, sqs_factory, rejected_by=f"{settings.service}@{settings.region}"
        )
        self.sqs = SqsBatchProcessor(self.service, self.dead_letters, logger=logger, metrics=metrics)
        self.alb = AlbRouter(
            self.service,
            region=settings.region,
            logger=logger,
            metrics=metrics,
            health=HealthCheck(self.ledger, region=settings.region, fence=self.fence, logger=logger),
            health_path=settings.health_check_path,
            fenced_retry_after_s=settings.active_region_cache_s,
        )
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
        return cls._assemble(
            os.environ,
            session or botocore.session.get_session(),
            stream=stream,
            tracer_from_env=True,
            client_args={},
            clock=None,
        )

    @classmethod
    def _assemble(
        cls,
        env: Mapping[str, str],
        session: botocore.session.Session,
        *,
        stream: TextIO | None,
        tracer_from_env: bool,
        client_args: dict[str, Any],
        clock: Callable[[], float] | None,
    ) -> PaymentFunction:
        settings = Settings.from_env(env)
        level = env.get("POWERTOOLS_LOG_LEVEL") or env.get("LOG_LEVEL") or "INFO"
        logger = JsonLogger(service=settings.service, level=level, stream=stream, region=settings.region)
        metrics = EmfMetrics(
            namespace=settings.metrics_namespace,
            service=settings.service,
            region=settings.region,
            stream=stream,
        )
        tracer = XRaySubsegments.from_env(region=settings.region) if tracer_from_env else None

        def client(name: str) -> Any:
            created = session.create_client(
                name, region_name=settings.region, config=CLIENT_CONFIG, **client_args
            )
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
            clock=clock,
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


def build(
    env: Mapping[str, str],
    *,
    endpoint_url: str | None = None,
    session: botocore.session.Session | None = None,
    stream: TextIO | None = None,
    clock: Callable[[], float] | None = None,
) -> PaymentFunction:
    """One region's payment function, in process, with its own botocore clients.

    `env` is the function's environment as the template sets it (LEDGER_TABLE, SSM_PARAMETER_PATH,
    DEPLOY_REGION, ACTIVE_REGION_CACHE_S, AUDIT_TABLE, ...); nothing is read from os.environ
    except what botocore itself reads when `env` carries no AWS_ACCESS_KEY_ID. Clients go to
    `endpoint_url` (the local AWS) in env["DEPLOY_REGION"]; a fresh botocore session per call
    (unless `session` is given) keeps two regions' instances in one process fully apart. `stream`
    receives logs and metrics (default stdout); `clock` replaces the caches' and the ledger's clock
    (pass the local AWS's `CLOCK.now` so fast-forwarding expires the active-region cache).
    No X-Ray. Call `.handle(alb_post_event(payment))` or `.handle(sqs_event)`.
    """
    client_args: dict[str, Any] = {"endpoint_url": endpoint_url} if endpoint_url else {}
    if env.get("AWS_ACCESS_KEY_ID"):
        client_args |= {
            "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": env.get("AWS_SECRET_ACCESS_KEY", ""),
            "aws_session_token": env.get("AWS_SESSION_TOKEN") or None,
        }
    return PaymentFunction._assemble(
        env,
        session or botocore.session.Session(),
        stream=stream,
        tracer_from_env=False,
        client_args=client_args,
        clock=clock,
    )


def is_sqs_event(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get("Records"), list)


def is_alb_event(event: Any) -> bool:
    context = event.get("requestContext") if isinstance(event, dict) else None
    return isinstance(context, dict) and "elb" in context
