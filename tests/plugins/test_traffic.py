"""The traffic verify plugin: each region's health follows the recorded active region, DNS answers
name only its load balancer, and nothing holds when the backend cannot say or us-east-1 is lost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from localaws.testing import mock_aws
from payinfra.config import Context, load_context
from payinfra.deploy.preflight import PreflightReport, check_hosted_zone
from payinfra.model.traffic import CheckKind, traffic_plan
from payinfra.plugins.api import PluginContext, Status
from payinfra.plugins.aws import RegionalSessions
from payinfra.plugins.outputs import StaticOutputs
from payinfra.plugins.traffic import PROMISE_DNS, PROMISE_HEALTH, TrafficPlugin, hosted_zones
from payinfra.recovery.active import ActiveState
from payinfra.topology import Topology
from payinfra.topology.outputs import RegionalOutput

ALB = {"us-east-1": "payments-alb-dev-1.us-east-1.elb.amazonaws.com",
       "us-east-2": "payments-alb-dev-2.us-east-2.elb.amazonaws.com"}
OK = "Success: HTTP Status Code 200, OK"
FAILED = "Failure: Resolved IP 10.0.0.1. The health checker received an HTTP 503"
# An alarm check reports the alarm, never an HTTP probe.
ALARM_TEXT = {OK: "Success: CloudWatch alarm state OK", FAILED: "Failure: CloudWatch alarm state ALARM"}
# moto 5.2.5 answers every check with this, whatever its type.
MOTO_CANNED = "Success: HTTP Status Code: 200. Resolved IP: 127.0.13.37. OK"


def _error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message or code},
         "ResponseMetadata": {"HTTPStatusCode": status}},  # type: ignore[typeddict-item]
        "Call",
    )


class FakeLedger:
    """The region's ledger replica holding the active-region item (None: the region is lost)."""

    def __init__(self, region: str, state: ActiveState | None) -> None:
        self.region = region
        self.state = state

    def get_item(self, **_: Any) -> dict[str, Any]:
        if self.state is None:
            raise EndpointConnectionError(endpoint_url="https://dynamodb.lost.amazonaws.com")
        return {"Item": self.state.item(self.region)}


class FakeRoute53:
    """Health check reports by check ID, one DNS answer; `down` = us-east-1 unreachable."""

    def __init__(self, reports: dict[str, list[str]], answer: list[str] | None, down: bool = False) -> None:
        self.reports, self.answer, self.down = reports, answer, down

    def _up(self) -> None:
        if self.down:
            raise EndpointConnectionError(endpoint_url="https://route53.amazonaws.com")

    def list_hosted_zones_by_name(self, DNSName: str) -> dict[str, Any]:
        self._up()
        return {"HostedZones": [{"Id": "/hostedzone/Z123", "Name": DNSName}]}

    def get_health_check_status(self, HealthCheckId: str) -> dict[str, Any]:
        self._up()
        reports = self.reports[HealthCheckId]
        checkers = ("us-west-1", "us-west-2", "eu-west-1")[: len(reports)]
        pairs = zip(checkers, reports, strict=True)
        observations = [{"Region": r, "StatusReport": {"Status": s}} for r, s in pairs]
        return {"HealthCheckObservations": observations}

    def test_dns_answer(self, **_: Any) -> dict[str, Any]:
        self._up()
        if self.answer is None:  # moto 5.2.5: no such route
            raise _error("404", 404, "<!DOCTYPE html><html>404 Not Found</html>")
        return {"RecordData": self.answer, "ResponseCode": "NOERROR"}


@pytest.fixture(scope="module")
def ctx() -> Context:
    return load_context()


def check_id(region: str, kind: CheckKind) -> str:
    return f"hc-{kind}-{region}"


