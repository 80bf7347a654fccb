"""The monitoring partial: thresholds as parameters with the region's defaults, every alarm wired
to the CMK-encrypted topic, role- and mode-dependent alarms, and a dashboard that covers them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from payinfra.config import Context
from payinfra.config.model import Alarms, Region
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
SUB_REFERENCE = re.compile(r"\$\{([^}]+)\}")
# [alarms] keys that are thresholds (the others say who is notified).
THRESHOLDS = [key for key in Alarms.model_fields if not key.startswith("subscriber_")]


def parameter_name(key: str) -> str:
    """latency_p99_ms -> AlarmLatencyP99Ms (the template's naming rule, restated independently)."""
    return "Alarm" + "".join(word.capitalize() for word in key.split("_"))


def region_of(role: str, context: Context) -> Region:
    return context.primary if role == "primary" else secondary_of(context)


def alarms(template: Template) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in resources_of(template, "AWS::CloudWatch::Alarm").items()}


def metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {q["MetricStat"]["Metric"]["MetricName"] for q in alarm.get("Metrics", []) if "MetricStat" in q}


def dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    queries = [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]
    listed = alarm.get("Dimensions") or (queries[0].get("Dimensions") if queries else [])
    return {d["Name"]: d["Value"] for d in listed}


def dashboard_body(template: Template) -> tuple[dict[str, Any], set[str]]:
    """The dashboard JSON (every ${...} replaced by a placeholder) and the names it references."""
    text = props(template, "Dashboard")["DashboardBody"]["Fn::Sub"]
    return json.loads(SUB_REFERENCE.sub("X", text)), set(SUB_REFERENCE.findall(text))


# --- Threshold parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_each_alarm_threshold_is_a_parameter_defaulting_to_the_region_value(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    template: Template = request.getfixturevalue(role)
    values = region_of(role, context).alarms.model_dump()
    by_name = {parameter_name(key): value for key, value in values.items()}
    used = {alarm["Threshold"]["Ref"] for alarm in alarms(template).values()}
    assert used <= set(by_name), "every alarm threshold comes from an [alarms] key"
    for name in used:
        spec = template["Parameters"][name]
        assert spec["Type"] == "Number"
        assert spec["Default"] == by_name[name], name
        assert spec["MinValue"] == 1
    # No orphan threshold parameters either (cfn-lint would warn).
    assert {p for p in template["Parameters"] if p in by_name} == used


def test_every_context_threshold_is_a_parameter_somewhere(primary: Template, secondary: Template) -> None:
    declared = set(primary["Parameters"]) | set(secondary["Parameters"])
    assert {parameter_name(key) for key in THRESHOLDS} <= declared


def test_secondary_latency_default_is_stricter(primary: Template, secondary: Template) -> None:
    name = parameter_name("latency_p99_ms")
    assert secondary["Parameters"][name]["Default"] < primary["Parameters"][name]["Default"]


