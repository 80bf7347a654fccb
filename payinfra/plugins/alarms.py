"""Verify: every alarm the stack declares exists, notifies the region's alarm topic, and someone
is on the other end of that topic.

An alarm that notifies a topic nobody confirmed is silent: AWS keeps email and HTTP(S)
subscriptions `PendingConfirmation` until the recipient follows the link SNS sent, and delivers
nothing to them meanwhile (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html). So
each topic the alarms point to must list at least one confirmed subscription:
`ListSubscriptionsByTopic` shows a pending one as `SubscriptionArn: PendingConfirmation`
(https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.aws import error_code
from payinfra.topology.outputs import RegionalOutput

PROMISE = "alarms present and wired to the alarm topic"
SUBSCRIBER_PROMISE = "alarm topic has a confirmed subscriber"
PAGE = 100  # DescribeAlarms accepts at most 100 names


class AlarmsPlugin(Plugin):
    name = "alarms"
    summary = "verify: each region's alarms exist and notify its alarm topic; it has a confirmed subscriber"
    hooks = (Hook.VERIFY,)

    def verify(self, pc: PluginContext) -> list[Check]:
        checks = []
        for node in pc.topology.regions:
            check, topics = self._inspect(pc, node.name)
            checks.append(check)
            checks.extend(self._subscribers(pc, node.name, topic) for topic in sorted(topics))
        return checks

    def _check(self, pc: PluginContext, region: str) -> Check:
        return self._inspect(pc, region)[0]

    def _inspect(self, pc: PluginContext, region: str) -> tuple[Check, set[str]]:
        """The alarms check of one region's stack, and the SNS topics they notify (the stack's
        alarm topic at least)."""
        outputs = pc.deployed(region)
        topic = outputs.require(RegionalOutput.ALARM_TOPIC_ARN)
        names = outputs.require_list(RegionalOutput.ALARM_NAMES)
        cloudwatch = pc.client("cloudwatch", region)
        found = {}
        for start in range(0, len(names), PAGE):
            answer = cloudwatch.describe_alarms(AlarmNames=names[start : start + PAGE])
            found.update(
                {
                    a["AlarmName"]: a
                    for a in answer.get("MetricAlarms", []) + answer.get("CompositeAlarms", [])
                }
            )
        topics = {topic} | {
            action for a in found.values() for action in a.get("AlarmActions", []) if ":sns:" in action
        }
        missing = [n for n in names if n not in found]
        if missing:
            return Check(PROMISE, Status.BROKEN, f"missing: {', '.join(missing)}", region), topics
        silent = [n for n, a in found.items() if topic not in a.get("AlarmActions", [])]
        if silent:
            reason = f"not notifying {topic}: {', '.join(silent)}"
            return Check(PROMISE, Status.BROKEN, reason, region), topics
        return Check(PROMISE, Status.HOLDS, f"{len(names)} alarms notify {topic}", region), topics

    @staticmethod
    def _subscribers(pc: PluginContext, region: str, topic: str) -> Check:
        """HOLDS with at least one confirmed subscription; names the pending ones either way."""
        sns = pc.client("sns", topic.split(":")[3])  # arn:aws:sns:<region>:<account>:<name>
        try:
            subscriptions = _all_subscriptions(sns, topic)
        except ClientError as err:
            if error_code(err) in ("NotFound", "NotFoundException"):
                return Check(SUBSCRIBER_PROMISE, Status.BROKEN, f"topic {topic} does not exist", region)
            raise
        confirmed = [s for s in subscriptions if str(s.get("SubscriptionArn", "")).startswith("arn:")]
        pending = [s for s in subscriptions if s.get("SubscriptionArn") == "PendingConfirmation"]
        waiting = f"pending confirmation: {_endpoints(pending)}" if pending else ""
        if not confirmed:
            what = waiting or "no subscription at all (alarms.subscriber_emails / subscriber_https_endpoint)"
            return Check(SUBSCRIBER_PROMISE, Status.BROKEN, f"{topic}: nobody is notified; {what}", region)
        reason = f"{topic}: {len(confirmed)} confirmed ({_endpoints(confirmed)})"
        return Check(SUBSCRIBER_PROMISE, Status.HOLDS, f"{reason}; {waiting}" if waiting else reason, region)


def _all_subscriptions(sns: Any, topic: str) -> list[dict[str, Any]]:
    subscriptions: list[dict[str, Any]] = []
    kwargs: dict[str, str] = {"TopicArn": topic}
    while True:
        answer = sns.list_subscriptions_by_topic(**kwargs)
        subscriptions.extend(answer.get("Subscriptions", []))
        if not answer.get("NextToken"):
            return subscriptions
        kwargs["NextToken"] = answer["NextToken"]


def _endpoints(subscriptions: list[dict[str, Any]]) -> str:
    return ", ".join(sorted(f"{s.get('Protocol', '?')} {s.get('Endpoint', '?')}" for s in subscriptions))
