"""Operational knobs live in context.toml: changing one reaches exactly the resource it tunes."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.templates.conftest import Template, props, resources_of


def _rules(template: Template) -> list[dict]:
    return props(template, "UploadsBucket")["LifecycleConfiguration"]["Rules"]


def test_storage_lifecycle_comes_from_context(render_with: Callable[..., dict[str, Template]]) -> None:
    out = render_with(
        "defaults.storage.noncurrent_version_expiry_days=90",
        "defaults.storage.abort_multipart_after_days=3",
        "defaults.storage.intelligent_tiering_after_days=45",
    )
    for name in ("template.primary.yaml", "template.secondary.yaml"):
        text = json.dumps(_rules(out[name]))
        assert '"NoncurrentDays": 90' in text
        assert '"DaysAfterInitiation": 3' in text
        assert '"TransitionInDays": 45' in text


def test_enhanced_monitoring_off_removes_its_role(render_with: Callable[..., dict[str, Template]]) -> None:
    primary = render_with("defaults.database.monitoring_interval_s=0")["template.primary.yaml"]
    assert props(primary, "Database")["MonitoringInterval"] == 0
    assert "MonitoringRoleArn" not in props(primary, "Database")
    assert "DatabaseMonitoringRole" not in primary["Resources"]


def test_monitoring_interval_reaches_the_database(primary: Template) -> None:
    assert props(primary, "Database")["MonitoringInterval"] == 60
    assert "DatabaseMonitoringRole" in primary["Resources"]


def test_sqs_batching_and_redrive_come_from_context(render_with: Callable[..., dict[str, Template]]) -> None:
    out = render_with("defaults.lambda.batching_window_s=5", "defaults.lambda.max_receive_count=3")
    template = out["template.secondary.yaml"]
    events = props(template, "PaymentFunction")["Events"]
    sqs = next(e for e in events.values() if e["Type"] == "SQS")
    assert sqs["Properties"]["MaximumBatchingWindowInSeconds"] == 5
    queue = props(template, "PaymentQueue")
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 3


def test_waf_log_group_name_is_derived_once(regional: Template) -> None:
    groups = resources_of(regional, "AWS::Logs::LogGroup")
    assert groups["WebAclLogGroup"]["Properties"]["LogGroupName"] == {
        "Fn::Sub": "aws-waf-logs-payments-${EnvironmentSuffix}"
    }
