"""CloudFormation support for `AWS::CloudWatch::Alarm` (metric and metric-math alarms).

moto 5.2.5 implements PutMetricAlarm/DescribeAlarms but has no CloudFormation model for
alarms: every alarm of a template is skipped while the stack reports success, and an output
that reads an alarm (`Fn::GetAtt X.Arn`) fails the stack. This model calls PutMetricAlarm with
the template's properties (including `Metrics` metric-math queries) and deletes the alarm with
the stack. Physical ID, as in CloudFormation: the alarm name.
"""

from __future__ import annotations

from typing import Any

from localaws._moto import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from localaws.patching import EmulatorModel, Patcher


def _dimensions(raw: list[dict[str, Any]] | None) -> list[Dimension]:
    return [Dimension(name=d.get("Name"), value=d.get("Value")) for d in raw or []]


def _query(raw: dict[str, Any]) -> MetricDataQuery:
    stat = raw.get("MetricStat")
    metric_stat = None
    if stat:
        metric = stat["Metric"]
        metric_stat = MetricStat(
            metric=Metric(
                metric["MetricName"], metric.get("Namespace"), _dimensions(metric.get("Dimensions"))
            ),
            period=stat.get("Period"),
            stat=stat.get("Stat"),
            unit=stat.get("Unit"),
        )
    return MetricDataQuery(
        query_id=raw["Id"],
        # moto annotates both str, yet its own PutMetricAlarm handler passes them `.get()` (maybe None)
        label=raw.get("Label"),  # type: ignore[arg-type]  # moto: str, accepts None
        period=raw.get("Period"),  # type: ignore[arg-type]  # moto: str, accepts None
        return_data=str(raw.get("ReturnData", True)).lower(),
        expression=raw.get("Expression"),
        metric_stat=metric_stat,
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


class AlarmModel(EmulatorModel):
    ATTRIBUTES = ("Arn",)

    def __init__(self, alarm: Any) -> None:
        self.physical_resource_id = alarm.name
        self.attributes = {"Arn": alarm.alarm_arn}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> AlarmModel:
        p = cloudformation_json["Properties"]
        metrics = p.get("Metrics")
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=[_query(m) for m in metrics] if metrics else None,
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            # moto annotates int/float, yet its PutMetricAlarm handler passes None for absent ones
            period=int(p["Period"]) if "Period" in p else None,  # type: ignore[arg-type]  # moto: int, accepts None
            threshold=_number(p.get("Threshold")),  # type: ignore[arg-type]  # moto: float, accepts None
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            description=p.get("AlarmDescription"),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=list(p.get("AlarmActions", [])),
            ok_actions=list(p.get("OKActions", [])),
            insufficient_data_actions=list(p.get("InsufficientDataActions", [])),
            unit=p.get("Unit"),
            actions_enabled=str(p.get("ActionsEnabled", True)).lower() == "true",
            treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
            tags=p.get("Tags", []),
        )
        return cls(alarm)

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backends[account_id][region_name].delete_alarms([self.physical_resource_id])


def apply(patcher: Patcher) -> None:
    patcher.register_models((AlarmModel,))
