"""The recorded active region, made visible after every deploy, and checked by `verify`.

After deploy: write the first active-region record (the primary, epoch 0: an item of the global
ledger table, `payinfra.recovery.active`) when no region holds one, then read the recorded active
region (the highest epoch among the regions that answer) and publish the fence metric in every
region (1 where payments are served, 0 elsewhere) so each region's fence alarm has a state. It
never overwrites a record (the put is conditional), so a deploy between failover and failback
keeps the failover. It runs after ledger-replicas: an MRSC table forms only while empty, so the
record is written only once the global table exists.
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
from payinfra.recovery.active import (
    ActiveReading,
    ActiveState,
    ActiveStateError,
    initial_state,
    read_active,
    read_record,
    table_name,
    write_active,
)
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
        if not self.write_first_record(pc, out):
            out.not_performed(f"{FENCE_METRIC} not published: no active-region record to follow")
            return
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

    @staticmethod
    def write_first_record(pc: PluginContext, out: PluginReporter) -> bool:
        """The primary at epoch 0, only when every region answers and none holds a record (an
        unanswered region might hold a newer one that an eventual-mode write would later
        overwrite, last writer wins), and in strong mode only once the table is global.
        False when no region holds a record afterwards."""
        ctx = pc.config
        table = table_name(ctx)
        held: dict[str, ActiveState | None] = {}
        silent: list[str] = []
        for region in ctx.project.region_names:
            try:
                held[region] = read_record(ctx, pc.client, region)
            except ClientError as err:
                if error_code(err) != "ResourceNotFoundException":
                    silent.append(region)  # no replica there (yet): it holds no record either
            except BotoCoreError:
                silent.append(region)
        if any(state is not None for state in held.values()):
            return True
        first = initial_state(ctx)
        if silent:
            out.not_performed(
                f"first active-region record in {table}: {', '.join(silent)} did not answer "
                "(it may hold a newer record); handlers refuse payments until one exists"
            )
            return False
        primary = first.active
        if ctx.recovery.ledger_consistency == "strong" and not is_global(
            pc.client("dynamodb", primary), table
        ):
            out.not_performed(
                f"first active-region record in {table}: not a global table yet in {primary} "
                "(an MRSC table forms only while empty)"
            )
            return False
        if write_active(ctx, pc.client, primary, first):
            out.changed(f"{primary}: first active-region record in {table}: {primary} at epoch 0")
        return True

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
                what = f"{seen.active} at epoch {seen.epoch} (stale)" if seen else "no answer or no record"
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


def is_global(ddb: Any, table: str) -> bool:
    """DescribeTable lists the table's replicas once it is a global table (version 2019.11.21).
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html
    """
    try:
        return len(ddb.describe_table(TableName=table)["Table"].get("Replicas", [])) > 1
    except (ClientError, BotoCoreError):
        return False
