"""`python -m payinfra invoke`: the handler in-process, with the deployed function's environment.

Against the local AWS: a stack named like the primary stack holds the pieces the handler touches,
taken from the rendered primary template (ledger table, dead-letter queue, SSM parameters, and
the function's `Environment` exactly as rendered), so the environment the command reads back is
the template's. The deployed function fences itself on the active-region record in the ledger
table, which a deploy's recovery-state plugin writes (the primary at epoch 0): the fixture writes
that same record, so the handler serves as it does after a deploy; `invoke` itself never writes
it. The sample events in events/ go through it as `sam local invoke` would send them.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localaws import LocalAws
from payinfra.__main__ import main
from payinfra.cfn import load_cfn_yaml
from payinfra.config import Context, load_context
from payinfra.deploy import invoke
from payinfra.deploy.errors import OrchestrationError
from payinfra.paths import ROOT
from payinfra.recovery.active import ActiveState, initial_state, read_record, write_active
from payinfra.render.renderer import render_all
from payinfra.topology import stacks

EVENTS = ROOT / "events"
KEPT = {"AWS::DynamoDB::Table": ("LedgerTable",), "AWS::SQS::Queue": ("PaymentDeadLetterQueue",)}
PSEUDO = {"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName", "AWS::URLSuffix"}


def _unresolved_to_placeholders(node: Any, known: set[str]) -> Any:
    """A Ref/GetAtt to a resource the small stack leaves out becomes a plain string."""
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] not in known | PSEUDO:
            return f"placeholder-{node['Ref']}"
        if set(node) == {"Fn::GetAtt"}:
            target = node["Fn::GetAtt"]
            name = target[0] if isinstance(target, list) else str(target).split(".")[0]
            if name not in known:
                return f"placeholder-{name}"
        return {k: _unresolved_to_placeholders(v, known) for k, v in node.items()}
    if isinstance(node, list):
        return [_unresolved_to_placeholders(v, known) for v in node]
    return node


def handler_stack(ctx: Context) -> dict[str, Any]:
    """What the handler reaches, from the rendered primary template; encryption keys left out."""
    rendered = load_cfn_yaml(render_all(ctx)["template.primary.yaml"])["Resources"]
    resources: dict[str, Any] = {}
    for logical_id in ("LedgerTable", "PaymentDeadLetterQueue"):
        resource = copy.deepcopy(rendered[logical_id])
        for key in ("SSESpecification", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "Tags"):
            resource["Properties"].pop(key, None)
        resources[logical_id] = resource
    for logical_id, resource in rendered.items():
        if resource["Type"] == "AWS::SSM::Parameter":
            resources[logical_id] = copy.deepcopy(resource)
    function = rendered[invoke.FUNCTION_LOGICAL_ID]["Properties"]
    resources["InvokeTestRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }
        },
    }
    resources[invoke.FUNCTION_LOGICAL_ID] = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": function["FunctionName"],
            "Handler": function["Handler"],
            "Runtime": function["Runtime"],
            "Timeout": function["Timeout"],
            "MemorySize": function["MemorySize"],
            "Role": {"Fn::GetAtt": ["InvokeTestRole", "Arn"]},
            "Code": {"ZipFile": "def lambda_handler(event, context):\n    return None\n"},
            "Environment": function["Environment"],
        },
    }
    known = set(resources) | {"EnvironmentSuffix"}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"EnvironmentSuffix": {"Type": "String"}},
        "Resources": _unresolved_to_placeholders(resources, known),
    }


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    ctx = load_context()
    primary = stacks(ctx)[0]
    with LocalAws() as aws:
        cfn = aws.client("cloudformation", primary.region)
        cfn.create_stack(
            StackName=primary.name,
            TemplateBody=json.dumps(handler_stack(ctx)),
            Parameters=[{"ParameterKey": "EnvironmentSuffix", "ParameterValue": ctx.project.suffix}],
            Capabilities=["CAPABILITY_IAM"],
        )
        status = cfn.describe_stacks(StackName=primary.name)["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", status
        # What the recovery-state plugin writes after a deploy: the primary serves, epoch 0.
        assert write_active(ctx, aws.client, primary.region, initial_state(ctx))
        yield aws


@pytest.fixture
def endpoint(local_aws: LocalAws, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", local_aws.endpoint_url)
    return local_aws.endpoint_url


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["invoke", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def ledger(aws: LocalAws, ctx: Context) -> dict[str, dict[str, Any]]:
    table = f"payments-ledger-global-{ctx.project.suffix}"
    items = aws.client("dynamodb", ctx.project.primary_region).scan(TableName=table, ConsistentRead=True)
    return {item["payment_id"]["S"]: item for item in items["Items"]}


def test_reads_the_deployed_environment(endpoint: str) -> None:
    ctx = load_context()
    function = invoke.deployed_function(invoke.choose_stack(ctx, None), endpoint)
    assert function.name == f"payments-payment-events-{ctx.project.suffix}"
    assert function.environment["LEDGER_TABLE"] == f"payments-ledger-global-{ctx.project.suffix}"
    assert function.environment["ACTIVE_REGION_CACHE_S"] == "5"  # the handler fences itself
    assert function.environment["DEPLOY_REGION"] == "us-east-1"
    dlq_name = f"payments-payment-events-dlq-{ctx.project.suffix}"
    assert function.environment["DEAD_LETTER_QUEUE_URL"].endswith(dlq_name)
    env = invoke.function_environment(function, endpoint, {"AWS_ENDPOINT_URL_DYNAMODB": "http://x"}, ROOT)
    assert env["AWS_ENDPOINT_URL"] == endpoint and "AWS_ENDPOINT_URL_DYNAMODB" not in env
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == function.name and env["_HANDLER"] == "app.lambda_handler"


def test_sqs_batch_records_the_valid_payments_and_dead_letters_the_rest(
    endpoint: str, local_aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = load_context()
    before = dict(os.environ)
    code, payload, err = run_cli(capsys, "--event", str(EVENTS / "sqs-batch.json"))
    assert code == 0, err
    assert payload == {"batchItemFailures": []}
    assert {"pay_20260115_0001", "pay_20260115_0002"} <= set(ledger(local_aws, ctx))
    assert '"payment_id": "pay_20260115_0001"' in err or '"payment_id":"pay_20260115_0001"' in err  # logs
    assert "returned in" in err
    assert dict(os.environ) == before  # the function's environment was for the call only
    sqs = local_aws.client("sqs", "us-east-1")
    dlq = sqs.get_queue_url(QueueName=f"payments-payment-events-dlq-{ctx.project.suffix}")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert int(attributes["Attributes"]["ApproximateNumberOfMessages"]) == 2


def test_alb_post_then_get(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, created, _ = run_cli(capsys, "--event", str(EVENTS / "alb-post.json"))
    assert code == 0 and created["statusCode"] in (200, 201)
    code, fetched, _ = run_cli(capsys, "--event", str(EVENTS / "alb-get.json"))
    assert code == 0 and fetched["statusCode"] == 200
    assert json.loads(fetched["body"])["payment"] == json.loads(created["body"])["payment"]
    code, malformed, _ = run_cli(capsys, "--event", str(EVENTS / "alb-post-malformed.json"))
    assert code == 0 and malformed["statusCode"] == 400


def test_a_fenced_region_refuses_payments_without_writing(
    endpoint: str, local_aws: LocalAws, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once the record names another region, the same function answers 503 and writes nothing."""
    ctx = load_context()
    event = json.loads((EVENTS / "alb-post.json").read_text())
    event["body"] = json.dumps({**json.loads(event["body"]), "payment_id": "pay_20260115_0999"})
    (tmp_path / "fenced-post.json").write_text(json.dumps(event))
    region = ctx.project.primary_region
    held = read_record(ctx, local_aws.client, region)
    assert held is not None
    before = ledger(local_aws, ctx)
    write_active(ctx, local_aws.client, region, ActiveState("us-east-2", held.epoch + 1))
    try:
        code, refused, _ = run_cli(capsys, "--event", str(tmp_path / "fenced-post.json"))
        after = ledger(local_aws, ctx)
    finally:  # the other tests run in the active primary
        write_active(ctx, local_aws.client, region, ActiveState(region, held.epoch + 2))
    assert code == 0 and refused["statusCode"] == 503
    assert json.loads(refused["body"]) == {
        "error": "region fenced",
        "active_region": "us-east-2",
        "region": region,
    }
    assert "pay_20260115_0999" not in after and after.keys() == before.keys()


