"""Route 53 health checks answer from the load balancer, the alarm and the fault state, on CLOCK."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from localaws.clock import CLOCK
from localaws.faults import FAULTS

from ..support import emulated
from .route53_support import (
    fence_alarm,
    health_check,
    https_check,
    is_healthy,
    load_balancer,
    metric_check,
    publish,
)


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    CLOCK.reset()
    FAULTS.reset()
    yield
    CLOCK.reset()
    FAULTS.reset()


def test_an_endpoint_check_fails_only_after_threshold_probes_of_an_outage() -> None:
    with emulated() as client:
        check = https_check(client, load_balancer(client, "us-east-1"), interval=10, threshold=3)
        assert is_healthy(client, check)
        FAULTS.outage("us-east-1")
        assert is_healthy(client, check)  # one probe has failed, not three
        CLOCK.advance(29)
        assert is_healthy(client, check)
        CLOCK.advance(1)
        assert not is_healthy(client, check)
        reason = client("route53").get_health_check_last_failure_reason(HealthCheckId=check)
        assert "us-east-1 is in an outage" in reason["HealthCheckObservations"][0]["StatusReport"]["Status"]
        FAULTS.restore("us-east-1")
        assert not is_healthy(client, check)
        CLOCK.advance(30)
        assert is_healthy(client, check)


def test_moto_alone_reports_every_check_healthy() -> None:
    with emulated(skip={"route53_health_checks"}) as client:
        check = https_check(client, "nothing.example.internal")
        assert is_healthy(client, check)


def test_an_endpoint_that_is_no_load_balancer_is_unhealthy() -> None:
    with emulated() as client:
        assert not is_healthy(client, https_check(client, "nothing.example.internal"))


def test_a_metric_check_follows_its_alarm_and_keeps_its_configuration() -> None:
    with emulated() as client:
        alarm = fence_alarm(client, "us-east-2")
        check = metric_check(client, "us-east-2", alarm, insufficient="Unhealthy")
        config = client("route53").get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]
        assert config["AlarmIdentifier"] == {"Region": "us-east-2", "Name": alarm}
        assert config["InsufficientDataHealthStatus"] == "Unhealthy"
        assert not is_healthy(client, check)  # INSUFFICIENT_DATA -> Unhealthy
        publish(client, "us-east-2", 1)
        assert is_healthy(client, check)
        publish(client, "us-east-2", 0)
        assert not is_healthy(client, check)
        publish(client, "us-east-2", 1)
        FAULTS.outage("us-east-2")  # the alarm's region is lost: insufficient data
        assert not is_healthy(client, check)


def test_last_known_status_keeps_the_status_through_insufficient_data() -> None:
    with emulated() as client:
        alarm = fence_alarm(client, "us-east-2")
        check = metric_check(client, "us-east-2", alarm, insufficient="LastKnownStatus")
        assert is_healthy(client, check)  # a new check without a known status is healthy
        publish(client, "us-east-2", 0)
        assert not is_healthy(client, check)
        FAULTS.outage("us-east-2")
        assert not is_healthy(client, check)


def test_a_calculated_check_counts_healthy_children_and_inverted_reverses() -> None:
    with emulated() as client:
        east1 = https_check(client, load_balancer(client, "us-east-1"))
        east2 = https_check(client, load_balancer(client, "us-east-2"))
        both = health_check(
            client, {"Type": "CALCULATED", "ChildHealthChecks": [east1, east2], "HealthThreshold": 2}
        )
        inverted = health_check(
            client,
            {"Type": "CALCULATED", "ChildHealthChecks": [east1], "HealthThreshold": 1, "Inverted": True},
        )
        assert is_healthy(client, both)
        assert not is_healthy(client, inverted)
        FAULTS.outage("us-east-1")
        CLOCK.advance(90)
        assert not is_healthy(client, both)
        assert is_healthy(client, inverted)


def test_a_template_health_check_keeps_its_alarm() -> None:
    with emulated() as client:
        alarm = fence_alarm(client, "us-east-2")
        template = {
            "Resources": {
                "Check": {
                    "Type": "AWS::Route53::HealthCheck",
                    "Properties": {
                        "HealthCheckConfig": {
                            "Type": "CLOUDWATCH_METRIC",
                            "AlarmIdentifier": {"Region": "us-east-2", "Name": alarm},
                            "InsufficientDataHealthStatus": "Unhealthy",
                        }
                    },
                }
            }
        }
        cfn = client("cloudformation")
        cfn.create_stack(StackName="global", TemplateBody=json.dumps(template))
        resources = cfn.describe_stack_resources(StackName="global")["StackResources"]
        check = resources[0]["PhysicalResourceId"]
        assert not is_healthy(client, check)
        publish(client, "us-east-2", 1)
        assert is_healthy(client, check)
