"""The preflight: each problem a deploy would hit is found by a read-only call (botocore Stubber),
a clean account passes, and against the local AWS every check it cannot answer is listed as
"not performed by this backend", never passed."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from localaws.testing import mock_aws
from payinfra.__main__ import main
from payinfra.config import Context, load_context
from payinfra.deploy import commands
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.preflight import (
    ALBS,
    ELASTIC_IPS,
    VPCS,
    PreflightReport,
    check_alias,
    check_backup_settings,
    check_bucket,
    check_concurrency,
    check_orderable,
    check_quotas,
    run_preflight,
)
from payinfra.paths import ROOT
from payinfra.plugins.aws import RegionalSessions
from payinfra.render.renderer import render_all, write_all
from tests.deploy.fakes import FakeSam
from tests.deploy.test_commands import OVERRIDES

REGION = "us-east-1"
READ_ONLY = ("Describe", "Get", "List", "Head")


def stubbed(service: str) -> tuple[Any, Stubber]:
    client = boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


# -- RDS: engine version and instance class -----------------------------------------------------------


def _orderable(version: str, klass: str) -> dict[str, Any]:
    return {
        "OrderableDBInstanceOptions": [
            {"Engine": "postgres", "EngineVersion": version, "DBInstanceClass": klass}
        ]
    }


def test_orderable_version_and_class_pass() -> None:
    rds, stub = stubbed("rds")
    stub.add_response(
        "describe_orderable_db_instance_options",
        _orderable("17.6", "db.t4g.medium"),
        {"Engine": "postgres", "MaxRecords": 20, "EngineVersion": "17.6", "DBInstanceClass": "db.t4g.medium"},
    )
    report = PreflightReport()
    with stub:
        check_orderable(rds, REGION, "17.6", "db.t4g.medium", report)
    assert report.problems == [] and report.passed == [
        "rds (us-east-1): postgres 17.6 on db.t4g.medium is orderable"
    ]
    stub.assert_no_pending_responses()


def test_engine_version_not_creatable_is_a_problem() -> None:
    rds, stub = stubbed("rds")
    stub.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []})
    stub.add_response("describe_orderable_db_instance_options", _orderable("16.13", "db.t4g.medium"))
    stub.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []})
    stub.add_response(
        "describe_db_engine_versions",
        {"DBEngineVersions": []},
        {"Engine": "postgres", "EngineVersion": "17.99"},
    )
    report = PreflightReport()
    with stub:
        check_orderable(rds, "us-east-2", "17.99", "db.t4g.medium", report)
    assert len(report.problems) == 1
    assert report.problems[0].startswith(
        "rds (us-east-2): postgres 17.99 on db.t4g.medium: "
        "engine version 17.99 cannot be created in us-east-2"
    )
    assert "(database.engine_version)" in report.problems[0]


def test_instance_class_not_orderable_is_a_problem() -> None:
    rds, stub = stubbed("rds")
    stub.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []})
    stub.add_response("describe_orderable_db_instance_options", _orderable("17.6", "db.r7g.large"))
    stub.add_response("describe_orderable_db_instance_options", _orderable("17.6", "db.r7g.large"))
    report = PreflightReport()
    with stub:
        check_orderable(rds, REGION, "17.6", "db.x9.huge", report)
    assert len(report.problems) == 1
    assert "instance class db.x9.huge is not orderable with postgres 17.6" in report.problems[0]


def test_empty_catalogue_is_not_performed_not_passed() -> None:
    rds, stub = stubbed("rds")
    stub.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []})
    stub.add_response("describe_orderable_db_instance_options", {"OrderableDBInstanceOptions": []})
    report = PreflightReport()
    with stub:
        check_orderable(rds, REGION, "17.6", "db.t4g.medium", report)
    assert report.problems == [] and report.passed == []
    assert report.unchecked == [
        "rds (us-east-1): postgres 17.6 on db.t4g.medium: "
        "not performed by this backend (no orderable options at all)"
    ]


# -- Lambda concurrency -------------------------------------------------------------------------------


def _settings(total: int, unreserved: int) -> dict[str, Any]:
    return {"AccountLimit": {"ConcurrentExecutions": total, "UnreservedConcurrentExecutions": unreserved}}


@pytest.mark.parametrize(
    ("total", "unreserved", "held", "problem"),
    [
        (10, 10, None, "would leave -10 unreserved executions (account quota 10, 10 unreserved now)"),
        (1000, 115, None, "would leave 95 unreserved executions"),
        (1000, 1000, None, None),
        (1000, 110, 20, None),  # a redeploy: the function's own reservation comes back first
    ],
)
def test_concurrency_keeps_100_unreserved(
    total: int, unreserved: int, held: int | None, problem: str | None
) -> None:
    lam, stub = stubbed("lambda")
    stub.add_response("get_account_settings", _settings(total, unreserved))
    if held is None:
        stub.add_client_error("get_function_concurrency", "ResourceNotFoundException", http_status_code=404)
    else:
        stub.add_response(
            "get_function_concurrency", {"ReservedConcurrentExecutions": held}, {"FunctionName": "fn"}
        )
    report = PreflightReport()
    with stub:
        check_concurrency(lam, REGION, "fn", 20, report)
    if problem is None:
        assert report.problems == [] and len(report.passed) == 1
    else:
        assert len(report.problems) == 1 and problem in report.problems[0]
        assert (
            "set lambda.reserved_concurrency = 0" in report.problems[0] and "L-B99A9384" in report.problems[0]
        )


def test_no_reservation_needs_no_call() -> None:
    lam, stub = stubbed("lambda")
    report = PreflightReport()
    with stub:
        check_concurrency(lam, REGION, "fn", 0, report)
    assert report.passed == ["lambda (us-east-1): no reserved concurrency requested"]


# -- Quotas -------------------------------------------------------------------------------------------


def test_quota_exhausted_is_a_problem_and_free_room_passes() -> None:
    quotas, stub = stubbed("service-quotas")
    stub.add_response(
        "get_service_quota", {"Quota": {"Value": 5.0}}, {"ServiceCode": "vpc", "QuotaCode": "L-F678F1CE"}
    )
    # No applied value for Elastic IPs: the default is asked for.
    stub.add_client_error("get_service_quota", "NoSuchResourceException", http_status_code=400)
    stub.add_response(
        "get_aws_default_service_quota",
        {"Quota": {"Value": 5.0}},
        {"ServiceCode": "ec2", "QuotaCode": "L-0263D0A3"},
    )
    counters = {VPCS: lambda: 5, ELASTIC_IPS: lambda: 2}
    report = PreflightReport()
    with stub:
        check_quotas(quotas, counters, {VPCS: 1, ELASTIC_IPS: 3}, REGION, report)
    assert report.problems == [
        "quota (us-east-1): VPCs per Region (vpc L-F678F1CE): 5 used + 1 needed > 5; free some or request an "
        "increase (aws service-quotas request-service-quota-increase --service-code vpc --quota-code "
        "L-F678F1CE --desired-value 6 --region us-east-1)"
    ]
    assert report.passed == [
        "quota (us-east-1): EC2-VPC Elastic IPs (ec2 L-0263D0A3): 2 used + 3 needed <= 5"
    ]


def test_denied_quota_call_is_listed_unchecked() -> None:
    quotas, stub = stubbed("service-quotas")
    stub.add_client_error("get_service_quota", "AccessDeniedException", "not allowed", http_status_code=403)
    report = PreflightReport()
    with stub:
        check_quotas(quotas, {ALBS: lambda: 0}, {ALBS: 1}, REGION, report)
    assert report.problems == [] and report.passed == []
    assert report.unchecked == [
        "quota (us-east-1): Application Load Balancers per Region (elasticloadbalancing L-53DA6B97): "
        "AccessDeniedException: not allowed"
    ]


# -- KMS alias and bucket names -----------------------------------------------------------------------


def _aliases(key_id: str | None) -> dict[str, Any]:
    alias = {
        "AliasName": "alias/payments-dev",
        "AliasArn": "arn:aws:kms:us-east-1:111122223333:alias/payments-dev",
    }
    if key_id:
        alias["TargetKeyId"] = key_id
    return {"Aliases": [alias], "Truncated": False}


def test_alias_of_a_key_pending_deletion_is_a_problem() -> None:
    kms, stub = stubbed("kms")
    stub.add_response("list_aliases", _aliases("1234abcd-12ab-34cd-56ef-1234567890ab"))
    stub.add_response(
        "describe_key",
        {
            "KeyMetadata": {
                "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
                "KeyState": "PendingDeletion",
                "DeletionDate": datetime(2026, 12, 1, tzinfo=UTC),
            }
        },
        {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"},
    )
    report = PreflightReport()
    with stub:
        check_alias(kms, REGION, "alias/payments-dev", False, report)
    assert len(report.problems) == 1
    assert "pending deletion until 2026-12-01" in report.problems[0]
    assert "aws kms cancel-key-deletion" in report.problems[0]


@pytest.mark.parametrize(("stack_exists", "problem"), [(False, True), (True, False)])
def test_alias_of_a_live_key_is_taken_unless_the_stack_owns_it(stack_exists: bool, problem: bool) -> None:
    kms, stub = stubbed("kms")
    stub.add_response("list_aliases", _aliases("1234abcd-12ab-34cd-56ef-1234567890ab"))
    stub.add_response(
        "describe_key",
        {"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "KeyState": "Enabled"}},
    )
    report = PreflightReport()
    with stub:
        check_alias(kms, REGION, "alias/payments-dev", stack_exists, report)
    assert bool(report.problems) is problem


def test_free_alias_passes() -> None:
    kms, stub = stubbed("kms")
    stub.add_response("list_aliases", {"Aliases": [], "Truncated": False})
    report = PreflightReport()
    with stub:
        check_alias(kms, REGION, "alias/payments-dev", False, report)
    assert report.passed == ["kms (us-east-1): alias/payments-dev is free"]


@pytest.mark.parametrize(
    ("status", "stack_exists", "expected"),
    [
        (404, False, None),
        (403, False, "the name is taken (another account owns it, or access is denied)"),
        (200, False, "already exists but the stack does not"),
        (200, True, None),
        (301, False, "already exists but the stack does not"),
    ],
)
def test_bucket_names(status: int, stack_exists: bool, expected: str | None) -> None:
    s3, stub = stubbed("s3")
    if status == 200:
        stub.add_response("head_bucket", {}, {"Bucket": "payments-uploads-dev-us-east-1-111122223333"})
    else:
        stub.add_client_error("head_bucket", str(status), http_status_code=status)
    report = PreflightReport()
    with stub:
        check_bucket(s3, REGION, "payments-uploads-dev-us-east-1-111122223333", stack_exists, report)
    if expected is None:
        assert report.problems == [] and len(report.passed) == 1
    else:
        assert len(report.problems) == 1 and expected in report.problems[0]


# -- The whole preflight against the local AWS (moto) ------------------------------------------------


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        # The hosted zone is the operator's, created before any deploy (preflight checks it).
        boto3.client("route53", region_name="us-east-1").create_hosted_zone(
            Name=load_context().recovery.hosted_zone + ".", CallerReference="preflight-tests"
        )
        yield


def test_a_missing_hosted_zone_is_one_problem_naming_it(local_aws: None, ctx: Context) -> None:
    route53 = boto3.client("route53", region_name="us-east-1")
    for zone in route53.list_hosted_zones()["HostedZones"]:
        route53.delete_hosted_zone(Id=zone["Id"])
    report = run_preflight(ctx, RegionalSessions(), "123456789012")
    assert [p for p in report.problems if "hosted zone" in p] == [
        f"hosted zone {ctx.recovery.hosted_zone}. does not exist: create it in Route 53 or set "
        "recovery.hosted_zone (the global stack's records go into it)"
    ]


@pytest.fixture
def ctx() -> Context:
    return load_context(overrides=OVERRIDES)


def _recording_sessions(calls: list[str]) -> RegionalSessions:
    def factory(region: str) -> boto3.Session:
        session = boto3.Session(region_name=region)
        session.events.register("before-call.*.*", lambda model, **_: calls.append(model.name))
        return session

    return RegionalSessions(factory)


def test_clean_local_account_passes_and_says_what_it_could_not_check(local_aws: None, ctx: Context) -> None:
    calls: list[str] = []
    report = run_preflight(ctx, _recording_sessions(calls), "123456789012")
    assert report.problems == []
    assert calls and all(name.startswith(READ_ONLY) for name in calls), "the preflight wrote something"
    passed = "\n".join(report.passed)
    assert "quota (us-east-2): VPCs per Region (vpc L-F678F1CE): 1 used + 1 needed <= 5" in passed
    assert "kms (us-east-1): alias/payments-dev is free" in passed
    unchecked = "\n".join(report.unchecked)
    # moto 5.2.5 has no PostgreSQL orderable catalogue, no GetAccountSettings, and service-quotas
    # only for "vpc": each of those is said, never passed.
    for region in ("us-east-1", "us-east-2"):
        assert f"rds ({region}): postgres 17.6 on db.t4g.medium: not performed by this backend" in unchecked
        assert f"lambda ({region}): reserved concurrency 20: not performed by this backend" in unchecked
        assert (
            f"quota ({region}): EC2-VPC Elastic IPs (ec2 L-0263D0A3): not performed by this backend"
            in unchecked
        )
    assert not any("rds (" in line for line in report.passed)


def test_every_region_of_three_is_checked(local_aws: None) -> None:
    ctx = load_context(ROOT / "examples" / "three-regions.toml", OVERRIDES)
    report = run_preflight(ctx, RegionalSessions(), "123456789012")
    assert report.problems == []
    passed = "\n".join(report.passed)
    for region in ("us-east-1", "us-east-2", "us-west-2"):
        assert f"quota ({region}): VPCs per Region (vpc L-F678F1CE): 1 used + 1 needed <= 5" in passed
        assert f"kms ({region}): alias/payments-dev is free" in passed


def test_the_peering_stack_of_a_two_region_deployment_must_go_first(local_aws: None, ctx: Context) -> None:
    """Deployed before N regions: `payments-peering-dev` would hold the routes the per-pair
    `payments-peering-dev-us-east-2` adds."""
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    template = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
    cfn.create_stack(StackName="payments-peering-dev-us-east-2", TemplateBody=template)
    assert run_preflight(ctx, RegionalSessions(), "123456789012").problems == []
    cfn.create_stack(StackName="payments-peering-dev", TemplateBody=template)
    assert run_preflight(ctx, RegionalSessions(), "123456789012").problems == [
        "payments-peering-dev (us-east-1) is the peering stack of a two-region deployment; each "
        "peering now has its own stack and would add the same routes: delete it first "
        "(sam delete --stack-name payments-peering-dev --region us-east-1 --no-prompts)"
    ]


def test_a_backend_without_the_api_is_reported_in_one_line() -> None:
    """moto's server answers an unknown route with an HTML page (HTTP 404/500): not an AWS error."""
    from botocore.exceptions import ClientError

    from payinfra.deploy.preflight import _why_not

    page = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    err = ClientError({"Error": {"Code": "404", "Message": page}}, "GetAccountSettings")
    assert _why_not(err) == "not performed by this backend (HTTP 404: no such API here)"
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "not\nauthorized"}}, "GetServiceQuota")
    assert _why_not(denied) == "AccessDenied: not authorized"
    # The local AWS answers an action moto lacks with AWS's NotImplemented (HTTP 501), whatever
    # its message says.
    lacking = ClientError(
        {"Error": {"Code": "NotImplemented", "Message": "GetAWSDefaultServiceQuota: not here"}},
        "GetAWSDefaultServiceQuota",
    )
    assert _why_not(lacking) == "not performed by this backend"


