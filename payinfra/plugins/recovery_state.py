"""The recorded active region, made visible after every deploy, and checked by `verify`.

After deploy: read the recorded active region (`payinfra.recovery.active.read_active`, the
highest epoch among the regions that answer) and publish the fence metric in every region (1 where
payments are served, 0 elsewhere) so each region's fence alarm has a state. It never writes the
record itself: a deploy between failover and failback keeps the failover.
PutMetricData: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
Alarm states (OK / ALARM / INSUFFICIENT_DATA): https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html

Before destroy: the runbook's progress and lock parameters (written outside CloudFormation) are
deleted in every region.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.errors import PluginError
from payinfra.recovery.active import ActiveReading, ActiveStateError, read_active
from payinfra.topology.names import FENCE_METRIC, FENCE_METRIC_NAMESPACE

RUNBOOK_PARAMETERS = ("runbook_progress_parameter", "runbook_lock_parameter")


def expected_alarm_state(region: str, active: str) -> str:
    """The fence alarm is OK only where payments are served (RegionActive < 1 is ALARM)."""
    return "OK" if region == active else "ALARM"


def alarm_state(cloudwatch: Any, alarm: str) -> str | None:
    alarms = cloudwatch.describe_alarms(AlarmNames=[alarm]).get("MetricAlarms", [])
    return str(alarms[0].get("StateValue")) if alarms else None


class RecoveryStatePlugin(Plugin):
    name = "recovery-state"
    summary = (
        "the fence metric published in every region from the recorded active region (never changed "
        "by a deploy); verify: regions agree, fence alarms match, a failover reported as degraded"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    @staticmethod
    def reading(pc: PluginContext) -> ActiveReading:
        try:
            return read_active(pc.config, pc.client)
        except ActiveStateError as err:
            raise PluginError(str(err)) from None

    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        reading = self.reading(pc)
        active = reading.state.active
        alarm = pc.config.names.concrete("fence_alarm")
        for region in pc.config.project.region_names:
            cloudwatch = pc.client("cloudwatch", region)
            value = 1.0 if region == active else 0.0
            # Published every time (a data point, not a setting: an alarm that has not seen one
            # recently, or was just created, needs it); reported as a change only when the alarm
            # does not show the wanted state yet.
            already = alarm_state(cloudwatch, alarm) == expected_alarm_state(region, active)
            cloudwatch.put_metric_data(
                Namespace=FENCE_METRIC_NAMESPACE,
                MetricData=[
                    {
                        "MetricName": FENCE_METRIC,
                        "Dimensions": [{"Name": "Environment", "Value": pc.config.project.suffix}],
                        "Value": value,
                        "Unit": "Count",
                    }
                ],
            )
            epoch = reading.state.epoch
            line = f"{region}: published {FENCE_METRIC}={value:g} (active region {active}, epoch {epoch})"
            if already:
                out.unchanged(f"{line}; {alarm} already {expected_alarm_state(region, active)}")
            else:
                out.changed(line)
        if reading.stale:
            out.progress(f"regions with an older active-region record: {', '.join(reading.stale)}")

    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        names = [pc.config.names.concrete(key) for key in RUNBOOK_PARAMETERS]
        for region in pc.config.project.region_names:
            ssm = pc.client("ssm", region)
            for name in names:
                try:
                    ssm.delete_parameter(Name=name)
                    out.changed(f"{region}: deleted {name}")
                except ClientError as err:
                    if error_code(err) != "ParameterNotFound":
                        raise PluginError(f"{region}: delete {name}: {error_message(err)}") from None
                    out.unchanged(f"{region}: no {name}")

    def verify(self, pc: PluginContext) -> list[Check]:
        try:
            reading = read_active(pc.config, pc.client)
        except ActiveStateError as err:
            return [Check("the active region is recorded", Status.BROKEN, str(err))]
        state = reading.state
        primary = pc.config.project.primary_region
        alarm = pc.config.names.concrete("fence_alarm")
        checks = []
        for region, seen in reading.seen.items():
            promise = f"{region} records active region {state.active} (epoch {state.epoch})"
            if seen == state:
                checks.append(Check(promise, Status.HOLDS, "same record", region))
            else:
                what = f"{seen.active} at epoch {seen.epoch} (stale)" if seen else "no answer or no parameter"
                checks.append(Check(promise, Status.BROKEN, f"records {what}", region))
        for region in pc.config.project.region_names:
            want = expected_alarm_state(region, state.active)
            promise = f"fence alarm {alarm} in {region} is {want}"
            try:
                got = alarm_state(pc.client("cloudwatch", region), alarm)
            except (ClientError, BotoCoreError) as err:
                checks.append(Check(promise, Status.BROKEN, f"cannot read it: {err}", region))
                continue
            status = Status.HOLDS if got == want else Status.BROKEN
            checks.append(Check(promise, status, f"state {got or 'missing'}", region))
        promise = f"payments served by the context's primary region {primary}"
        if state.active == primary:
            reason = f"active region {primary} (epoch {state.epoch})"
        else:
            reason = f"degraded: active region {state.active} since epoch {state.epoch} (failback pending)"
        checks.append(Check(promise, Status.HOLDS, reason, state.active))
        return checks
