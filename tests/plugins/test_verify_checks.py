"""Verify-only plugins: stack status, WAF association, alarms and their subscribers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from payinfra.plugins.alarms import AlarmsPlugin
from payinfra.plugins.api import Status
from payinfra.plugins.outputs import StaticOutputs
from payinfra.plugins.stack_status import StackStatusPlugin
from payinfra.plugins.waf_association import WafAssociationPlugin
from tests.plugins.conftest import World

TOPIC = "arn:aws:sns:us-east-1:123456789012:payments-alarms-dev"
ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/payments-alb-dev/abc"
ACL = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/payments-waf-dev/1"


def test_stack_status_holds_only_for_complete_stacks(world: World) -> None:
    pc = world.context()
    pc.outputs = StaticOutputs(
        {"us-east-1": {}, "us-east-2": {}, "global": {}},
        status={
            "us-east-1": "UPDATE_COMPLETE",
            "us-east-2": "UPDATE_ROLLBACK_COMPLETE",
            "global": "UPDATE_IN_PROGRESS",
        },
    )
    checks = StackStatusPlugin().verify(pc)
    # The regions, the peering (not deployed), then the global stack (DNS, health checks).
    assert [c.status for c in checks] == [Status.HOLDS, Status.BROKEN, Status.BROKEN, Status.BROKEN]
    assert checks[1].reason == "UPDATE_ROLLBACK_COMPLETE"
    assert checks[2].reason == "stack does not exist" and checks[2].region == "us-east-1"
    assert checks[3].promise == "stack payments-global-dev complete"
    assert checks[3].reason == "UPDATE_IN_PROGRESS" and checks[3].region == "us-east-1"
    pc.outputs = StaticOutputs({"us-east-1": {}, "us-east-2": {}, "global": {}})
    assert [c.status for c in StackStatusPlugin().verify(pc)][-1] == Status.HOLDS


def test_alarms_hold_when_present_and_wired(world: World) -> None:
    pc = world.context()
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    for name in ("payments-errors-dev", "payments-latency-dev"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="Errors",
            Namespace="AWS/Lambda",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
            AlarmActions=[TOPIC],
        )
    world.outputs["us-east-1"].update(
        AlarmNames="payments-errors-dev,payments-latency-dev", AlarmTopicArn=TOPIC
    )
    check = AlarmsPlugin()._check(pc, "us-east-1")
    assert check.status == Status.HOLDS and check.reason == f"2 alarms notify {TOPIC}"
    cloudwatch.delete_alarms(AlarmNames=["payments-latency-dev"])
    cloudwatch.put_metric_alarm(
        AlarmName="payments-errors-dev",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[],
    )
    check = AlarmsPlugin()._check(pc, "us-east-1")
    assert check.status == Status.BROKEN and check.reason == "missing: payments-latency-dev"


def test_waf_holds_only_with_the_regions_own_acl(world: World) -> None:
    pc = world.context()
    world.outputs["us-east-1"].update(LoadBalancerArn=ALB, WebAclArn=ACL)
    waf = boto3.Session(region_name="us-east-1").client("wafv2")
    pc.sessions.set_client("wafv2", "us-east-1", waf)
    for answer, expected in ((ACL, Status.HOLDS), (ACL.replace("/1", "/other"), Status.BROKEN)):
        waf_stub = Stubber(waf)
        waf_stub.add_response(
            "get_web_acl_for_resource",
            {
                "WebACL": {
                    "Name": "payments-waf-dev",
                    "Id": "1",
                    "ARN": answer,
                    "DefaultAction": {"Allow": {}},
                    "VisibilityConfig": {
                        "SampledRequestsEnabled": True,
                        "CloudWatchMetricsEnabled": True,
                        "MetricName": "m",
                    },
                }
            },
            {"ResourceArn": ALB},
        )
        with waf_stub:
            assert WafAssociationPlugin()._check(pc, "us-east-1").status == expected


# --- Alarm subscribers: someone must be on the other end of the alarm topic
@pytest.fixture
def aws_like_subscriptions(world: World) -> Iterator[None]:
    """The emulator's SNS fix alone: email/https subscriptions stay pending until confirmed."""
    from localaws.testing import fixes_applied

    with fixes_applied("sns_subscriptions"):
        yield


def _subscriber_check(world: World, topic: str) -> Any:
    return AlarmsPlugin()._subscribers(world.context(), "us-east-1", topic)


def test_a_topic_with_only_pending_subscribers_is_broken_and_names_them(
    world: World, aws_like_subscriptions: None
) -> None:
    from localaws import confirmation_messages

    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="payments-alarms-dev")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://hooks.example.com/sns")

    pending = _subscriber_check(world, topic)
    message = next(m for m in confirmation_messages() if m.protocol == "email")
    sns.confirm_subscription(TopicArn=topic, Token=message.token)  # what the recipient's click does
    confirmed = _subscriber_check(world, topic)

    assert pending.status == Status.BROKEN
    assert pending.reason == (
        f"{topic}: nobody is notified; pending confirmation: email oncall@example.com, "
        "https https://hooks.example.com/sns"
    )
    assert confirmed.status == Status.HOLDS
    assert confirmed.reason == (
        f"{topic}: 1 confirmed (email oncall@example.com); "
        "pending confirmation: https https://hooks.example.com/sns"
    )


def test_a_topic_without_subscriptions_or_gone_is_broken(world: World) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="payments-alarms-dev")["TopicArn"]

    empty = _subscriber_check(world, topic)
    gone = _subscriber_check(world, topic.replace("payments-alarms-dev", "deleted"))

    assert empty.status == Status.BROKEN and "no subscription at all" in empty.reason
    assert gone.status == Status.BROKEN and gone.reason.endswith("deleted does not exist")


def test_subscribers_are_read_across_pages(world: World) -> None:
    pc = world.context()
    sns = boto3.Session(region_name="us-east-1").client("sns")
    pc.sessions.set_client("sns", "us-east-1", sns)
    stub = Stubber(sns)
    pending = {"SubscriptionArn": "PendingConfirmation", "Protocol": "email", "Endpoint": "a@example.com"}
    confirmed = {"SubscriptionArn": f"{TOPIC}:1", "Protocol": "https", "Endpoint": "https://h.example.com"}
    stub.add_response(
        "list_subscriptions_by_topic", {"Subscriptions": [pending], "NextToken": "p2"}, {"TopicArn": TOPIC}
    )
    stub.add_response(
        "list_subscriptions_by_topic", {"Subscriptions": [confirmed]}, {"TopicArn": TOPIC, "NextToken": "p2"}
    )
    with stub:
        check = AlarmsPlugin()._subscribers(pc, "us-east-1", TOPIC)
    assert check.status == Status.HOLDS
    assert "1 confirmed (https https://h.example.com)" in check.reason and "a@example.com" in check.reason


def test_verify_checks_the_topic_every_alarm_notifies(world: World, aws_like_subscriptions: None) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="payments-alarms-dev")["TopicArn"]
    other = sns.create_topic(Name="someone-elses")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:123456789012:q")
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_alarm(
        AlarmName="payments-errors-dev",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
        AlarmActions=[topic, other],
    )
    world.outputs["us-east-1"].update(AlarmNames="payments-errors-dev", AlarmTopicArn=topic)
    pc = world.context()
    check, topics = AlarmsPlugin()._inspect(pc, "us-east-1")
    subscribers = {t: AlarmsPlugin()._subscribers(pc, "us-east-1", t).status for t in topics}

    assert check.status == Status.HOLDS
    assert subscribers == {topic: Status.HOLDS, other: Status.BROKEN}
