"""Answer an action moto does not implement with an AWS error (HTTP 501 NotImplemented), not a crash.

moto 5.2.5's `BaseResponse.call_action` raises `NotImplementedError` for an action its service
has no method for, and some actions raise it for a parameter they do not model. On moto's server
the exception escapes to werkzeug, which logs a traceback and answers HTTP 500 with an HTML
page; botocore retries every 500 (legacy and standard modes, boto3 guide), so each call costs
several slow requests and ends in an error no AWS client can read. In-process (`mock_aws`) the
same `call_action` runs and the caller gets a `NotImplementedError` instead of a `ClientError`.

Here the action answers HTTP 501 with error code `NotImplemented` (the code and status S3
uses for functionality it does not implement) in the protocol the client spoke, so botocore
raises `ClientError` with code "NotImplemented" after one request: it retries 500, 502, 503 and
504 (and 429, 509 in legacy mode), never 501. The message names the action and says the local
AWS cannot do it, so a caller (the preflight) reports it as not performed here.
- 501 NotImplemented: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
- retried status codes: https://docs.aws.amazon.com/boto3/latest/guide/retries.html
- JSON error body (`__type`, `message`, x-amzn-RequestId):
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
- EC2's error document (Response/Errors/Error, RequestID):
  https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from localaws._moto import PINNED_MOTO_VERSION, TYPE_RESPONSE, BaseResponse, get_service_model
from localaws.patching import Patcher

STATUS = 501
CODE = "NotImplemented"

CallAction = Callable[[BaseResponse], TYPE_RESPONSE]


def wire_protocol(protocols: Sequence[str], content_type: str) -> str:
    """The protocol a request was sent in (so its error is read): its Content-Type, else the service's.

    botocore sends `application/x-amz-json-*` for the JSON protocol and a form body for query
    and EC2; a REST request carries no protocol marker, so the service's REST protocol is it.
    """
    if content_type.startswith("application/x-amz-json"):
        return "json"
    if content_type.startswith("application/x-www-form-urlencoded"):
        return "ec2" if "ec2" in protocols else "query"
    for rest in ("rest-json", "rest-xml"):
        if rest in protocols:
            return rest
    return protocols[0] if protocols else "json"


def message(service: str, action: str, detail: str) -> str:
    """What the caller reads: which action, that the local AWS lacks it (or part of it: `detail`)."""
    what = f"{service} {action}".strip() or "This action"
    local = f"the local AWS (moto {PINNED_MOTO_VERSION})"
    if detail:
        return f"{what} is only partly implemented in {local}: {detail}"
    return f"{what} has not been implemented in {local}"


def error_response(
    protocol: str, text: str, request_id: str, *, json_type: str = "", xml_namespace: str | None = None
) -> TYPE_RESPONSE:
    """HTTP 501 with the error document botocore parses for `protocol`.

    `json_type` is the request's JSON content type (`application/x-amz-json-1.0` or `-1.1`),
    answered in kind; `xml_namespace` is the service's, which AWS puts on its XML errors.
    """
    if protocol in ("json", "rest-json"):
        default_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
        headers = {"Content-Type": json_type or default_type, "x-amzn-ErrorType": CODE}
        headers["x-amzn-RequestId"] = request_id
        return STATUS, headers, json.dumps({"__type": CODE, "message": text})
    fields = f"<Code>{CODE}</Code><Message>{escape(text)}</Message>"
    if protocol == "ec2":
        errors = f"<Errors><Error>{fields}</Error></Errors>"
        xml = f"<Response>{errors}<RequestID>{request_id}</RequestID></Response>"
    else:  # query and rest-xml (botocore's rest-xml parser reads this form and S3's <Error> alike)
        xmlns = f" xmlns={quoteattr(xml_namespace)}" if xml_namespace else ""
        error = f"<Error><Type>Receiver</Type>{fields}</Error>"
        xml = f"<ErrorResponse{xmlns}>{error}<RequestId>{request_id}</RequestId></ErrorResponse>"
    return STATUS, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml


def unrouted(service: str, method: str, path: str, content_type: str) -> TYPE_RESPONSE:
    """The 501 answer to a signed request moto has no route for (werkzeug would answer an HTML
    404, which botocore reads as an unknown error "404"): a REST operation moto lacks entirely,
    e.g. AWS Backup's ListRecoveryPointsByBackupVault."""
    protocols: Sequence[str] = ()
    namespace = None
    try:
        model = get_service_model(service)
        protocols = model.metadata.get("protocols") or [model.protocol]
        namespace = model.metadata.get("xmlNamespace")
    except Exception:
        protocols = ("rest-json",)
    protocol = wire_protocol(protocols, content_type)
    text = message(service, f"{method} {path}", "")
    json_type = content_type if protocol == "json" else ""
    return error_response(protocol, text, str(uuid.uuid4()), json_type=json_type, xml_namespace=namespace)


def _detail(exc: NotImplementedError) -> str:
    """moto's own reason, unless it only repeats that the action is missing."""
    text = str(exc)
    return "" if text.startswith("The ") and text.endswith(" action has not been implemented") else text


def not_implemented(response: BaseResponse, exc: NotImplementedError) -> TYPE_RESPONSE:
    """The 501 answer to the request `response` was handling when moto raised `exc`."""
    action = response._get_action() or ""
    protocols: Sequence[str] = ()
    service, namespace = response.boto3_service_name, None
    if service:
        model = get_service_model(service)
        protocols = model.metadata.get("protocols") or [model.protocol]
        namespace = model.metadata.get("xmlNamespace")
    headers: Mapping[str, str] = getattr(response, "headers", None) or {}
    content_type = headers.get("Content-Type", "")
    protocol = wire_protocol(protocols, content_type)
    text = message(service, action, _detail(exc))
    json_type = content_type if protocol == "json" else ""
    return error_response(protocol, text, str(uuid.uuid4()), json_type=json_type, xml_namespace=namespace)


def _call_action(original: CallAction) -> CallAction:
    def call_action(self: BaseResponse) -> TYPE_RESPONSE:
        try:
            return original(self)
        except NotImplementedError as exc:
            return not_implemented(self, exc)

    return call_action


def apply(patcher: Patcher) -> None:
    # Most services' dispatch (server and mock_aws) ends in BaseResponse.call_action; dynamodb and
    # autoscaling override it and call super(), so they are covered too. Not covered (moto 5.2.5):
    # S3's bucket and key handlers raise NotImplementedError outside call_action (still HTTP 500),
    # and dynamodb_v20111205 overrides call_action without super().
    patcher.replace(BaseResponse, "call_action", _call_action(BaseResponse.call_action))
