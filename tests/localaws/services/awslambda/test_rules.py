"""LAMBDA001 (reserved concurrency leaves 100 unreserved executions, limit settable), LAMBDA002 (an SQS
source's visibility timeout covers the function's timeout) and LAMBDA003 (an SQS batch over 10
needs a batching window)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from localaws import LocalAws
from localaws.server import EmulatorError
from localaws.services.awslambda.rules.unreserved_concurrency import (
    ENV_VAR,
    AccountConcurrencyError,
    account_concurrency,
)

from ...rules.support import (
    STRICT_OR_NOT,
    only_resources_of,
    refused,
    rendered_resources,
    stack_outcome,
    strict,
    strict_unless,
)

ROLE_POLICY = json.dumps(
    {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ]
    }
)


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def _function(client: Any, name: str) -> None:
    role = client("iam").create_role(RoleName=f"r-{name}", AssumeRolePolicyDocument=ROLE_POLICY)["Role"][
        "Arn"
    ]
    client("lambda").create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="app.handler", Code={"ZipFile": _code()}
    )


def _function_template(reserved: int) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": json.loads(ROLE_POLICY)},
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.13",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
                    "ReservedConcurrentExecutions": reserved,
                },
            },
        }
    }


def _project_reservation() -> int:
    functions = only_resources_of(rendered_resources(), "AWS::Serverless::Function")
    reserved = [
        int(f["Properties"]["ReservedConcurrentExecutions"])
        for f in functions.values()
        if "ReservedConcurrentExecutions" in f["Properties"]
    ]
    assert reserved, "the rendered primary template reserves no concurrency"
    return max(reserved)


@STRICT_OR_NOT
def test_a_reservation_leaving_fewer_than_100_unreserved_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "LAMBDA001") as client:
        _function(client, "a")
        _function(client, "b")
        aws_lambda = client("lambda")
        aws_lambda.put_function_concurrency(FunctionName="a", ReservedConcurrentExecutions=800)
        if not is_strict:
            aws_lambda.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=101)
            return
        message = refused(
            lambda: aws_lambda.put_function_concurrency(FunctionName="b", ReservedConcurrentExecutions=101),
            "InvalidParameterValueException",
            "LAMBDA001",
        )
        assert "minimum value of [100]" in message and "account limit 1000" in message
        aws_lambda.put_function_concurrency(
            FunctionName="b", ReservedConcurrentExecutions=100
        )  # leaves exactly 100
        aws_lambda.put_function_concurrency(
            FunctionName="a", ReservedConcurrentExecutions=800
        )  # its own value is not counted twice


def test_a_stack_reserving_too_much_rolls_back_and_its_valid_twin_is_created() -> None:
    with strict() as client:
        status, reasons = stack_outcome(client, "too-much", _function_template(901))
        assert status == "ROLLBACK_COMPLETE"
        assert "InvalidParameterValueException" in reasons and "LAMBDA001" in reasons
        assert stack_outcome(client, "fits", _function_template(900))[0] == "CREATE_COMPLETE"


def test_the_projects_reservation_is_refused_on_an_account_limited_to_50(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reserved = _project_reservation()
    monkeypatch.setenv(ENV_VAR, "50")
    with strict() as client:
        status, reasons = stack_outcome(client, "fn", _function_template(reserved))
        assert status == "ROLLBACK_COMPLETE" and "account limit 50" in reasons
    monkeypatch.delenv(ENV_VAR)
    with strict() as client:  # the default 1000 leaves room for it
        assert stack_outcome(client, "fn", _function_template(reserved))[0] == "CREATE_COMPLETE"


def test_local_aws_applies_the_rules_and_sets_the_limit_through_its_api() -> None:
    with LocalAws() as aws:
        role = aws.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=ROLE_POLICY)["Role"][
            "Arn"
        ]
        aws_lambda = aws.client("lambda", "us-east-2")
        aws_lambda.create_function(
            FunctionName="f",
            Runtime="python3.13",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _code()},
        )
        aws.set_account_concurrency(50)
        refused(
            lambda: aws_lambda.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=20),
            "InvalidParameterValueException",
            "LAMBDA001",
        )
        aws.set_account_concurrency(None)
        aws_lambda.put_function_concurrency(FunctionName="f", ReservedConcurrentExecutions=20)
    assert account_concurrency() == 1000


def test_a_bad_limit_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, "lots")
    with pytest.raises(AccountConcurrencyError, match=f"{ENV_VAR} must be a positive integer"):
        account_concurrency()
    with pytest.raises(EmulatorError, match=f"{ENV_VAR} must be a positive integer"):
        LocalAws().start()
    with pytest.raises(EmulatorError, match="positive integer"):
        LocalAws().set_account_concurrency(0)


# -- LAMBDA002 / LAMBDA003: SQS event source mappings ---------------------------------------------------
def _function_and_queue(client: Any, *, timeout: int = 60, visibility: int = 60) -> tuple[Any, str]:
    """A function and a queue with the given timeouts; returns the Lambda client and the queue ARN."""
    _function(client, "worker")
    aws_lambda = client("lambda")
    aws_lambda.update_function_configuration(FunctionName="worker", Timeout=timeout)
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": str(visibility)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return aws_lambda, arn


def _mapping_template(*, timeout: int, visibility: int, **mapping: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": json.loads(ROLE_POLICY)},
            },
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Runtime": "python3.13",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
                    "Timeout": timeout,
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": visibility}},
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                    **mapping,
                },
            },
        }
    }


def _sam_template(*, timeout: int, visibility: int, **event: Any) -> dict[str, Any]:
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.13",
                    "Handler": "index.handler",
                    "InlineCode": "def handler(event, context):\n    return 1\n",
                    "Timeout": timeout,
                    "Events": {
                        "Jobs": {
                            "Type": "SQS",
                            "Properties": {"Queue": {"Fn::GetAtt": ["Queue", "Arn"]}, **event},
                        }
                    },
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": visibility}},
        },
    }


@STRICT_OR_NOT
def test_a_queue_whose_visibility_timeout_is_below_the_function_timeout_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "LAMBDA002") as client:
        aws_lambda, queue = _function_and_queue(client, timeout=60, visibility=30)
        if not is_strict:
            aws_lambda.create_event_source_mapping(FunctionName="worker", EventSourceArn=queue)
            return
        message = refused(
            lambda: aws_lambda.create_event_source_mapping(FunctionName="worker", EventSourceArn=queue),
            "InvalidParameterValueException",
            "LAMBDA002",
        )
        assert "Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds" in message
        assert aws_lambda.list_event_source_mappings()["EventSourceMappings"] == []


def test_a_visibility_timeout_equal_to_the_function_timeout_is_accepted() -> None:
    with strict() as client:
        aws_lambda, queue = _function_and_queue(client, timeout=60, visibility=60)
        aws_lambda.create_event_source_mapping(FunctionName="worker", EventSourceArn=queue)
        assert len(aws_lambda.list_event_source_mappings()["EventSourceMappings"]) == 1


def test_an_update_is_checked_against_the_functions_timeout_now() -> None:
    """Lambda validates on UpdateEventSourceMapping too: a function that outgrew its queue is refused."""
    with strict() as client:
        aws_lambda, queue = _function_and_queue(client, timeout=60, visibility=60)
        uuid = aws_lambda.create_event_source_mapping(FunctionName="worker", EventSourceArn=queue)["UUID"]
        aws_lambda.update_function_configuration(FunctionName="worker", Timeout=61)
        refused(
            lambda: aws_lambda.update_event_source_mapping(UUID=uuid, Enabled=False),
            "InvalidParameterValueException",
            "LAMBDA002",
        )
        aws_lambda.update_function_configuration(FunctionName="worker", Timeout=60)
        assert aws_lambda.update_event_source_mapping(UUID=uuid, Enabled=False)["UUID"] == uuid


@pytest.mark.parametrize("sam", [False, True], ids=["EventSourceMapping", "SAM-SQS-event"])
def test_a_stack_mapping_a_short_visibility_queue_rolls_back_and_its_valid_twin_is_created(sam: bool) -> None:
    make = _sam_template if sam else _mapping_template
    with strict() as client:
        status, reasons = stack_outcome(client, "short", make(timeout=60, visibility=59))
        assert status == "ROLLBACK_COMPLETE", reasons
        assert "InvalidParameterValueException" in reasons and "LAMBDA002" in reasons
        assert stack_outcome(client, "fits", make(timeout=60, visibility=360))[0] == "CREATE_COMPLETE"
        assert len(client("lambda").list_event_source_mappings()["EventSourceMappings"]) == 1
    with strict(skip={"LAMBDA002"}) as client:  # moto alone creates the mapping AWS refuses
        assert stack_outcome(client, "short", make(timeout=60, visibility=59))[0] == "CREATE_COMPLETE"


@STRICT_OR_NOT
def test_a_batch_over_10_without_a_batching_window_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "LAMBDA003") as client:
        aws_lambda, queue = _function_and_queue(client)
        if not is_strict:
            aws_lambda.create_event_source_mapping(FunctionName="worker", EventSourceArn=queue, BatchSize=11)
            return
        for window in ({}, {"MaximumBatchingWindowInSeconds": 0}):
            message = refused(
                lambda window=window: aws_lambda.create_event_source_mapping(
                    FunctionName="worker", EventSourceArn=queue, BatchSize=11, **window
                ),
                "InvalidParameterValueException",
                "LAMBDA003",
            )
            assert "BatchSize 11, MaximumBatchingWindowInSeconds 0" in message
        assert aws_lambda.list_event_source_mappings()["EventSourceMappings"] == []


def test_a_batch_of_10_or_a_batch_with_a_window_is_accepted_and_updates_are_checked() -> None:
    with strict() as client:
        aws_lambda, queue = _function_and_queue(client)
        first = aws_lambda.create_event_source_mapping(
            FunctionName="worker", EventSourceArn=queue, BatchSize=10
        )
        aws_lambda.delete_event_source_mapping(UUID=first["UUID"])
        uuid = aws_lambda.create_event_source_mapping(
            FunctionName="worker", EventSourceArn=queue, BatchSize=100, MaximumBatchingWindowInSeconds=1
        )["UUID"]
        refused(  # dropping the window under a batch of 100 is refused; the current batch size counts
            lambda: aws_lambda.update_event_source_mapping(UUID=uuid, MaximumBatchingWindowInSeconds=0),
            "InvalidParameterValueException",
            "LAMBDA003",
        )
        aws_lambda.update_event_source_mapping(UUID=uuid, BatchSize=10, MaximumBatchingWindowInSeconds=0)


@pytest.mark.parametrize("sam", [False, True], ids=["EventSourceMapping", "SAM-SQS-event"])
def test_a_stack_with_a_large_batch_and_no_window_rolls_back_and_its_valid_twin_is_created(sam: bool) -> None:
    make = _sam_template if sam else _mapping_template
    with strict() as client:
        status, reasons = stack_outcome(client, "big", make(timeout=60, visibility=360, BatchSize=50))
        assert status == "ROLLBACK_COMPLETE", reasons
        assert "InvalidParameterValueException" in reasons and "LAMBDA003" in reasons
        windowed = make(timeout=60, visibility=360, BatchSize=50, MaximumBatchingWindowInSeconds=1)
        assert stack_outcome(client, "windowed", windowed)[0] == "CREATE_COMPLETE"


def test_the_projects_sqs_events_pass_both_rules() -> None:
    """The rendered functions' SQS events keep their queue's visibility above the timeout, and batch."""
    resources = rendered_resources()
    checked = 0
    for function in only_resources_of(resources, "AWS::Serverless::Function").values():
        properties = function["Properties"]
        for event in (properties.get("Events") or {}).values():
            if event["Type"] != "SQS":
                continue
            get_att = event["Properties"]["Queue"]["Fn::GetAtt"]
            queue_ref = get_att.split(".")[0] if isinstance(get_att, str) else get_att[0]
            visibility = int(resources[queue_ref]["Properties"].get("VisibilityTimeout", 30))
            assert visibility >= int(properties.get("Timeout", 3)), queue_ref
            batch = int(event["Properties"].get("BatchSize", 10))
            assert batch <= 10 or int(event["Properties"].get("MaximumBatchingWindowInSeconds", 0)) >= 1
            checked += 1
    assert checked, "the rendered primary template has no SQS event"
