"""Evaluate metric alarms against the data put to them, as CloudWatch does (a documented subset).

moto 5.2.5 stores alarms but never evaluates one: every alarm starts and stays `OK` whatever
PutMetricData sends, so an alarm that should fire (the recovery fence alarm, `RegionActive < 1`)
never does, and a Route 53 CLOUDWATCH_METRIC health check that follows it never turns unhealthy.

Here:
- A new alarm starts in INSUFFICIENT_DATA, as on AWS.
- PutMetricData evaluates every metric alarm on the same namespace, metric name and dimension set
  (a metric's identity is the full set) with the newest datapoint against its static threshold
  and sets StateValue OK or ALARM with a StateReason in CloudWatch's wording, as SetAlarmState
  would. Subset: one datapoint decides (`EvaluationPeriods`/`DatapointsToAlarm` other than 1 are
  evaluated on the newest datapoint too), static thresholds with the four Greater/Less
  comparisons; metric-math, anomaly-band and composite alarms are left as moto has them.
- When no datapoint arrived within `Period x EvaluationPeriods` (measured on the emulator's
  `CLOCK` from the datapoint's arrival, so a drill's `advance` ages data), the alarm's
  TreatMissingData decides on the next read: `ignore` keeps the state, `breaching` -> ALARM,
  `notBreaching` -> OK, `missing` (the default) -> INSUFFICIENT_DATA.
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
`alarm_state(account, region, name)` is what other emulated services (Route 53 health checks)
read.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localaws._moto import cloudwatch_backends
from localaws.clock import CLOCK
from localaws.patching import Patcher

INITIAL_REASON = "Unchecked: Initial alarm creation"

# comparison -> (test, the words CloudWatch's StateReason uses for it)
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}

MetricKey = tuple[str, str, frozenset[tuple[str, str]]]


@dataclass(frozen=True)
class Datapoint:
    value: float
    arrived: float  # CLOCK seconds


def _latest(backend: Any) -> dict[MetricKey, Datapoint]:
    """The newest datapoint per metric, kept on the backend (moto's reset clears it with the rest)."""
    store: dict[MetricKey, Datapoint] | None = backend.__dict__.get("_localaws_latest")
    if store is None:
        store = {}
        backend.__dict__["_localaws_latest"] = store
    return store


def _key(namespace: str, name: str, dimensions: Iterable[tuple[str, str]]) -> MetricKey:
    return namespace, name, frozenset(dimensions)


def _alarm_key(alarm: Any) -> MetricKey | None:
    if not alarm.namespace or not alarm.metric_name:
        return None
    return _key(alarm.namespace, alarm.metric_name, ((d.name, d.value) for d in alarm.dimensions))


def _evaluable(alarm: Any) -> bool:
    return (
        _alarm_key(alarm) is not None
        and alarm.comparison_operator in COMPARISONS
        and alarm.threshold is not None
        and not alarm.metric_data_queries
    )


def _datum_value(member: dict[str, Any]) -> float:
    if member.get("Values"):
        return float(member["Values"][-1])
    stats = member.get("StatisticValues")
    if stats:
        return float(stats["Sum"]) / max(float(stats["SampleCount"]), 1.0)
    return float(member.get("Value", 0))


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%d/%m/%y %H:%M:%S")


def _set_state(alarm: Any, state: str, reason: str, data: dict[str, Any]) -> None:
    if alarm.state_value != state:
        alarm.update_state(reason, json.dumps(data), state)


def evaluate(alarm: Any, datapoint: Datapoint) -> None:
    """Set OK or ALARM from one datapoint against the static threshold (SetAlarmState's effect)."""
    test, words = COMPARISONS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    breaching = test(datapoint.value, threshold)
    state = "ALARM" if breaching else "OK"
    relation = words if breaching else f"not {words}"
    reason = (
        f"Threshold Crossed: 1 datapoint [{datapoint.value} ({_stamp(datapoint.arrived)})] "
        f"was {relation} the threshold ({threshold})."
    )
    data = {
        "version": "1.0",
        "queryDate": _stamp(CLOCK.now()),
        "recentDatapoints": [datapoint.value],
        "threshold": threshold,
    }
    _set_state(alarm, state, reason, data)


MISSING_DATA_STATES = {"breaching": "ALARM", "notBreaching": "OK", "missing": "INSUFFICIENT_DATA"}


def refresh(backend: Any, alarm: Any) -> None:
    """Apply TreatMissingData when the newest datapoint is older than the evaluation range."""
    if not _evaluable(alarm):
        return
    key = _alarm_key(alarm)
    assert key is not None
    newest = _latest(backend).get(key)
    window = float(alarm.period or 60) * max(int(alarm.evaluation_periods or 1), 1)
    if newest is not None and CLOCK.now() - newest.arrived <= window:
        return
    treatment = alarm.treat_missing_data or "missing"
    state = MISSING_DATA_STATES.get(treatment)
    if state is None:  # "ignore": the current state is maintained
        return
    reason = f"No datapoint within the last {int(window)} seconds (TreatMissingData: {treatment})."
    _set_state(alarm, state, reason, {"version": "1.0", "queryDate": _stamp(CLOCK.now())})


def alarm_state(account_id: str, region: str, name: str) -> str | None:
    """The alarm's state now (missing data applied), or None when no such alarm exists."""
    backend = cloudwatch_backends[account_id][region]
    alarm = backend.alarms.get(name)
    if alarm is None:
        return None
    refresh(backend, alarm)
    return str(alarm.state_value)


def _put_metric_data(original: Callable[..., None]) -> Callable[..., None]:
    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original(self, namespace, metric_data)
        latest = _latest(self)
        arrived = CLOCK.now()
        for member in metric_data:
            dimensions = ((d["Name"], d["Value"]) for d in member.get("Dimensions") or [])
            key = _key(namespace, member["MetricName"], dimensions)
            latest[key] = Datapoint(_datum_value(member), arrived)
            for alarm in list(self.alarms.values()):
                if _evaluable(alarm) and _alarm_key(alarm) == key:
                    evaluate(alarm, latest[key])

    return put_metric_data


def _put_metric_alarm(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_metric_alarm(self: Any, *args: Any, **kwargs: Any) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        previous = self.alarms.get(name)
        alarm = original(self, *args, **kwargs)
        if previous is not None:  # an update keeps the state it had
            alarm.state_value = previous.state_value
            alarm.state_reason = previous.state_reason
            alarm.state_reason_data = previous.state_reason_data
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
        if _evaluable(alarm):
            key = _alarm_key(alarm)
            newest = _latest(self).get(key) if key else None
            window = float(alarm.period or 60) * max(int(alarm.evaluation_periods or 1), 1)
            if newest is not None and CLOCK.now() - newest.arrived <= window:
                evaluate(alarm, newest)
        return alarm

    return put_metric_alarm


def _refreshing(original: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
    """A DescribeAlarms lookup that first applies missing data to every alarm of the region."""

    def lookup(self: Any, *args: Any, **kwargs: Any) -> Iterable[Any]:
        for alarm in list(self.alarms.values()):
            refresh(self, alarm)
        return original(self, *args, **kwargs)

    return lookup


LOOKUPS = (
    "describe_alarms",
    "get_alarms_by_action_prefix",
    "get_alarms_by_alarm_name_prefix",
    "get_alarms_by_alarm_names",
    "get_alarms_by_state_value",
)


def apply(patcher: Patcher) -> None:
    backend_class = cloudwatch_backends.backend
    patcher.replace(backend_class, "put_metric_data", _put_metric_data(backend_class.put_metric_data))
    patcher.replace(backend_class, "put_metric_alarm", _put_metric_alarm(backend_class.put_metric_alarm))
    for name in LOOKUPS:
        patcher.replace(backend_class, name, _refreshing(getattr(backend_class, name)))
