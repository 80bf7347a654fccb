"""X-Ray subsegments for AWS SDK calls, without the X-Ray SDK.

With `Tracing: Active` Lambda records the invocation segment itself. The X-Ray SDK would add one
subsegment per AWS call, but importing it costs ~300 ms of cold start on this machine (bench/).
This module does the same job through botocore's event hooks: on each call it sends one
subsegment document over UDP to the daemon Lambda runs (AWS_XRAY_DAEMON_ADDRESS), parented to the
invocation segment named in `_X_AMZN_TRACE_ID`. It is inert when either variable is missing or the
invocation is not sampled, and a failed send is ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import time
from typing import Any

_HEADER = b'{"format": "json", "version": 1}\n'


def parse_trace_header(header: str) -> dict[str, str]:
    """`Root=1-...;Parent=...;Sampled=1` -> {"Root": ..., "Parent": ..., "Sampled": ...}."""
    parts = (item.partition("=") for item in header.split(";"))
    return {key.strip(): value.strip() for key, _, value in parts if key}


class XRaySubsegments:
    """botocore event handlers that emit one X-Ray subsegment per AWS API call."""

    def __init__(self, daemon_address: str, *, region: str):
        host, _, port = daemon_address.rpartition(":")
        self._address = (host or "127.0.0.1", int(port))
        self._region = region
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    @classmethod
    def from_env(cls, *, region: str) -> XRaySubsegments | None:
        address = os.environ.get("AWS_XRAY_DAEMON_ADDRESS", "")
        if not address:
            return None
        # The variable may list "udp:host:port tcp:host:port"; keep the UDP address.
        for part in address.split():
            if part.startswith("udp:"):
                address = part.removeprefix("udp:")
                break
        try:
            return cls(address, region=region)
        except (ValueError, OSError):
            return None

    def install(self, client: Any) -> None:
        client.meta.events.register("before-call", self._before_call)
        client.meta.events.register("after-call", self._after_call)
        client.meta.events.register("after-call-error", self._after_call_error)

    def _before_call(self, context: dict[str, Any], **_: Any) -> None:
        context["xray_start"] = time.time()

    def _after_call(
        self, model: Any, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        status = getattr(http_response, "status_code", 0)
        request_id = parsed.get("ResponseMetadata", {}).get("RequestId", "")
        code = str(parsed.get("Error", {}).get("Code", ""))
        throttled = status == 429 or "Throttl" in code or "ThroughputExceeded" in code
        self._send(model, context, status=status, request_id=request_id, throttled=throttled)

    def _after_call_error(self, context: dict[str, Any], exception: BaseException, **kwargs: Any) -> None:
        model = kwargs.get("model") or kwargs.get("operation_model")
        self._send(model, context, status=0, request_id="", error=type(exception).__name__)

    def _send(
        self,
        model: Any,
        context: dict[str, Any],
        *,
        status: int,
        request_id: str,
        error: str | None = None,
        throttled: bool = False,
    ) -> None:
        header = parse_trace_header(os.environ.get("_X_AMZN_TRACE_ID", ""))
        if header.get("Sampled") != "1" or not header.get("Root") or not header.get("Parent"):
            return
        service = getattr(getattr(model, "service_model", None), "service_id", "AWS")
        document: dict[str, Any] = {
            "name": str(service),
            "id": secrets.token_hex(8),
            "trace_id": header["Root"],
            "parent_id": header["Parent"],
            "type": "subsegment",
            "namespace": "aws",
            "start_time": context.get("xray_start", time.time()),
            "end_time": time.time(),
            "aws": {
                "operation": getattr(model, "name", "?"),
                "region": self._region,
                "request_id": request_id,
            },
            "http": {"response": {"status": status}},
        }
        if throttled:
            document["throttle"] = True
        if 400 <= status < 500:
            document["error"] = True
        elif status >= 500 or error:
            document["fault"] = True
            if error:
                document["cause"] = {"exceptions": [{"id": secrets.token_hex(8), "type": error}]}
        with contextlib.suppress(OSError):  # tracing must never fail a payment
            self._socket.sendto(_HEADER + json.dumps(document).encode(), self._address)
