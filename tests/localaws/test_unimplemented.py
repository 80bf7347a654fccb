"""An action moto lacks answers HTTP 501 NotImplemented in the client's protocol, in one request.

Without the `unimplemented` fix moto's server lets NotImplementedError reach werkzeug: a logged
traceback and HTTP 500, which botocore retries. The live tests run both ways to show the fix is
what turns it into one readable AWS error; the parser tests cover the protocols (REST) that no
action reachable here exercises.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.parsers import create_parser
from botocore.session import get_session

from localaws import LocalAws
from localaws._moto import PINNED_MOTO_VERSION
from localaws.unimplemented import error_response, wire_protocol

from .support import emulated

# (service, action, arguments): actions moto 5.2.5 has no method for, one per wire protocol here
Action = tuple[str, str, dict[str, Any]]
JSON_ACTION: Action = (
    "service-quotas",
    "get_aws_default_service_quota",
    {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
)
QUERY_ACTION: Action = ("rds", "describe_account_attributes", {})
EC2_ACTION: Action = ("ec2", "describe_aggregate_id_format", {})


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with LocalAws() as running:
        yield running


def _call(aws: LocalAws, service: str, action: str, kwargs: dict[str, Any]) -> tuple[ClientError, int]:
    """Call `action` with one retry allowed; return its error and how many requests were sent."""
    client = aws.session().client(  # type: ignore[call-overload]  # stubs: literal service names only
        service,
        endpoint_url=aws.endpoint_url,
        config=Config(retries={"mode": "standard", "total_max_attempts": 2}),
    )
    sent: list[str] = []
    client.meta.events.register("before-send", lambda **_: sent.append(action))
    with pytest.raises(ClientError) as raised:
        getattr(client, action)(**kwargs)
    return raised.value, len(sent)


@pytest.mark.parametrize("fixed", [True, False])
def test_unimplemented_json_action_is_one_501_not_a_logged_traceback(
    fixed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    service, action, kwargs = JSON_ACTION
    with LocalAws(skip_fixes=set() if fixed else {"unimplemented"}) as aws, caplog.at_level(logging.ERROR):
        error, requests = _call(aws, service, action, kwargs)
    werkzeug_errors = [r for r in caplog.records if r.name == "werkzeug" and r.levelno >= logging.ERROR]
    status = error.response["ResponseMetadata"]["HTTPStatusCode"]
    if not fixed:  # moto alone: HTTP 500, retried, a traceback logged per request
        assert (status, requests) == (500, 2)
        assert werkzeug_errors and "NotImplementedError" in werkzeug_errors[0].getMessage()
        return
    assert (error.response["Error"]["Code"], status, requests) == ("NotImplemented", 501, 1)
    assert error.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert error.response["Error"]["Message"] == (
        f"service-quotas GetAWSDefaultServiceQuota has not been implemented in the local AWS "
        f"(moto {PINNED_MOTO_VERSION})"
    )
    assert werkzeug_errors == []


@pytest.mark.parametrize(
    ("service", "action", "kwargs", "name"),
    [
        (*QUERY_ACTION, "DescribeAccountAttributes"),
        (*EC2_ACTION, "DescribeAggregateIdFormat"),
    ],
)
def test_unimplemented_xml_actions_are_one_501_each(
    aws: LocalAws, service: str, action: str, kwargs: dict[str, Any], name: str
) -> None:
    error, requests = _call(aws, service, action, kwargs)
    assert (error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "NotImplemented",
        501,
    )
    assert requests == 1
    assert error.response["Error"]["Message"].startswith(f"{service} {name} has not been implemented")


def test_a_half_implemented_action_keeps_motos_reason(aws: LocalAws) -> None:
    """moto raises NotImplementedError inside DescribeVpcs for a filter it does not model."""
    error, requests = _call(
        aws,
        "ec2",
        "describe_vpcs",
        {"Filters": [{"Name": "owner-alias", "Values": ["x"]}]},
    )
    assert (error.response["Error"]["Code"], requests) == ("NotImplemented", 1)
    message = error.response["Error"]["Message"]
    assert message.startswith("ec2 DescribeVpcs is only partly implemented in the local AWS")
    assert "owner-alias" in message


def test_in_process_mock_aws_raises_client_error_too() -> None:
    """mock_aws dispatches through the same call_action: a ClientError, not a NotImplementedError."""
    service, action, kwargs = JSON_ACTION
    with emulated() as client, pytest.raises(ClientError) as raised:
        getattr(client(service), action)(**kwargs)
    assert raised.value.response["Error"]["Code"] == "NotImplemented"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


@pytest.mark.parametrize(
    ("protocols", "content_type", "expected"),
    [
        (["json"], "application/x-amz-json-1.1", "json"),
        (["json", "query"], "application/x-www-form-urlencoded; charset=utf-8", "query"),
        (["ec2"], "application/x-www-form-urlencoded", "ec2"),
        (["rest-json"], "", "rest-json"),
        (["rest-xml"], "application/xml", "rest-xml"),
    ],
)
def test_the_error_speaks_the_requests_protocol(
    protocols: list[str], content_type: str, expected: str
) -> None:
    assert wire_protocol(protocols, content_type) == expected


@pytest.mark.parametrize(
    ("service", "protocol"),
    [
        ("service-quotas", "json"),
        ("lambda", "rest-json"),
        ("rds", "query"),
        ("ec2", "ec2"),
        ("route53", "rest-xml"),
    ],
)
def test_botocore_reads_every_protocols_error_as_not_implemented(service: str, protocol: str) -> None:
    model = get_session().get_service_model(service)
    status, headers, body = error_response(protocol, "X <is> not here & never was", "req-1")
    outputs = (model.operation_model(name).output_shape for name in model.operation_names)
    shape = next(output for output in outputs if output is not None)  # any: an error ignores it
    wire = {
        "status_code": status,
        "headers": headers,
        "body": body.encode() if isinstance(body, str) else body,
    }
    parsed = create_parser(protocol).parse(wire, shape)
    assert parsed["Error"]["Code"] == "NotImplemented"
    assert parsed["Error"]["Message"] == "X <is> not here & never was"
    assert status == 501
