"""replication-lag: datapoints judged against the threshold; none is said, never held."""

from __future__ import annotations

import boto3

from payinfra.plugins.api import Status
from payinfra.plugins.replication_lag import ReplicationLagPlugin
from tests.plugins.conftest import PRIMARY, SECONDARY, World


def latency(ms: float) -> None:
    boto3.client("cloudwatch", region_name=PRIMARY).put_metric_data(
        Namespace="AWS/DynamoDB",
        MetricData=[
            {
                "MetricName": "ReplicationLatency",
                "Dimensions": [
                    {"Name": "TableName", "Value": "payments-sessions-dev"},
                    {"Name": "ReceivingRegion", "Value": SECONDARY},
                ],
                "Value": ms,
                "Unit": "Milliseconds",
            }
        ],
    )


def test_no_datapoints_is_not_reported_as_holding(world: World) -> None:
    [check] = ReplicationLagPlugin().verify(world.context())  # strong ledger: sessions only
    assert check.status == Status.NOT_PERFORMED and "no ReplicationLatency datapoints" in check.reason


def test_latency_is_judged_against_the_threshold(world: World) -> None:
    threshold = world.config.regions[PRIMARY].alarms.dynamodb_replication_latency_ms
    latency(threshold / 2)
    [check] = ReplicationLagPlugin().verify(world.context())
    assert check.status == Status.HOLDS and check.region == f"{PRIMARY} -> {SECONDARY}"
    latency(threshold * 2)
    [check] = ReplicationLagPlugin().verify(world.context())
    assert check.status == Status.BROKEN and f"{threshold * 2:g} ms" in check.reason