def test_a_region_without_a_deployed_function_is_one_line(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, payload, err = run_cli(capsys, "--event", str(EVENTS / "sqs-batch.json"), "--region", "us-east-2")
    assert code == 2 and payload is None
    assert err.startswith("error: no deployed PaymentFunction in stack payments-secondary-dev (us-east-2)")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "--event", str(EVENTS / "sqs-batch.json"), "--region", "eu-west-1")
    assert code == 2 and "--region eu-west-1: the context deploys the function in us-east-1, us-east-2" in err


def test_bad_event_files_and_no_endpoint_are_one_line(
    endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for path, message in ((broken, "is not JSON"), (tmp_path / "missing.json", "not found")):
        code, _, err = run_cli(capsys, "--event", str(path))
        assert code == 2 and message in err and "Traceback" not in err
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    code, _, err = run_cli(capsys, "--event", str(EVENTS / "sqs-batch.json"))
    assert code == 2 and "set AWS_ENDPOINT_URL" in err


def test_a_function_error_is_reported_as_lambda_does(
    endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = load_context()
    function = invoke.deployed_function(invoke.choose_stack(ctx, None), endpoint)
    broken = invoke.DeployedFunction(**{**function.__dict__, "environment": {}})  # no LEDGER_TABLE
    result = invoke.invoke(broken, {}, endpoint=endpoint)
    assert result.error
    assert result.payload["errorType"] == "SettingsError"
    assert "LEDGER_TABLE" in result.payload["errorMessage"]


def test_any_region_of_the_context_can_be_chosen() -> None:
    ctx = load_context(ROOT / "examples" / "three-regions.toml")
    stack = invoke.choose_stack(ctx, "us-west-2")
    assert (stack.name, stack.region, stack.key) == ("payments-secondary-dev", "us-west-2", "us-west-2")
    assert invoke.choose_stack(ctx, None).region == "us-east-1"
    with pytest.raises(OrchestrationError, match="--region eu-west-1: the context deploys the function in "
                       "us-east-1, us-east-2, us-west-2"):
        invoke.choose_stack(ctx, "eu-west-1")
