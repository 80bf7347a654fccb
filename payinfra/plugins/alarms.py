"""Verify: every alarm the stack declares exists and notifies the region's alarm topic."""

from __future__ import annotations

from payinfra.plugins.api import REGIONAL_ROLES, Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.stack_resources import skipped_resources

PROMISE = "alarms present and wired to the alarm topic"
PAGE = 100  # DescribeAlarms accepts at most 100 names


class AlarmsPlugin(Plugin):
    name = "alarms"
    summary = "verify: each region's alarms exist and notify its SNS alarm topic"
    hooks = (Hook.VERIFY,)

    def verify(self, pc: PluginContext) -> list[Check]:
        return [self._check(pc, role) for role in REGIONAL_ROLES]

    def _check(self, pc: PluginContext, role: str) -> Check:
        region = pc.stacks[role].region
        outputs = pc.deployed(role)
        skipped = skipped_resources(pc, role, "AWS::CloudWatch::Alarm")
        if skipped:
            reason = (
                f"stack is {outputs.status} but never created {len(skipped)} declared alarm(s) "
                f"({', '.join(skipped[:3])}{', ...' if len(skipped) > 3 else ''}): this backend skips alarms"
            )
            return Check(PROMISE, Status.NOT_PERFORMED, reason, region)
        names = outputs.require_list("AlarmNames")
        topic = outputs.require("AlarmTopicArn")
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
        missing = [n for n in names if n not in found]
        if missing:
            return Check(PROMISE, Status.BROKEN, f"missing: {', '.join(missing)}", region)
        silent = [n for n, a in found.items() if topic not in a.get("AlarmActions", [])]
        if silent:
            return Check(PROMISE, Status.BROKEN, f"not notifying {topic}: {', '.join(silent)}", region)
        return Check(PROMISE, Status.HOLDS, f"{len(names)} alarms notify {topic}", region)