def test_local_account_problems_are_found(local_aws: None, ctx: Context) -> None:
    account = "123456789012"
    names = ctx.names
    # A key pending deletion still holding the alias in us-east-2.
    kms = boto3.client("kms", region_name="us-east-2")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=names.concrete("kms_alias"), TargetKeyId=key)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    # A bucket left from an earlier deployment in us-east-1.
    left = names.concrete("alb_logs_bucket", region="us-east-1", account=account)
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=left)
    # us-east-2 already has 5 VPCs (the default one + 4): no room for one more.
    ec2 = boto3.client("ec2", region_name="us-east-2")
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"172.{16 + n}.0.0/16")
    # A primary stack whose creation rolled back.
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(
        StackName="payments-primary-dev",
        TemplateBody='{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}',
    )
    from localaws.testing import backend

    backend("cloudformation", "us-east-1", account).stacks[
        cfn.describe_stacks(StackName="payments-primary-dev")["Stacks"][0]["StackId"]
    ].status = "ROLLBACK_COMPLETE"

    report = run_preflight(ctx, RegionalSessions(), account)
    text = "\n".join(report.problems)
    assert "payments-primary-dev (us-east-1) is ROLLBACK_COMPLETE" in text
    assert f"kms (us-east-2): alias/payments-dev still names key {key}, pending deletion" in text
    assert "quota (us-east-2): VPCs per Region (vpc L-F678F1CE): 5 used + 1 needed > 5" in text
    # The bucket is there and so is the (failed) stack: the stack-state line covers it.
    assert f"s3 (us-east-1): bucket {left}" not in text
    assert len(report.problems) == 3


