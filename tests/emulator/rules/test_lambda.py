"""LAMBDA001: reserved concurrency leaves at least 100 unreserved executions (limit settable)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from payinfra.emulator import LocalAws
from payinfra.emulator.rules.lambda_unreserved_concurrency import (
    ENV_VAR,
    AccountConcurrencyError,
    account_concurrency,
)
from payinfra.emulator.server import EmulatorError

from .support import (
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
