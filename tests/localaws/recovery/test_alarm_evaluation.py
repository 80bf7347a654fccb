"""CloudWatch alarm evaluation: PutMetricData moves a static-threshold alarm to OK or ALARM."""

from __future__ import annotations

from typing import Any

import pytest

from localaws.clock import CLOCK

from ..support import emulated
from .route53_support import DIMENSIONS, METRIC, NAMESPACE, put_fence_alarm


@pytest.fixture(autouse=True)
def fresh_clock() -> Any:
    CLOCK.reset()
    yield
    CLOCK.reset()


def _fence_alarm(cw: Any, treat_missing: str = "ignore", name: str = "fence") -> None:
    put_fence_alarm(cw, name, treat_missing)


def _publish(cw: Any, value: float, dimensions: list[dict[str, str]] = DIMENSIONS) -> None:
    cw.put_metric_data(
        Namespace=NAMESPACE, MetricData=[{"MetricName": METRIC, "Dimensions": dimensions, "Value": value}]
    )


def _state(cw: Any, name: str = "fence") -> dict[str, Any]:
    alarm: dict[str, Any] = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    return alarm


def test_a_new_alarm_has_insufficient_data_then_follows_the_newest_datapoint() -> None:
    with emulated() as client:
        cw = client("cloudwatch", "us-east-2")
        _fence_alarm(cw)
        assert _state(cw)["StateValue"] == "INSUFFICIENT_DATA"
        _publish(cw, 0)
        alarm = _state(cw)
        assert alarm["StateValue"] == "ALARM"
        assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [0.0")
        assert "was less than the threshold (1.0)" in alarm["StateReason"]
        _publish(cw, 1)
        alarm = _state(cw)
        assert alarm["StateValue"] == "OK"
        assert "was not less than the threshold (1.0)" in alarm["StateReason"]


def test_moto_alone_never_evaluates() -> None:
    with emulated(skip={"alarm_evaluation"}) as client:
        cw = client("cloudwatch", "us-east-2")
        _fence_alarm(cw)
        _publish(cw, 0)
        assert _state(cw)["StateValue"] == "OK"


def test_only_the_same_metric_and_dimension_set_is_evaluated() -> None:
    with emulated() as client:
        cw = client("cloudwatch", "us-east-2")
        _fence_alarm(cw)
        _publish(cw, 0, dimensions=[{"Name": "Environment", "Value": "prod"}])
        _publish(cw, 0, dimensions=[*DIMENSIONS, {"Name": "Extra", "Value": "x"}])
        assert _state(cw)["StateValue"] == "INSUFFICIENT_DATA"
        # another region's CloudWatch has its own alarms and data
        _publish(client("cloudwatch", "us-east-1"), 0)
        assert _state(cw)["StateValue"] == "INSUFFICIENT_DATA"


def test_ignore_keeps_the_state_when_data_stops_and_missing_goes_to_insufficient_data() -> None:
    with emulated() as client:
        cw = client("cloudwatch", "us-east-2")
        _fence_alarm(cw, "ignore", name="fence")
        _fence_alarm(cw, "missing", name="strict")
        _fence_alarm(cw, "breaching", name="breaching")
        _publish(cw, 1)
        assert {name: _state(cw, name)["StateValue"] for name in ("fence", "strict", "breaching")} == {
            "fence": "OK",
            "strict": "OK",
            "breaching": "OK",
        }
        CLOCK.advance(61)
        assert _state(cw, "fence")["StateValue"] == "OK"
        assert _state(cw, "strict")["StateValue"] == "INSUFFICIENT_DATA"
        assert _state(cw, "breaching")["StateValue"] == "ALARM"


def test_updating_an_alarm_keeps_its_state() -> None:
    with emulated() as client:
        cw = client("cloudwatch", "us-east-2")
        _fence_alarm(cw)
        _publish(cw, 0)
        _fence_alarm(cw)
        assert _state(cw)["StateValue"] == "ALARM"