def context(
    ctx: Context,
    route53: FakeRoute53,
    active: Mapping[str, ActiveState | None],
) -> PluginContext:
    topology = Topology.from_context(ctx)
    plan = traffic_plan(ctx)
    sessions = RegionalSessions()
    sessions.set_client("route53", "us-east-1", route53)
    for region, state in active.items():
        sessions.set_client("dynamodb", region, FakeLedger(region, state))
    ids = {r.check_output(kind): check_id(r.region, kind) for r in plan.regions for kind in CheckKind}
    dns_name = str(RegionalOutput.LOAD_BALANCER_DNS_NAME)
    values = {node.name: {dns_name: ALB[node.name]} for node in topology.regions}
    values[topology.global_stack.key] = ids
    return PluginContext(config=ctx, sessions=sessions, outputs=StaticOutputs(values))


def reports(fence: dict[str, str], endpoint: dict[str, str] | None = None) -> dict[str, list[str]]:
    out = {}
    for region in ALB:
        out[check_id(region, CheckKind.ENDPOINT)] = [(endpoint or {}).get(region, OK)] * 3
        out[check_id(region, CheckKind.FENCE)] = [ALARM_TEXT[fence[region]]] * 3
    return out


def by_promise(checks: list[Any]) -> dict[tuple[str, str], Any]:
    return {(c.promise, c.region): c for c in checks}


EPOCH0 = ActiveState("us-east-1", 0)
FAILED_OVER = ActiveState("us-east-2", 1)
BOTH_EPOCH0 = {"us-east-1": EPOCH0, "us-east-2": EPOCH0}


def test_the_active_region_alone_is_healthy_and_answers(ctx: Context) -> None:
    route53 = FakeRoute53(reports({"us-east-1": OK, "us-east-2": FAILED}), [ALB["us-east-1"] + "."])
    checks = by_promise(TrafficPlugin().verify(context(ctx, route53, BOTH_EPOCH0)))
    assert {k: c.status for k, c in checks.items()} == {
        (PROMISE_HEALTH, "us-east-1"): Status.HOLDS,
        (PROMISE_HEALTH, "us-east-2"): Status.HOLDS,
        (PROMISE_DNS, "api-dev.payments.example.internal."): Status.HOLDS,
    }
    assert "fence unhealthy" in checks[(PROMISE_HEALTH, "us-east-2")].reason


def test_a_fenced_standby_reported_healthy_is_broken(ctx: Context) -> None:
    route53 = FakeRoute53(reports({"us-east-1": OK, "us-east-2": OK}), [ALB["us-east-1"], ALB["us-east-2"]])
    checks = by_promise(TrafficPlugin().verify(context(ctx, route53, BOTH_EPOCH0)))
    standby = checks[(PROMISE_HEALTH, "us-east-2")]
    assert standby.status is Status.BROKEN
    assert "expected unhealthy: active us-east-1 (epoch 0)" in standby.reason
    assert checks[(PROMISE_DNS, "api-dev.payments.example.internal.")].status is Status.BROKEN


def test_after_failover_the_highest_epoch_decides(ctx: Context) -> None:
    """us-east-1 came back with its old record (epoch 0): us-east-2's epoch 1 wins."""
    route53 = FakeRoute53(reports({"us-east-1": FAILED, "us-east-2": OK}), [ALB["us-east-2"]])
    active = {"us-east-1": EPOCH0, "us-east-2": FAILED_OVER}
    checks = TrafficPlugin().verify(context(ctx, route53, active))
    assert {c.status for c in checks} == {Status.HOLDS}


def test_the_lost_active_region_leaves_only_the_no_region_answer(ctx: Context) -> None:
    """us-east-2 active and lost (its parameter does not answer), not yet failed over: no region may
    be healthy, and DNS must answer the no-region address rather than fail open onto us-east-1."""
    route53 = FakeRoute53(
        reports({"us-east-1": FAILED, "us-east-2": OK}, endpoint={"us-east-2": FAILED}), ["192.0.2.1"]
    )
    plugin = TrafficPlugin()
    pc = context(ctx, route53, {"us-east-1": FAILED_OVER, "us-east-2": None})
    checks = by_promise(plugin.verify(pc))
    assert {c.status for c in checks.values()} == {Status.HOLDS}, checks
    assert "which does not answer" in checks[(PROMISE_DNS, "api-dev.payments.example.internal.")].reason
    route53.answer = [ALB["us-east-1"]]  # failed open onto the fenced region
    failed_open = by_promise(plugin.verify(pc))[(PROMISE_DNS, "api-dev.payments.example.internal.")]
    assert failed_open.status is Status.BROKEN


