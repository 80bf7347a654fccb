"""The monitoring partial: thresholds as parameters with the region's defaults, every incident
alarm (model.monitoring.alarms) wired to the CMK-encrypted topic, role- and mode-dependent alarms,
a dashboard that covers them, and the fence alarm, which is none of these on purpose: it only
drives the region's Route 53 health check (being fenced is not an incident)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from payinfra.config import Context
from payinfra.config.model import Alarms, Region
from payinfra.model import region_model
from payinfra.topology.names import FENCE_METRIC, FENCE_METRIC_NAMESPACE
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
SUB_REFERENCE = re.compile(r"\$\{([^}]+)\}")
# [alarms] keys that are thresholds (the others say who is notified).
THRESHOLDS = [key for key in Alarms.model_fields if not key.startswith("subscriber_")]
FENCE = "RegionActiveAlarm"
ROLES = ["primary", "secondary"]


def parameter_name(key: str) -> str:
    """latency_p99_ms -> AlarmLatencyP99Ms (the template's naming rule, restated independently)."""
    return "Alarm" + "".join(word.capitalize() for word in key.split("_"))


def region_of(role: str, context: Context) -> Region:
    return context.primary if role == "primary" else secondary_of(context)


def region_name(role: str, context: Context) -> str:
    return context.project.primary_region if role == "primary" else context.project.secondary_regions[0]


def alarms(template: Template) -> dict[str, dict[str, Any]]:
    """Every CloudWatch alarm of the template, the fence alarm included."""
    return {k: r["Properties"] for k, r in resources_of(template, "AWS::CloudWatch::Alarm").items()}


def incident_alarms(role: str, request: pytest.FixtureRequest, context: Context) -> dict[str, dict[str, Any]]:
    """The template's alarms the model lists as incidents (model.monitoring.alarms), after checking
    that the fence alarm is the only other one: nothing escapes the checks on these."""
    template: Template = request.getfixturevalue(role)
    model = region_model(context, region_name(role, context)).monitoring
    assert model.fence.logical_id == FENCE
    listed = {a.logical_id for a in model.alarms}
    found = alarms(template)
    assert FENCE not in listed
    assert set(found) == listed | {FENCE}
    return {k: v for k, v in found.items() if k in listed}


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
    used = {alarm["Threshold"]["Ref"] for alarm in incident_alarms(role, request, context).values()}
    assert used <= set(by_name), "every incident alarm threshold comes from an [alarms] key"
    assert props(template, FENCE)["Threshold"] == 1  # a fact of the fence, not a tunable
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


@pytest.mark.parametrize("role", ROLES)
def test_every_incident_alarm_notifies_the_topic_on_alarm_and_recovery(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    found = incident_alarms(role, request, context)
    assert len(found) >= 12
    for logical_id, alarm in found.items():
        assert logical_id.endswith("Alarm")
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], logical_id
        assert alarm["TreatMissingData"] in {"breaching", "notBreaching", "ignore", "missing"}


@pytest.mark.parametrize("role", ROLES)
def test_alarm_names_are_app_prefixed_suffixed_and_unique(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    names = [alarm["AlarmName"]["Fn::Sub"] for alarm in incident_alarms(role, request, context).values()]
    for name in names:
        assert name.startswith(context.project.app + "-") and name.endswith("-${EnvironmentSuffix}"), name
    # The fence alarm's name is the one the global stack's health check and the runbook look up.
    fence = props(request.getfixturevalue(role), FENCE)["AlarmName"]["Fn::Sub"]
    assert fence == context.names.sub("fence_alarm")
    assert fence.startswith(context.project.app + "-")
    assert len(set(names) | {fence}) == len(names) + 1


@pytest.mark.parametrize("role", ROLES)
def test_the_fence_alarm_is_alarm_while_region_active_is_below_one_and_tells_nobody(
    role: str, request: pytest.FixtureRequest
) -> None:
    """RegionActive is 1 in the serving region, 0 elsewhere; the alarm drives a Route 53
    CLOUDWATCH_METRIC health check (one standard metric, a plain statistic, no metric math:
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html). Missing data
    keeps the state; a fenced secondary is the normal state, so no action and no threshold knob."""
    template: Template = request.getfixturevalue(role)
    fence = props(template, FENCE)
    assert (fence["Namespace"], fence["MetricName"]) == (FENCE_METRIC_NAMESPACE, FENCE_METRIC)
    assert (FENCE_METRIC_NAMESPACE, FENCE_METRIC) == ("PayInfra/Recovery", "RegionActive")
    assert dimensions(fence) == {"Environment": {"Ref": "EnvironmentSuffix"}}
    assert (fence["ComparisonOperator"], fence["Threshold"]) == ("LessThanThreshold", 1)
    assert fence["TreatMissingData"] == "ignore"
    assert fence["Statistic"] in {"Average", "Minimum", "Maximum", "Sum", "SampleCount"}
    assert not {"ExtendedStatistic", "Metrics"} & set(fence)
    assert not {"AlarmActions", "OKActions", "InsufficientDataActions"} & set(fence)
    suppressed = template["Resources"][FENCE]["Metadata"]["guard"]["SuppressedRules"]
    assert [rule["id"] for rule in suppressed] == ["CT.CLOUDWATCH.PR.1"]  # the waiver says why
    assert all(rule["comment"] for rule in suppressed)


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


def test_dynamodb_alarms_watch_the_tables_each_region_owns(
    primary: Template, secondary: Template, context: Context
) -> None:
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
    # Both replicas (the global ledger and the sessions table) belong to no stack: named like the
    # primary's tables.
    names = context.names
    assert names.sub("ledger_table") == "payments-ledger-global-${EnvironmentSuffix}"
    assert watched(secondary) == {names.sub("ledger_table"), names.sub("sessions_table")}


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


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_shows_every_incident_alarm_and_references_only_real_resources(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    regional: Template = request.getfixturevalue(role)
    body, references = dashboard_body(regional)
    ids = set(incident_alarms(role, request, context))
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


@pytest.mark.parametrize("role", ROLES)
def test_outputs_name_the_topic_every_incident_alarm_and_the_fence_alarm(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    outputs = request.getfixturevalue(role)["Outputs"]
    assert outputs["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}
    separator, refs = outputs["AlarmNames"]["Value"]["Fn::Join"]
    assert separator == ","
    assert sorted(r["Ref"] for r in refs) == sorted(incident_alarms(role, request, context))
    assert outputs["FenceAlarmName"]["Value"] == {"Ref": FENCE}  # apart: it is no incident


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
