"""Regional outages at the request layer, and replication delivered before each request.

A request is refused as AWS refuses calls during a regional outage when its SigV4 credential
scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`, in the Authorization header or the
presigned `X-Amz-Credential` query parameter) names a region in `FAULTS.down`: HTTP 503
`ServiceUnavailable` ("a temporary failure of the server"), counted by `FAULTS.count_refused`.
Global services whose control plane is in us-east-1 (Route 53, IAM) are lost with us-east-1,
as on AWS, whatever region the client signed for. Requests without a scope (moto's own
`/moto-api/`) always pass.
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/disaster-recovery-resiliency.html

A signed request moto has no route for (a REST operation it lacks entirely, such as AWS Backup's
ListRecoveryPointsByBackupVault) gets AWS's HTTP 501 NotImplemented in the request's protocol
(`unimplemented.unrouted`) instead of werkzeug's HTML 404, so callers report "not performed".

Before serving any request, the DynamoDB global-table changes due by `CLOCK.now()` are applied
(`services.dynamodb.global_tables.deliver_due`), so a read sees what replication delivered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from localaws import unimplemented
from localaws._moto import domain_dispatcher_application
from localaws.faults import FAULTS
from localaws.patching import Patcher
from localaws.services.dynamodb import global_tables

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")
_QUERY_SCOPE = re.compile(r"^[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")

StartResponse = Callable[..., Any]


# Services whose control plane is in us-east-1 whatever region a client names (with an endpoint
# override, SDKs sign these with the client's region, so the scope alone would miss them).
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/disaster-recovery-resiliency.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/disaster-recovery-resiliency.html
US_EAST_1_CONTROL_PLANES = frozenset({"route53", "iam", "cloudfront", "organizations"})


def signed_region(environ: dict[str, Any]) -> str | None:
    """The region that serves the request: its SigV4 credential scope's region (us-east-1 for
    the global control planes), or None for an unsigned request."""
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
    if match is None:
        credential = parse_qs(environ.get("QUERY_STRING") or "").get("X-Amz-Credential")
        match = _QUERY_SCOPE.match(credential[0]) if credential else None
    if match is None:
        return None
    region, service = match.group(1), match.group(2)
    return "us-east-1" if service in US_EAST_1_CONTROL_PLANES else region


def _is_json_protocol(environ: dict[str, Any]) -> bool:
    return bool(environ.get("HTTP_X_AMZ_TARGET")) or "json" in (environ.get("CONTENT_TYPE") or "")


def refusal(environ: dict[str, Any], region: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """HTTP 503 ServiceUnavailable in the request's protocol (JSON or XML error shape)."""
    message = f"Service unavailable: region {region} is in an outage (localaws fault injection)"
    headers = [("x-amzn-ErrorType", "ServiceUnavailable"), ("x-amzn-RequestId", "localaws-outage")]
    if _is_json_protocol(environ):
        body = json.dumps({"__type": "ServiceUnavailable", "message": message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.0"))
    else:
        body = (
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>"
            f"<Message>{message}</Message></Error><RequestId>localaws-outage</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return "503 Service Unavailable", headers, body


def _wrap_call(original: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    def __call__(self: Any, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        region = signed_region(environ)
        if region is not None and FAULTS.is_down(region):
            FAULTS.count_refused(region)
            status, headers, body = refusal(environ, region)
            start_response(status, headers)
            return [body]
        global_tables.deliver_due()
        if region is None:
            return original(self, environ, start_response)
        return _unrouted_as_not_implemented(original, self, environ, start_response)

    return __call__


def _unrouted_as_not_implemented(
    original: Callable[..., Iterable[bytes]], app: Any, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """A signed request moto has no route for gets AWS's 501 NotImplemented in the request's
    protocol (`unimplemented.unrouted`) instead of werkzeug's HTML 404."""
    captured: list[Any] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured[:] = [status, headers, exc_info]
        return lambda _data: None  # moto's app returns its body; it never uses write()

    body = original(app, environ, capture)
    status, headers, exc_info = captured
    html = any(k.lower() == "content-type" and v.startswith("text/html") for k, v in headers)
    if not (status.startswith("404") and html):
        start_response(status, headers, exc_info)
        return body
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
    service = match.group(2) if match else ""
    code, answer_headers, text = unimplemented.unrouted(
        service,
        environ.get("REQUEST_METHOD", ""),
        environ.get("PATH_INFO", ""),
        environ.get("CONTENT_TYPE", ""),
    )
    payload = text.encode() if isinstance(text, str) else bytes(text)
    start_response(
        f"{code} Not Implemented", [*dict(answer_headers).items(), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def apply(patcher: Patcher) -> None:
    dispatcher = domain_dispatcher_application()
    patcher.replace(dispatcher, "__call__", _wrap_call(dispatcher.__call__))
