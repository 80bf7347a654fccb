"""recovery-state: the fence metric follows the recorded active region, never the context's primary."""

from __future__ import annotations

import boto3

from payinfra.plugins.api import Status
from payinfra.plugins.recovery_state import RecoveryStatePlugin
from payinfra.recovery.active import ActiveState
from tests.plugins.conftest import PRIMARY, SECONDARY, World

PARAMETER = "/payments/dev/recovery/active-region"
ALARM = "payments-dev-region-active"


def record(region: str, state: ActiveState) -> None:
    boto3.client("ssm", region_name=region).put_parameter(
        Name=PARAMETER, Value=state.encode(), Type="String", Overwrite=True
    )


def alarm(region: str) -> None:
    boto3.client("cloudwatch", region_name=region).put_metric_alarm(
        AlarmName=ALARM,
        Namespace="PayInfra/Recovery",
        MetricName="RegionActive",
        Dimensions=[{"Name": "Environment", "Value": "dev"}],
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )


def test_a_failover_is_kept_published_and_reported_degraded(world: World) -> None:
    record(PRIMARY, ActiveState(PRIMARY, 0))  # the lost region's old record
    record(SECONDARY, ActiveState(SECONDARY, 1))
    for region in (PRIMARY, SECONDARY):
        alarm(region)
    plugin = RecoveryStatePlugin()
    plugin.after_deploy(world.context(), world.reporter.for_plugin(plugin.name))
    said = [e.message for e in world.reporter.events]
    assert any(
        m.startswith(f"{SECONDARY}: published RegionActive=1 (active region {SECONDARY}, epoch 1)")
        for m in said
    )
    assert any(
        m.startswith(f"{PRIMARY}: published RegionActive=0 (active region {SECONDARY}, epoch 1)")
        for m in said
    )
    for region in (PRIMARY, SECONDARY):
        cw = boto3.client("cloudwatch", region_name=region)
        assert cw.list_metrics(Namespace="PayInfra/Recovery", MetricName="RegionActive")["Metrics"]
    ssm = boto3.client("ssm", region_name=PRIMARY)
    assert ActiveState.decode(ssm.get_parameter(Name=PARAMETER)["Parameter"]["Value"]).epoch == 0  # untouched
    checks = plugin.verify(world.context())
    stale = next(c for c in checks if c.region == PRIMARY and "records active region" in c.promise)
    assert stale.status == Status.BROKEN and "stale" in stale.reason
    degraded = checks[-1]
    assert degraded.status == Status.HOLDS
    assert degraded.reason == f"degraded: active region {SECONDARY} since epoch 1 (failback pending)"


def test_destroy_deletes_the_runbook_parameters_everywhere(world: World) -> None:
    ssm = boto3.client("ssm", region_name=SECONDARY)
    ssm.put_parameter(Name="/payments/dev/recovery/lock", Value="x", Type="String")
    plugin = RecoveryStatePlugin()
    plugin.before_destroy(world.context(), world.reporter.for_plugin(plugin.name))
    assert [e.message for e in world.reporter.changes()] == [
        f"{SECONDARY}: deleted /payments/dev/recovery/lock"
    ]
    assert ssm.describe_parameters()["Parameters"] == []
