"""ALB entry point: `POST /payments` and `GET /payments/{id}`, ALB event in, ALB response out.

Status codes: 201 recorded, 200 duplicate (the stored record) or found, 400 invalid (every bad
field named), 404 unknown payment or route, 405 wrong method, 409 same id with a different body,
413 body over `limits.MAX_BODY_BYTES` (8 KiB; the WAF in front answers the same 413 body), 415 not
JSON, 503 transient AWS trouble or no configuration (Retry-After), 500 anything unexpected (logged;
the client only gets a request id).

Disaster recovery: a fenced region answers a POST with 503 `{"error": "region fenced",
"active_region": X}` and Retry-After (nothing written); when it cannot learn the active region it
answers 503 `{"error": "active region unknown", "active_region": null}`. GET on the health path
(`HEALTH_CHECK_PATH`, default /healthz) is the health check (health.py), outside the metrics.
`alb_post_event` / `alb_get_event` build ALB events for in-process runs (the drill).
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from .active_region import ActiveRegionUnknown, RegionFenced
from .config import ConfigUnavailable
from .health import HealthCheck
from .ledger import LedgerUnavailable, Outcome
from .limits import MAX_BODY_BYTES, PAYLOAD_TOO_LARGE_CODE, PAYLOAD_TOO_LARGE_MESSAGE
from .observability import EmfMetrics, JsonLogger
from .service import PaymentService
from .validation import FieldError, is_valid_id

COLLECTION = "/payments"
_ENCODER = json.JSONEncoder(separators=(",", ":"))
RETRY_AFTER_S = "1"


class AlbRequest:
    """The parts of an ALB Lambda event the routes need, with header names lower-cased."""

    __slots__ = ("body", "headers", "method", "multi_value", "path")

    def __init__(self, event: dict[str, Any]):
        self.method = str(event.get("httpMethod") or "").upper()
        path = event.get("path")
        self.path = path.rstrip("/") or "/" if isinstance(path, str) else "/"
        self.multi_value = "multiValueHeaders" in event
        raw = event.get("multiValueHeaders") if self.multi_value else event.get("headers")
        self.headers: dict[str, str] = {}
        if isinstance(raw, dict):
            for name, value in raw.items():
                last = (value[-1] if value else "") if isinstance(value, list) else value
                if isinstance(name, str) and isinstance(last, str):
                    self.headers[name.lower()] = last
        self.body = event.get("body")
        if event.get("isBase64Encoded") and isinstance(self.body, str):
            try:
                self.body = base64.b64decode(self.body, validate=True).decode("utf-8")
            except ValueError:  # bad base64, non-ASCII input, or not UTF-8 once decoded
                self.body = None


class AlbRouter:
    def __init__(
        self,
        service: PaymentService,
        *,
        region: str,
        logger: JsonLogger,
        metrics: EmfMetrics,
        health: HealthCheck | None = None,
        health_path: str = "/healthz",
        fenced_retry_after_s: float = 5.0,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self._service = service
        self._region = region
        self._logger = logger
        self._metrics = metrics
        self._health = health
        self._health_path = health_path
        self._fenced_retry_after = str(max(1, math.ceil(fenced_retry_after_s)))
        self._clock = clock

    def handle(self, event: dict[str, Any], request_id: str = "") -> dict[str, Any]:
        request = AlbRequest(event)
        if self._health is not None and request.path == self._health_path:
            return self._health_response(request)
        started = self._clock()
        try:
            status, body, headers = self._route(request)
        except RegionFenced as exc:
            self._metrics.count("Fenced")
            self._logger.info("payment refused: region fenced", active_region=exc.active_region)
            status, body = (
                HTTPStatus.SERVICE_UNAVAILABLE,
                self._fenced_body("region fenced", exc.active_region),
            )
            headers = {"Retry-After": self._fenced_retry_after}
        except ActiveRegionUnknown as exc:
            self._metrics.count("Fenced")
            self._logger.error("payment refused: active region unknown", cause=str(exc))
            status, body = HTTPStatus.SERVICE_UNAVAILABLE, self._fenced_body("active region unknown", None)
            headers = {"Retry-After": RETRY_AFTER_S}
        except ConfigUnavailable as exc:
            self._logger.error("configuration unavailable", cause=str(exc))
            self._metrics.count("Failures")
            status, body, headers = self._error(
                HTTPStatus.SERVICE_UNAVAILABLE, "config_unavailable", str(exc)
            )
            headers["Retry-After"] = RETRY_AFTER_S
        except LedgerUnavailable as exc:
            self._logger.warning("ledger unavailable", cause=str(exc), transient=exc.transient)
            self._metrics.count("Failures")
            if exc.transient:
                status, body, headers = self._error(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "the ledger is busy; retry shortly",
                )
                headers["Retry-After"] = RETRY_AFTER_S
            else:
                status, body, headers = self._internal_error(request_id)
        except Exception as exc:  # never a traceback to the client
            self._logger.log_exception("unexpected error handling request", exc, path=request.path[:200])
            self._metrics.count("Failures")
            status, body, headers = self._internal_error(request_id)
        self._metrics.latency_ms((self._clock() - started) * 1000)
        return self._response(request, status, body, headers)

    def _health_response(self, request: AlbRequest) -> dict[str, Any]:
        assert self._health is not None
        if request.method not in ("GET", "HEAD"):
            status, body, headers = self._method_not_allowed("GET")
        else:
            status, body = self._health.status()
            headers = {}
        return self._response(request, status, body, headers)

    def _fenced_body(self, error: str, active_region: str | None) -> dict[str, Any]:
        return {"error": error, "active_region": active_region, "region": self._region}

    def _route(self, request: AlbRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        if request.path == COLLECTION:
            if request.method == "POST":
                return self._post(request)
            return self._method_not_allowed("POST")
        prefix, _, payment_id = request.path.rpartition("/")
        if prefix == COLLECTION:
            if request.method in ("GET", "HEAD"):
                return self._get(payment_id)
            return self._method_not_allowed("GET")
        return self._error(HTTPStatus.NOT_FOUND, "not_found", "no such route")

    def _post(self, request: AlbRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return self._error(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Content-Type must be application/json",
            )
        if (
            isinstance(request.body, str)
            and len(request.body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES
        ):
            # The WAF answers the same body for what it stops first (limits.py).
            return self._error(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE, PAYLOAD_TOO_LARGE_CODE, PAYLOAD_TOO_LARGE_MESSAGE
            )
        result = self._service.submit_json(request.body, source="alb")
        if result.outcome is Outcome.INVALID:
            self._metrics.count("Rejected")
            self._logger.info(
                "payment request rejected",
                payment_id=result.payment_id,
                reasons=[e.as_dict() for e in result.errors],
            )
            return self._error(
                HTTPStatus.BAD_REQUEST, "validation_failed", "the payment is invalid", fields=result.errors
            )
        assert result.payment_id is not None and result.record is not None
        if result.outcome is Outcome.CONFLICT:
            self._metrics.count("Conflicts")
            self._logger.warning("payment id reused with a different body", payment_id=result.payment_id)
            return self._error(
                HTTPStatus.CONFLICT, "conflict", "this payment_id was already recorded with a different body"
            )
        created = result.outcome is Outcome.CREATED
        self._metrics.count("Processed" if created else "Duplicates")
        self._logger.info(f"payment {result.outcome}", payment_id=result.payment_id)
        status = HTTPStatus.CREATED if created else HTTPStatus.OK
        return status, self._payment_body(result.record), {"Location": self._status_url(result.payment_id)}

    def _get(self, payment_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        if not is_valid_id(payment_id):
            return self._error(
                HTTPStatus.BAD_REQUEST,
                "validation_failed",
                "the payment id is invalid",
                fields=(FieldError("payment_id", "must be 1-64 characters: letters, digits, '_' or '-'"),),
            )
        record = self._service.get(payment_id)
        if record is None:
            return self._error(HTTPStatus.NOT_FOUND, "not_found", "no payment with this id")
        return HTTPStatus.OK, self._payment_body(record), {}

    def _payment_body(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "payment": record,
            "region": self._region,
            "status_url": self._status_url(record["payment_id"]),
        }

    def _status_url(self, payment_id: str) -> str:
        return self._service.config.status_url(payment_id)

    def _method_not_allowed(self, allowed: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, body, headers = self._error(
            HTTPStatus.METHOD_NOT_ALLOWED, "method_not_allowed", f"use {allowed}"
        )
        headers["Allow"] = allowed if allowed == "POST" else "GET, HEAD"
        return status, body, headers

    def _internal_error(self, request_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        return self._error(
            HTTPStatus.INTERNAL_SERVER_ERROR,
            "internal_error",
            f"unexpected error; quote request id {request_id or 'unknown'}",
        )

    def _error(
        self, status: HTTPStatus, code: str, message: str, *, fields: tuple[FieldError, ...] = ()
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        error: dict[str, Any] = {"code": code, "message": message}
        if fields:
            error["fields"] = [f.as_dict() for f in fields]
        return status, {"error": error, "region": self._region}, {}

    def _response(
        self, request: AlbRequest, status: int, body: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **headers}
        response: dict[str, Any] = {
            "statusCode": int(status),
            "statusDescription": f"{int(status)} {HTTPStatus(status).phrase}",
            "isBase64Encoded": False,
            "body": "" if request.method == "HEAD" else _ENCODER.encode(body),
        }
        if request.multi_value:
            response["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
        else:
            response["headers"] = headers
        return response


def alb_post_event(payment: Mapping[str, Any], path: str = COLLECTION) -> dict[str, Any]:
    """An ALB event of `POST /payments` carrying `payment` as its JSON body."""
    return alb_event("POST", path, _ENCODER.encode(dict(payment)))


def alb_get_event(path: str) -> dict[str, Any]:
    """An ALB event of `GET path` (a payment's status, or the health path)."""
    return alb_event("GET", path)


def alb_event(method: str, path: str, body: str = "") -> dict[str, Any]:
    """The fields of an ALB Lambda target event that `AlbRequest` reads (single-value headers).
    https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html
    """
    headers = (
        {"host": "payments.local", "content-type": "application/json"} if body else {"host": "payments.local"}
    )
    return {
        "requestContext": {
            "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:local:0:targetgroup/payments/0"}
        },
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": headers,
        "body": body,
        "isBase64Encoded": False,
    }
