"""Each tool's output parser, on output captured from a real run (fixtures/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from payinfra.gates import checkov_scan, expand, guard_scan, lint
from payinfra.gates.model import CHECKOV, GUARD, LINT, GateError
from payinfra.gates.tools import Tools
from tests.gates.conftest import FIXTURES

pytestmark = pytest.mark.gates

CONTROL_IDS = {
    "cloudwatch_log_group_retention_period_check": "CT.CLOUDWATCH.PR.2",
    "cloudwatch_log_group_encrypted_check": "CT.CLOUDWATCH.PR.3",
    "s3_bucket_logging_enabled_check": "CT.S3.PR.2",
    "s3_event_notifications_enabled_check": "CT.S3.PR.4",
    "s3_lifecycle_policy_check": "CT.S3.PR.6",
    "s3_bucket_object_lock_enabled_check": "CT.S3.PR.9",
    "s3_bucket_default_encryption_kms_check": "CT.S3.PR.10",
    "s3_bucket_versioning_enabled_check": "CT.S3.PR.11",
}


def keys(findings: list) -> set[tuple[str, str, bool]]:
    return {(f.rule, f.resource, f.waived) for f in findings}


# --- sam validate --lint ----------------------------------------------------------------------


def test_lint_parser_reads_every_match_and_maps_lines_to_resources() -> None:
    run = lint.LintRun(1, (FIXTURES / "lint_output.txt").read_text())
    findings = lint.parse(run, (FIXTURES / "lint_target.yaml").read_text())
    assert [(f.rule, f.resource, f.detail) for f in findings] == [
        ("E6101", "Outputs/TopicArn", "line 16"),
        ("W3005", "Topic", "line 7"),
        ("E3012", "Other", "line 13"),
    ]
    assert all(f.tool == LINT and not f.waived for f in findings)
    # A message with brackets and parentheses inside stays whole.
    assert findings[0].message.startswith("'Missing' is not one of ['Topic', 'Other'")
    assert findings[0].message.endswith("'AWS::URLSuffix']")


def test_lint_failure_without_matches_becomes_one_finding_with_the_error() -> None:
    run = lint.LintRun(1, (FIXTURES / "lint_output_unparsable.txt").read_text())
    [finding] = lint.parse(run, "Resources:\n  A: [\n")
    assert finding.rule == "SAM"
    assert "Failed to parse template" in finding.message


def test_lint_clean_run_has_no_findings() -> None:
    run = lint.LintRun(0, "/tmp/x/template.yaml is a valid SAM Template\n")
    assert lint.parse(run, (FIXTURES / "lint_target.yaml").read_text()) == []


def test_lint_exit_zero_with_unexpected_output_is_not_silently_passed() -> None:
    [finding] = lint.parse(lint.LintRun(0, "something else entirely"), "Resources: {}\n")
    assert finding.rule == "SAM" and "unexpected output" in finding.message


# --- checkov ----------------------------------------------------------------------------------


def test_checkov_parser_reads_failed_and_skipped_checks() -> None:
    by_file = checkov_scan.parse((FIXTURES / "checkov_output.json").read_text())
    assert list(by_file) == ["scan_target.json"]
    findings = by_file["scan_target.json"]
    assert keys(findings) == {
        ("CKV_AWS_158", "Logs", False),
        ("CKV_AWS_21", "Bucket", False),
        ("CKV_AWS_18", "Bucket", True),  # skipped through Metadata.checkov.skip
    }
    versioning = next(f for f in findings if f.rule == "CKV_AWS_21")
    assert versioning.tool == CHECKOV
    assert versioning.message == "Ensure the S3 bucket has versioning enabled"
    assert "VersioningConfiguration/Status" in versioning.detail


def test_checkov_parser_accepts_an_empty_run_and_rejects_garbage() -> None:
    assert checkov_scan.parse("") == {}
    with pytest.raises(GateError, match="not JSON"):
        checkov_scan.parse("Traceback (most recent call last): ...")


# --- cfn-guard --------------------------------------------------------------------------------


def test_guard_parser_gives_one_finding_per_control_and_resource() -> None:
    by_file = guard_scan.parse((FIXTURES / "guard_output.json").read_text(), CONTROL_IDS)
    findings = by_file["scan_target.json"]
    assert keys(findings) == {
        ("CT.CLOUDWATCH.PR.2", "Logs", False),
        ("CT.CLOUDWATCH.PR.3", "Logs", False),
        ("CT.S3.PR.2", "Bucket", False),
        ("CT.S3.PR.4", "Bucket", False),
        ("CT.S3.PR.6", "Bucket", False),
        ("CT.S3.PR.9", "Bucket", False),
        ("CT.S3.PR.10", "Bucket", False),
        ("CT.S3.PR.11", "Bucket", False),
    }
    retention = next(f for f in findings if f.rule == "CT.CLOUDWATCH.PR.2")
    assert retention.tool == GUARD
    assert retention.message.startswith("Require an Amazon CloudWatch log group to be retained")
    assert "[FIX]" in retention.message
    # The evidence is the value comparison (30 vs 365), not the weaker "property exists" branch.
    assert "Value=30" in retention.detail and "365" in retention.detail


def test_guard_parser_falls_back_to_the_rule_name_for_unknown_rules() -> None:
    findings = guard_scan.parse((FIXTURES / "guard_output.json").read_text(), {})["scan_target.json"]
    assert "s3_bucket_versioning_enabled_check" in {f.rule for f in findings}


def test_guard_parser_rejects_garbage() -> None:
    with pytest.raises(GateError, match="not JSON"):
        guard_scan.parse("error: rules did not parse", {})


def test_control_ids_come_from_every_pinned_rule_file(tools: Tools) -> None:
    ids = guard_scan.rule_ids(tools.guard_rules)
    assert len(ids) == len(list(tools.guard_rules.rglob("*.guard"))) == 237
    assert {name: ids[name] for name in CONTROL_IDS} == CONTROL_IDS
    assert ids["kms_create_grant_aws_service_check"] == "CT.KMS.PR.3"


# --- drift: the live tools still produce what the captures hold -------------------------------


@pytest.fixture(scope="module")
def scan_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    template = expand.load_template(FIXTURES / "scan_target.yaml")
    out = tmp_path_factory.mktemp("scan") / "scan_target.json"
    return expand.write_expanded(expand.expand(template, "us-east-1"), out)


def test_live_checkov_matches_the_capture(tools: Tools, scan_target: Path) -> None:
    live = checkov_scan.parse(checkov_scan.run(tools.checkov, [scan_target]))
    captured = checkov_scan.parse((FIXTURES / "checkov_output.json").read_text())
    assert keys(live["scan_target.json"]) == keys(captured["scan_target.json"])


def test_live_guard_matches_the_capture(tools: Tools, scan_target: Path) -> None:
    ids = guard_scan.rule_ids(tools.guard_rules)
    live = guard_scan.parse(guard_scan.run(tools.guard, tools.guard_rules, [scan_target]), ids)
    captured = guard_scan.parse((FIXTURES / "guard_output.json").read_text(), ids)
    assert keys(live["scan_target.json"]) == keys(captured["scan_target.json"])


def test_live_sam_validate_matches_the_capture(tools: Tools) -> None:
    target = FIXTURES / "lint_target.yaml"
    text = target.read_text()
    live = lint.parse(lint.run(tools.sam, target, "us-east-1"), text)
    captured = lint.parse(lint.LintRun(1, (FIXTURES / "lint_output.txt").read_text()), text)
    assert sorted(keys(live)) == sorted(keys(captured))
