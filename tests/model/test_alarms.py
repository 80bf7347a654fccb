"""Alarms, threshold parameters and dashboard as data (no YAML rendered)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payinfra.config import Context
from payinfra.model.alarms import Monitoring, monitoring, parameter_name
from payinfra.model.site import site

# The committed context's regions by role (the model takes region names).
REGION = {"primary": "us-east-1", "secondary": "us-east-2"}


def _monitoring(ctx: Context, role: str) -> Monitoring:
    return monitoring(site(ctx, REGION.get(role, role)))


def _threshold(m: Monitoring, name: str) -> int:
    return next(p.default for p in m.parameters if p.name == name)


def test_secondary_latency_threshold_is_stricter(context: Context) -> None:
    primary, secondary = _monitoring(context, "primary"), _monitoring(context, "secondary")
    name = parameter_name("latency_p99_ms")
    assert name == "AlarmLatencyP99Ms"
    assert _threshold(secondary, name) < _threshold(primary, name)
    assert _threshold(primary, name) == context.primary.alarms.latency_p99_ms


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_alarm_ids_and_names_unique_and_every_alarm_tells_the_topic(context: Context, role: str) -> None:
    alarms = _monitoring(context, role).alarms
    assert len({a.logical_id for a in alarms}) == len(alarms)
    assert len({a.what for a in alarms}) == len(alarms)
    assert {a.topic for a in alarms} == {"AlarmTopic"}


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_every_alarm_has_exactly_one_data_source(context: Context, role: str) -> None:
    for a in _monitoring(context, role).alarms:
        if a.query:
            assert not a.metrics and not a.expression, a.id
        else:
            assert a.metrics and a.namespace and a.stat and a.dimensions, a.id
            assert a.single_metric == (len(a.metrics) == 1 and not a.expression), a.id


def test_replica_lag_alarm_only_on_a_replica(context_with: Callable[..., Context]) -> None:
    replica = context_with("project.database_mode=replica")
    independent = context_with("project.database_mode=independent")
    ids = {role: {a.id for a in _monitoring(replica, role).alarms} for role in ("primary", "secondary")}
    assert "DatabaseReplicaLag" in ids["secondary"]
    assert "DatabaseReplicaLag" not in ids["primary"]
    assert "DatabaseReplicaLag" not in {a.id for a in _monitoring(independent, "secondary").alarms}
    lag = next(a for a in _monitoring(replica, "secondary").alarms if a.id == "DatabaseReplicaLag")
    assert lag.missing == "breaching"  # a replica that stops reporting has stopped replicating


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_parameters_are_exactly_the_used_thresholds(context: Context, role: str) -> None:
    m = _monitoring(context, role)
    assert [p.key for p in m.parameters] == [
        key for key in context.regions[REGION[role]].alarms.model_dump()
        if key in {a.threshold for a in m.alarms}
    ]
    throttles = next(p for p in m.parameters if p.key == "dynamodb_throttles")
    assert "Ledger table" in throttles.description and "Sessions table" in throttles.description


@pytest.mark.parametrize("which", ["context", "three", "mesh"])
def test_replication_latency_watches_every_other_region_in_one_alarm(
    request: pytest.FixtureRequest, which: str
) -> None:
    """One alarm per region, its query grouped by receiving region (one contributor per other
    region): the same resource whatever regions come or go, and alike in every secondary."""
    ctx: Context = request.getfixturevalue(which)
    found = {r: {a.id: a for a in _monitoring(ctx, r).alarms} for r in ctx.project.region_names}
    for region, alarms in found.items():
        latency = [a for a in alarms.values() if "ReplicationLatency" in a.id]
        assert [a.logical_id for a in latency] == ["SessionsReplicationLatencyAlarm"], region
        (alarm,) = latency
        assert "GROUP BY ReceivingRegion" in alarm.query and "FROM SCHEMA(\"AWS/DynamoDB\"" in alarm.query
        assert not alarm.metrics and alarm.threshold == "dynamodb_replication_latency_ms"
    primary = found[ctx.project.primary_region]
    assert "'${SessionsTable}'" in primary["SessionsReplicationLatency"].query
    assert primary["SessionsThrottles"].dimensions["TableName"] == "${SessionsTable}"
    secondaries = [found[r] for r in ctx.project.secondary_regions]
    # No stack owns a replica: its name, not a reference; the same in every secondary.
    replica = ctx.names.sub("sessions_table")
    for alarms in secondaries:
        assert f"'{replica}'" in alarms["SessionsReplicationLatency"].query
        assert alarms["SessionsThrottles"].dimensions["TableName"] == replica
        assert alarms.keys() == secondaries[0].keys()


def test_free_storage_alarms_below_and_converts_bytes(context: Context) -> None:
    storage = next(a for a in _monitoring(context, "primary").alarms if a.id == "DatabaseFreeStorage")
    assert storage.lower and storage.comparison == "LessThanOrEqualToThreshold"
    assert storage.expression == "m1 / 1048576"


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_dashboard_graphs_every_alarm_once_without_overlap(context: Context, role: str) -> None:
    m = _monitoring(context, role)
    widgets = m.dashboard["widgets"]
    status = widgets[0]["properties"]["alarms"]
    assert status == [a.arn for a in m.alarms]
    annotated = [w["properties"]["annotations"]["alarms"][0] for w in widgets
                 if "annotations" in w.get("properties", {})]
    assert sorted(annotated) == sorted(status)
    cells = set()
    for w in widgets:
        assert w["x"] + w["width"] <= 24
        for x in range(w["x"], w["x"] + w["width"]):
            for y in range(w["y"], w["y"] + w["height"]):
                assert (x, y) not in cells, w
                cells.add((x, y))