# -- The commands: preflight, and deploy's first step -----------------------------------------------


@pytest.fixture
def root(tmp_path: Path, ctx: Context) -> Path:
    write_all(render_all(ctx), tmp_path)
    return tmp_path


def _runtime(ctx: Context, root: Path, sam: FakeSam, lines: list[str]) -> commands.Runtime:
    environ = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return commands.Runtime(ctx, echo=lines.append, command_runner=sam, environ=environ, root=root)


def _exhaust_vpcs(region: str) -> None:
    ec2 = boto3.client("ec2", region_name=region)
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"172.{16 + n}.0.0/16")


def test_deploy_stops_at_a_preflight_problem_before_any_sam_command(
    local_aws: None, ctx: Context, root: Path
) -> None:
    _exhaust_vpcs("us-east-1")
    sam = FakeSam()
    with pytest.raises(OrchestrationError, match=r"preflight found 1 problem\(s\); nothing was created"):
        commands.deploy(_runtime(ctx, root, sam, []))
    assert sam.commands == []


def test_deploy_can_skip_the_preflight(local_aws: None, ctx: Context, root: Path) -> None:
    _exhaust_vpcs("us-east-1")
    sam = FakeSam()
    lines: list[str] = []
    commands.deploy(_runtime(ctx, root, sam, lines), preflight=False)
    assert "preflight skipped (--skip-preflight)" in lines
    assert sam.commands and sam.commands[0].startswith("sam build --config-env default")