def test_an_address_answer_matches_the_active_load_balancer_resolved(ctx: Context) -> None:
    route53 = FakeRoute53(reports({"us-east-1": OK, "us-east-2": FAILED}), ["3.5.7.9"])
    plugin = TrafficPlugin(resolver=lambda name: {"3.5.7.9"} if name == ALB["us-east-1"] else set())
    checks = plugin.verify(context(ctx, route53, BOTH_EPOCH0))
    assert {c.status for c in checks} == {Status.HOLDS}
    other = TrafficPlugin(resolver=lambda name: {"4.4.4.4"})
    dns = by_promise(other.verify(context(ctx, route53, BOTH_EPOCH0)))
    assert dns[(PROMISE_DNS, "api-dev.payments.example.internal.")].status is Status.BROKEN


def test_a_backend_that_models_nothing_is_not_performed(ctx: Context) -> None:
    """moto 5.2.5: every check answers an HTTP 200 (an alarm check too), TestDNSAnswer is a 404."""
    canned = {check_id(r, k): [MOTO_CANNED] for r in ALB for k in (CheckKind.ENDPOINT, CheckKind.FENCE)}
    route53 = FakeRoute53(canned, None)
    checks = TrafficPlugin().verify(context(ctx, route53, BOTH_EPOCH0))
    assert {c.status for c in checks} == {Status.NOT_PERFORMED}
    assert all("not" in c.reason for c in checks)


def test_route53_unreachable_is_said_and_never_holds(ctx: Context) -> None:
    route53 = FakeRoute53(reports({"us-east-1": OK, "us-east-2": FAILED}), [ALB["us-east-1"]], down=True)
    checks = TrafficPlugin().verify(context(ctx, route53, {"us-east-1": None, "us-east-2": FAILED_OVER}))
    assert len(checks) == 3 and {c.status for c in checks} == {Status.NOT_PERFORMED}
    assert all("us-east-1" in c.reason and "expected while that region is lost" in c.reason for c in checks)


# -- the hosted zone (preflight) ------------------------------------------------------------------


@pytest.mark.usefixtures("aws_env")
def test_the_preflight_needs_exactly_one_zone_of_the_context_name(ctx: Context) -> None:
    with mock_aws():
        sessions = RegionalSessions()
        route53 = boto3.client("route53", region_name="us-east-1")
        missing = PreflightReport()
        check_hosted_zone(sessions, ctx.recovery.hosted_zone, missing)
        assert missing.problems == [
            "hosted zone payments.example.internal. does not exist: create it in Route 53 or set "
            "recovery.hosted_zone (the global stack's records go into it)"
        ]
        route53.create_hosted_zone(Name="example.internal.", CallerReference="parent")
        route53.create_hosted_zone(Name="payments.example.internal.", CallerReference="one")
        one = PreflightReport()
        check_hosted_zone(sessions, ctx.recovery.hosted_zone, one)
        assert one.problems == []
        assert one.passed[0].startswith("hosted zone payments.example.internal. exists")
        assert [z["Name"] for z in hosted_zones(route53, "payments.example.internal.")] == [
            "payments.example.internal."
        ]
        route53.create_hosted_zone(Name="payments.example.internal.", CallerReference="two")
        two = PreflightReport()
        check_hosted_zone(sessions, ctx.recovery.hosted_zone, two)
        assert two.problems[0].startswith("2 hosted zones are named payments.example.internal.")
