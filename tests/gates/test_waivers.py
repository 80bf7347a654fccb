"""Waivers: read from Metadata, a reason required, applied to the right findings only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from payinfra.gates import report, waivers
from payinfra.gates.model import CHECKOV, GUARD, LINT, PROJECT, WAIVERS, Finding, TemplateReport, Waiver

pytestmark = pytest.mark.gates


def template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def bucket(metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::S3::Bucket"}
    if metadata is not None:
        resource["Metadata"] = metadata
    return resource


def guard_finding(resource: str, rule: str = "CT.S3.PR.9") -> Finding:
    return Finding(GUARD, rule, resource, "Require Object Lock")


# --- collecting -------------------------------------------------------------------------------


def test_every_tool_shape_is_read_with_its_reason() -> None:
    metadata = {
        "checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "log bucket"}]},
        "guard": {"SuppressedRules": [{"id": "CT.S3.PR.9", "comment": "must stay deletable"}]},
        "payinfra": {"skip": [{"id": "PRJ.KMS.CMK", "comment": "ALB logs need SSE-S3"}]},
        "cfn-lint": {"config": {"ignore_checks": ["W3005"]}, "comments": {"W3005": "explicit order"}},
    }
    found, problems = waivers.collect(template(Logs=bucket(metadata)))
    assert problems == []
    assert set(found) == {
        Waiver(CHECKOV, "CKV_AWS_18", "Logs", "log bucket"),
        Waiver(GUARD, "CT.S3.PR.9", "Logs", "must stay deletable"),
        Waiver(PROJECT, "PRJ.KMS.CMK", "Logs", "ALB logs need SSE-S3"),
        Waiver(LINT, "W3005", "Logs", "explicit order"),
    }


@pytest.mark.parametrize(
    ("metadata", "tool", "rule"),
    [
        ({"guard": {"SuppressedRules": ["CT.S3.PR.9"]}}, GUARD, "CT.S3.PR.9"),  # bare id
        ({"checkov": {"skip": [{"id": "CKV_AWS_18"}]}}, CHECKOV, "CKV_AWS_18"),
        ({"checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "   "}]}}, CHECKOV, "CKV_AWS_18"),
        ({"payinfra": {"skip": [{"id": "PRJ.KMS.CMK", "comment": ""}]}}, PROJECT, "PRJ.KMS.CMK"),
        ({"cfn-lint": {"config": {"ignore_checks": ["W3005"]}}}, LINT, "W3005"),
    ],
)
def test_a_waiver_without_a_reason_is_a_finding(metadata: dict[str, Any], tool: str, rule: str) -> None:
    found, problems = waivers.collect(template(Logs=bucket(metadata)))
    assert found == [Waiver(tool, rule, "Logs", None)]
    [problem] = problems
    assert (problem.tool, problem.rule, problem.resource) == (WAIVERS, "WAIVER.NO_REASON", "Logs")
    assert rule in problem.message and "comment" in problem.message  # says how to fix it


@pytest.mark.parametrize(
    "metadata",
    [
        {"guard": {"SuppressedRules": "CT.S3.PR.9"}},  # not a list
        {"checkov": {"skip": [{"comment": "no id"}]}},
        {"checkov": ["CKV_AWS_18"]},
        {"cfn-lint": {"config": {"ignore_checks": "W3005"}}},
    ],
)
def test_malformed_waiver_metadata_is_a_finding_not_a_crash(metadata: dict[str, Any]) -> None:
    _, problems = waivers.collect(template(Logs=bucket(metadata)))
    assert [p.rule for p in problems] == ["WAIVER.MALFORMED"]


def test_template_level_waivers_for_resource_tools_are_refused() -> None:
    document = template(Logs=bucket())
    document["Metadata"] = {"guard": {"SuppressedRules": [{"id": "CT.S3.PR.9", "comment": "all"}]}}
    found, problems = waivers.collect(document)
    assert found == []
    assert [(p.rule, p.resource) for p in problems] == [("WAIVER.MALFORMED", "(template)")]


def test_unrelated_metadata_is_ignored() -> None:
    found, problems = waivers.collect(template(Logs=bucket({"Generator": "render.py"})))
    assert (found, problems) == ([], [])


# --- applying ---------------------------------------------------------------------------------


def test_a_waived_finding_is_not_counted_and_an_unwaived_one_fails() -> None:
    document = template(
        Logs=bucket({"guard": {"SuppressedRules": [{"id": "CT.S3.PR.9", "comment": "deletable"}]}}),
        Uploads=bucket(),
    )
    declared, problems = waivers.collect(document)
    applied, used = waivers.apply([guard_finding("Logs"), guard_finding("Uploads")], declared, document)
    assert [(f.resource, f.waived) for f in applied] == [("Logs", True), ("Uploads", False)]
    assert used == set(declared)

    result = TemplateReport(Path("t.yaml"), "us-east-1")
    result.findings[GUARD] = applied
    result.findings[WAIVERS] = problems
    assert [f.resource for f in result.unwaived()] == ["Uploads"]
    assert not result.passed


def test_only_waived_findings_pass() -> None:
    document = template(Logs=bucket({"guard": {"SuppressedRules": [{"id": "CT.S3.PR.9", "comment": "ok"}]}}))
    declared, problems = waivers.collect(document)
    applied, _ = waivers.apply([guard_finding("Logs")], declared, document)
    result = TemplateReport(Path("t.yaml"), "us-east-1")
    result.findings[GUARD] = applied
    result.findings[WAIVERS] = problems
    assert result.passed


def test_a_waiver_covers_only_its_own_rule_and_tool() -> None:
    document = template(Logs=bucket({"guard": {"SuppressedRules": [{"id": "CT.S3.PR.9", "comment": "ok"}]}}))
    declared, _ = waivers.collect(document)
    other_rule = guard_finding("Logs", rule="CT.S3.PR.10")
    other_tool = Finding(PROJECT, "CT.S3.PR.9", "Logs", "same id, other tool")
    applied, used = waivers.apply([other_rule, other_tool], declared, document)
    assert [f.waived for f in applied] == [False, False]
    assert used == set()


def test_a_reasonless_waiver_still_fails_the_template_although_it_silences_its_finding() -> None:
    document = template(Logs=bucket({"guard": {"SuppressedRules": ["CT.S3.PR.9"]}}))
    declared, problems = waivers.collect(document)
    applied, _ = waivers.apply([guard_finding("Logs")], declared, document)
    result = TemplateReport(Path("t.yaml"), "us-east-1")
    result.findings[GUARD] = applied
    result.findings[WAIVERS] = problems
    assert [f.rule for f in result.unwaived()] == ["WAIVER.NO_REASON"]


def test_a_waiver_on_a_sam_resource_covers_what_sam_generated_from_it() -> None:
    sam_source = template(Fn={"Type": "AWS::Serverless::Function", "Metadata": {
        "guard": {"SuppressedRules": [{"id": "CT.IAM.PR.1", "comment": "generated role"}]}}})
    expanded = template(
        Fn={"Type": "AWS::Lambda::Function", "Metadata": {"payinfra:origin": "Fn"}},
        FnRole={"Type": "AWS::IAM::Role", "Metadata": {"payinfra:origin": "Fn"}},
    )
    declared, _ = waivers.collect(sam_source)
    [finding], used = waivers.apply([Finding(GUARD, "CT.IAM.PR.1", "FnRole", "m")], declared, expanded)
    assert finding.waived and finding.source == "Fn"
    assert used == set(declared)


def test_checkov_skips_stay_waived_and_mark_their_waiver_used() -> None:
    document = template(Logs=bucket({"checkov": {"skip": [{"id": "CKV_AWS_18", "comment": "loop"}]}}))
    declared, _ = waivers.collect(document)
    skipped = Finding(CHECKOV, "CKV_AWS_18", "Logs", "access logging", waived=True)
    [finding], used = waivers.apply([skipped], declared, document)
    assert finding.waived and used == set(declared)


# --- reporting --------------------------------------------------------------------------------


def test_report_lists_each_unwaived_finding_and_each_waiver_with_its_reason() -> None:
    result = TemplateReport(Path("template.primary.yaml"), "us-east-1")
    result.findings[GUARD] = [
        Finding(GUARD, "CT.S3.PR.9", "Logs", "Require Object Lock", waived=True),
        Finding(GUARD, "CT.S3.PR.2", "Uploads", "Require access logging", "LoggingConfiguration missing"),
    ]
    result.waivers = [
        Waiver(GUARD, "CT.S3.PR.9", "Logs", "must stay deletable"),
        Waiver(GUARD, "CT.S3.PR.10", "Logs", "SSE-S3 for ALB logs"),
    ]
    result.used_waivers = {result.waivers[0]}
    text = report.render_one(result)
    assert "FAIL (1 unwaived)" in text
    assert "cfn-guard CT.S3.PR.2: Require access logging" in text
    assert "- Uploads: LoggingConfiguration missing" in text
    assert "CT.S3.PR.9  Logs: must stay deletable\n" in text
    assert "CT.S3.PR.10  Logs: SSE-S3 for ALB logs  [unused" in text
    guard_row = next(line for line in text.splitlines() if line.strip().startswith("cfn-guard "))
    assert guard_row.split() == ["cfn-guard", "1", "1"]
