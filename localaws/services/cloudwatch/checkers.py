"""CloudWatch alarms and dashboards described through the CloudWatch API."""

from __future__ import annotations

import json
from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers, one

SERVICE = ServiceCheckers("cloudwatch")


@SERVICE.describes("AWS::CloudWatch::Alarm")
def alarm(c: Clients, pid: str) -> str:
    a = one(c("cloudwatch").describe_alarms(AlarmNames=[pid])["MetricAlarms"], "alarm", pid)
    return f"{a['ComparisonOperator']} {a.get('Threshold')}"


@SERVICE.describes("AWS::CloudWatch::Dashboard")
def dashboard(c: Clients, pid: str) -> str:
    body = json.loads(c("cloudwatch").get_dashboard(DashboardName=pid)["DashboardBody"])
    return f"{len(body.get('widgets', []))} widgets"


@SERVICE.reads_back(
    "AWS::CloudWatch::Alarm",
    CFN_DOCS + "aws-resource-cloudwatch-alarm.html",
    Prop("ActionsEnabled", "ActionsEnabled"),
    Prop("AlarmActions", "AlarmActions", "set"),
    Prop("OKActions", "OKActions", "set"),
    Prop("InsufficientDataActions", "InsufficientDataActions", "set"),
)
def _alarm_view(c: Clients, pid: str) -> dict[str, Any]:
    items = c("cloudwatch").describe_alarms(AlarmNames=[pid])["MetricAlarms"]
    result: dict[str, Any] = one(items, "alarm", pid)
    return result