def test_cli_preflight_one_line_per_problem_exit_2(
    local_aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _exhaust_vpcs("us-east-1")
    _exhaust_vpcs("us-east-2")
    assert main(["preflight", *(f"--set={o}" for o in OVERRIDES)]) == 2
    captured = capsys.readouterr()
    problems = [line for line in captured.err.splitlines() if line.startswith("  quota (")]
    assert len(problems) == 2 and "Traceback" not in captured.err
    assert captured.err.startswith("error: preflight found 2 problem(s); nothing was created or changed:")
    assert (
        "not checked  lambda (us-east-1): reserved concurrency 20: not performed by this backend"
        in captured.out
    )


def test_cli_preflight_clean_exit_0(local_aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preflight", *(f"--set={o}" for o in OVERRIDES)]) == 0
    assert "no problem found" in capsys.readouterr().out


# -- AWS Backup: advanced DynamoDB features -----------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "where"),
    [
        ({"ResourceTypeManagementPreference": {"DynamoDB": True}}, "passed"),
        ({"ResourceTypeManagementPreference": {"DynamoDB": False}}, "problems"),
        ({"ResourceTypeOptInPreference": {"DynamoDB": True}}, "unchecked"),
    ],
)
def test_advanced_dynamodb_backup_features(answer: dict[str, Any], where: str) -> None:
    client, stub = stubbed("backup")
    stub.add_response("describe_region_settings", answer, {})
    report = PreflightReport()
    with stub:
        check_backup_settings(client, REGION, report)
    [line] = getattr(report, where)
    assert "advanced DynamoDB backup features" in line


def test_backup_settings_unanswered_are_not_checked() -> None:
    client, stub = stubbed("backup")
    stub.add_client_error("describe_region_settings", "NotImplemented", "no", 501)
    report = PreflightReport()
    with stub:
        check_backup_settings(client, REGION, report)
    assert report.unchecked and "not performed by this backend" in report.unchecked[0]
    assert not report.passed and not report.problems