def test_a_threshold_override_reaches_only_its_region(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with("us-east-2.alarms.latency_p99_ms=250", "defaults.alarms.dlq_messages=3")
    primary, secondary = out[PRIMARY_FILE]["Parameters"], out[SECONDARY_FILE]["Parameters"]
    latency, dlq = parameter_name("latency_p99_ms"), parameter_name("dlq_messages")
    assert (primary[latency]["Default"], secondary[latency]["Default"]) == (1000, 250)
    assert primary[dlq]["Default"] == secondary[dlq]["Default"] == 3


# --- Alarms -----------------------------------------------------------------------------------


def test_every_alarm_notifies_the_topic_on_alarm_and_recovery(regional: Template) -> None:
    found = alarms(regional)
    assert len(found) >= 12
    for logical_id, alarm in found.items():
        assert logical_id.endswith("Alarm")
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["TreatMissingData"] in {"breaching", "notBreaching", "ignore", "missing"}


def test_alarm_names_are_app_prefixed_suffixed_and_unique(regional: Template, context: Context) -> None:
    names = [alarm["AlarmName"]["Fn::Sub"] for alarm in alarms(regional).values()]
    assert len(set(names)) == len(names)
    for name in names:
        assert name.startswith(context.project.app + "-") and name.endswith("-${EnvironmentSuffix}"), name


def test_alarms_cover_every_tier(regional: Template) -> None:
    metrics = set().union(*(metric_names(a) for a in alarms(regional).values()))
    assert {
        "CPUUtilization", "FreeStorageSpace", "DatabaseConnections",
        "Errors", "Throttles", "Duration",
        "TargetResponseTime", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count",
        "ReadThrottleEvents", "WriteThrottleEvents",
        "ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible",
    } <= metrics
    system_errors = [a for a in alarms(regional).values()
                     if any("SUM(SystemErrors)" in json.dumps(q) for q in a.get("Metrics", []))]
    assert system_errors, "DynamoDB SystemErrors (published per operation) summed by a query"


def test_percentile_alarms_use_p99(regional: Template) -> None:
    duration = props(regional, "FunctionDurationP99Alarm")
    assert duration["ExtendedStatistic"] == "p99" and "Statistic" not in duration
    [latency] = [q for q in props(regional, "AlbLatencyP99Alarm")["Metrics"] if "MetricStat" in q]
    assert latency["MetricStat"]["Stat"] == "p99"


def test_unit_conversions_keep_parameters_in_context_units(regional: Template) -> None:
    """CloudWatch reports seconds and bytes; the thresholds are ms and MiB: metric math converts."""
    latency = props(regional, "AlbLatencyP99Alarm")
    [result] = [q for q in latency["Metrics"] if q["ReturnData"]]
    assert result["Expression"].replace(" ", "") == "m1*1000"
    assert latency["Threshold"] == {"Ref": parameter_name("latency_p99_ms")}
    storage = props(regional, "DatabaseFreeStorageAlarm")
    [result] = [q for q in storage["Metrics"] if q["ReturnData"]]
    assert result["Expression"].replace(" ", "") == "m1/1048576"
    assert storage["ComparisonOperator"].startswith("LessThan")


def test_replica_lag_alarm_exists_only_for_a_secondary_read_replica(
    primary: Template, secondary: Template, render_with: Callable[..., dict[str, Template]]
) -> None:
    assert "DatabaseReplicaLagAlarm" in secondary["Resources"]
    assert "DatabaseReplicaLagAlarm" not in primary["Resources"]
    lag = props(secondary, "DatabaseReplicaLagAlarm")
    assert lag["MetricName"] == "ReplicaLag"
    assert dimensions(lag) == {"DBInstanceIdentifier": {"Ref": "Database"}}
    independent = render_with("project.database_mode=independent")
    for template in independent.values():
        assert "DatabaseReplicaLagAlarm" not in template.get("Resources", {})
        assert parameter_name("rds_replica_lag_s") not in template.get("Parameters", {})


def test_each_region_alarms_on_replication_to_every_other_region_from_its_own_side(
    primary: Template, secondary: Template, context: Context
) -> None:
    """ReplicationLatency is published in the sending region, per receiving region: one query
    grouped by receiving region makes each other region a contributor of one alarm."""
    sent = props(primary, "SessionsReplicationLatencyAlarm")
    replica = props(secondary, "SessionsReplicationLatencyAlarm")
    (query,) = sent["Metrics"]
    assert query["ReturnData"] is True and query["Period"] == 60
    assert query["Expression"] == {"Fn::Sub": (
        "SELECT AVG(ReplicationLatency) FROM SCHEMA(\"AWS/DynamoDB\", ReceivingRegion, TableName) "
        "WHERE TableName = '${SessionsTable}' GROUP BY ReceivingRegion"
    )}
    # The replica has the primary table's name; the secondary stack does not own it.
    (replica_query,) = replica["Metrics"]
    table = context.names.sub("sessions_table")
    assert f"WHERE TableName = '{table}' GROUP BY ReceivingRegion" in replica_query["Expression"]["Fn::Sub"]
    assert replica["Threshold"] == {"Ref": parameter_name("dynamodb_replication_latency_ms")}
    assert "SessionsTable" not in secondary["Resources"]


def test_the_sessions_replica_throttles_and_errors_alarm_in_the_secondary(
    secondary: Template, context: Context
) -> None:
    throttles = props(secondary, "SessionsThrottlesAlarm")
    assert {"ReadThrottleEvents", "WriteThrottleEvents"} == metric_names(throttles)
    assert dimensions(throttles) == {"TableName": {"Fn::Sub": context.names.sub("sessions_table")}}
    assert throttles["Threshold"] == {"Ref": parameter_name("dynamodb_throttles")}
    errors = props(secondary, "SessionsSystemErrorsAlarm")
    (query,) = [q for q in errors["Metrics"] if q.get("ReturnData")]
    assert f"TableName = '{context.names.sub('sessions_table')}'" in query["Expression"]["Fn::Sub"]


def test_secondary_parameters_follow_the_secondary_context(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with("us-east-2.alarms.dynamodb_replication_latency_ms=900")
    name = parameter_name("dynamodb_replication_latency_ms")
    assert out[SECONDARY_FILE]["Parameters"][name]["Default"] == 900
    assert out[PRIMARY_FILE]["Parameters"][name]["Default"] == 2000


def test_dynamodb_alarms_watch_the_tables_each_region_owns(primary: Template, secondary: Template) -> None:
    def watched(template: Template) -> set[str]:
        tables = set()
        for alarm in alarms(template).values():
            table = dimensions(alarm).get("TableName")
            if table is not None:
                tables.add(table.get("Ref") or table["Fn::Sub"])
            text = json.dumps(alarm.get("Metrics", []))
            tables.update(t for t in ("LedgerTable", "SessionsTable") if "${" + t + "}" in text)
        return tables

    assert watched(primary) == {"LedgerTable", "SessionsTable"}
    # The sessions replica belongs to no stack: named like the primary's table.
    assert watched(secondary) == {"LedgerTable", "payments-sessions-${EnvironmentSuffix}"}


def test_queue_alarms_watch_the_right_queues(regional: Template) -> None:
    age = props(regional, "PaymentQueueOldestMessageAlarm")
    assert dimensions(age) == {"QueueName": {"Fn::GetAtt": ["PaymentQueue", "QueueName"]}}
    dlq = props(regional, "PaymentDeadLetterMessagesAlarm")
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dimensions(dlq) == {"QueueName": {"Fn::GetAtt": ["PaymentDeadLetterQueue", "QueueName"]}}


# --- Topic, dashboard, outputs ----------------------------------------------------------------


def test_topic_uses_the_region_cmk(regional: Template) -> None:
    key = props(regional, "AlarmTopic")["KmsMasterKeyId"]
    assert key in ({"Ref": "Key"}, {"Fn::GetAtt": ["Key", "Arn"]})


def test_topic_policy_lets_only_this_account_alarms_publish_over_tls(regional: Template) -> None:
    [policy] = resources_of(regional, "AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert allow["Action"] == "sns:Publish"
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_dashboard_shows_every_alarm_and_references_only_real_resources(regional: Template) -> None:
    body, references = dashboard_body(regional)
    ids = set(alarms(regional))
    status = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert len(status) == 1 and len(status[0]["properties"]["alarms"]) == len(ids)
    graphed = {r.removesuffix(".Arn") for r in references if r.endswith("Alarm.Arn")}
    assert graphed == ids
    real = set(regional["Resources"]) | set(regional["Parameters"]) | {"AWS::Region"}
    unknown = {r.split(".")[0] for r in references} - real
    assert unknown == set()
    namespaces = {m[0] for w in body["widgets"] for m in w["properties"].get("metrics", [])}
    assert {"AWS/ApplicationELB", "AWS/Lambda", "AWS/RDS", "AWS/DynamoDB", "AWS/SQS"} <= namespaces
    assert props(regional, "Dashboard")["DashboardName"]["Fn::Sub"].endswith("${AWS::Region}")


def test_dashboard_widgets_do_not_overlap(regional: Template) -> None:
    body, _ = dashboard_body(regional)
    cells: set[tuple[int, int]] = set()
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        area = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not area & cells, widget
        cells |= area


def test_outputs_name_the_topic_and_every_alarm(regional: Template) -> None:
    outputs = regional["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    separator, refs = outputs["AlarmNames"]["Value"]["Fn::Join"]
    assert separator == ","
    assert sorted(r["Ref"] for r in refs) == sorted(alarms(regional))


# --- Who is told ------------------------------------------------------------------------------


def subscriptions(template: Template) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in resources_of(template, "AWS::SNS::Subscription").items()}


def test_the_alarm_topic_notifies_the_context_subscribers(
    regional: Template, context: Context, primary: Template
) -> None:
    region = context.primary if regional is primary else secondary_of(context)
    found = subscriptions(regional)
    assert found, "an alarm topic without subscribers notifies nobody"
    assert all(sub["TopicArn"] == {"Ref": "AlarmTopic"} for sub in found.values())
    emails = sorted(s["Endpoint"] for s in found.values() if s["Protocol"] == "email")
    assert emails == sorted(region.alarms.subscriber_emails)
    https = [s["Endpoint"] for s in found.values() if s["Protocol"] == "https"]
    assert https == [e for e in [region.alarms.subscriber_https_endpoint] if e]


def test_subscribers_are_per_region_and_https_is_optional(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with(
        "us-east-2.alarms.subscriber_emails=['dr@example.com', 'ops@example.com']",
        "us-east-2.alarms.subscriber_https_endpoint='https://hooks.example.com/sns'",
    )
    primary, secondary = subscriptions(out[PRIMARY_FILE]), subscriptions(out[SECONDARY_FILE])
    assert {(s["Protocol"], s["Endpoint"]) for s in secondary.values()} == {
        ("email", "dr@example.com"), ("email", "ops@example.com"), ("https", "https://hooks.example.com/sns"),
    }
    unchanged = [(s["Protocol"], s["Endpoint"]) for s in primary.values()]
    assert unchanged == [("email", "payments-oncall@example.com")]
    assert set(secondary) == {"AlarmEmailSubscription1", "AlarmEmailSubscription2", "AlarmHttpsSubscription"}
