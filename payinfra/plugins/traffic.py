"""Verify: client traffic goes to the active region only.

Per region, the region's health (its endpoint check and its fence check both healthy, as the
CALCULATED check combines them) must match the prediction: healthy only in the recorded active
region (`payinfra.recovery.active.read_active`), and only while that region answers. The
calculated check itself cannot be read: "You can't use GetHealthCheckStatus to get the status of a
calculated health check" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html),
so its two children are read and combined with its threshold (both). A check is healthy while more
than 18% of its checkers report it healthy
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html).
Then `TestDNSAnswer` must name only the active region's ALB (or, with no region both active and
reachable, only the no-region address): https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html

Route 53's API is served from us-east-1 alone (https://docs.aws.amazon.com/general/latest/gr/r53.html):
while us-east-1 is unreachable these checks say so (an expected, degraded state: DNS answers and
health checking keep working) and are never reported as holding.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payinfra.model.traffic import CheckKind, RegionTraffic, TrafficPlan, traffic_plan
from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.errors import PluginError
from payinfra.recovery.active import ActiveReading, ActiveStateError, read_active
from payinfra.topology.outputs import RegionalOutput

ROUTE53_REGION = "us-east-1"
HEALTHY_SHARE = 0.18
PROMISE_HEALTH = "region health check follows the recorded active region"
PROMISE_DNS = "DNS answers name only the active region's load balancer"
# A backend that does not model checkers answers every check alike, as an HTTP probe: an HTTP
# status in the report of a CLOUDWATCH_METRIC check is the sign (moto 5.2.5 does so).
_HTTP_REPORT = "HTTP Status Code"
DURING_OUTAGE = " (expected during an outage)"

Resolver = Callable[[str], set[str]]


class NotAnswered(Exception):
    """The backend cannot answer this (no such API, or answers that model nothing)."""


class Unreachable(Exception):
    """Route 53's API (us-east-1) or a stack's region did not answer."""


@dataclass(frozen=True)
class Health:
    healthy: bool
    detail: str


def resolve_addresses(name: str) -> set[str]:
    """The IPv4 addresses `name` resolves to (empty when it does not resolve)."""
    try:
        return set(socket.gethostbyname_ex(name)[2])
    except OSError:
        return set()


def hosted_zones(route53: Any, zone_name: str) -> list[dict[str, Any]]:
    """The hosted zones named exactly `zone_name` (trailing dot): the global stack's records need
    exactly one (CloudFormation refuses HostedZoneName when none or several match:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-route53-recordset.html)."""
    found = route53.list_hosted_zones_by_name(DNSName=zone_name).get("HostedZones", [])
    return [zone for zone in found if zone.get("Name") == zone_name]


def _call(what: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except BotoCoreError as err:
        raise Unreachable(f"{what}: {err}") from None
    except ClientError as err:
        status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        text = error_message(err)
        if error_code(err) == "NotImplemented" or "<html" in text.lower() or status == 404:
            raise NotAnswered(f"{what}: not performed by this backend") from None
        if status >= 500 or error_code(err) in ("ServiceUnavailable", "RequestTimeout"):
            raise Unreachable(f"{what}: {text}") from None
        raise


def check_health(route53: Any, check_id: str, kind: CheckKind) -> Health:
    """One endpoint or metric check's health from its checkers' latest observations."""
    answer = _call(
        f"GetHealthCheckStatus {check_id}", lambda: route53.get_health_check_status(HealthCheckId=check_id)
    )
    reports = [o.get("StatusReport", {}).get("Status", "") for o in answer.get("HealthCheckObservations", [])]
    if kind is CheckKind.FENCE and any(_HTTP_REPORT in r for r in reports):
        raise NotAnswered(f"{kind} check {check_id} reports an HTTP probe: alarm checks not modelled")
    if not reports:
        return Health(False, f"{kind} check: no checker has reported yet")
    share = sum(r.startswith("Success") for r in reports) / len(reports)
    healthy = share > HEALTHY_SHARE
    return Health(healthy, f"{kind} {'healthy' if healthy else 'unhealthy'} ({share:.0%} of checkers)")


def expected_active(reading: ActiveReading) -> str | None:
    """The region that should receive traffic: the recorded active one, if it answers."""
    active = reading.state.active
    return active if reading.seen.get(active) is not None else None


class TrafficPlugin(Plugin):
    name = "traffic"
    summary = "verify: health checks follow the recorded active region; DNS names only its load balancer"
    hooks = (Hook.VERIFY,)

    def __init__(self, resolver: Resolver = resolve_addresses) -> None:
        self.resolver = resolver

    def verify(self, pc: PluginContext) -> list[Check]:
        plan = traffic_plan(pc.config)
        try:
            reading = read_active(pc.config, pc.client, pc.topology.region_names)
        except ActiveStateError as err:
            return [Check(PROMISE_HEALTH, Status.BROKEN, str(err))]
        serving = expected_active(reading)
        where = f"active {reading.state.active} (epoch {reading.state.epoch})"
        if serving is None:
            where += ", which does not answer"
        route53 = pc.client("route53", ROUTE53_REGION)
        try:
            ids = pc.deployed(pc.topology.global_stack)
            zones = _call("ListHostedZonesByName", lambda: hosted_zones(route53, plan.zone_name))
        except (Unreachable, PluginError, BotoCoreError, ClientError) as err:
            return self._degraded(plan, f"{err}")
        except NotAnswered as err:
            return [Check(PROMISE_DNS, Status.NOT_PERFORMED, str(err), plan.record_name)]
        checks = [self._region_check(route53, ids.values, r, serving, where) for r in plan.regions]
        checks.append(self._dns_check(pc, route53, zones, serving, where))
        return checks

    def _degraded(self, plan: TrafficPlan, why: str) -> list[Check]:
        reason = (
            f"Route 53's API ({ROUTE53_REGION}) or the global stack does not answer: {why}; expected "
            "while that region is lost (DNS answers and health checks keep working), not checked"
        )
        return [Check(PROMISE_HEALTH, Status.NOT_PERFORMED, reason, r.region) for r in plan.regions] + [
            Check(PROMISE_DNS, Status.NOT_PERFORMED, reason, plan.record_name)
        ]

    def _region_check(
        self, route53: Any, ids: dict[str, str], entry: RegionTraffic, serving: str | None, where: str
    ) -> Check:
        expected = entry.region == serving
        try:
            children = [
                check_health(route53, ids[entry.check_output(kind)], kind)
                for kind in (CheckKind.ENDPOINT, CheckKind.FENCE)
            ]
        except KeyError as err:
            return Check(PROMISE_HEALTH, Status.BROKEN, f"the global stack has no output {err}", entry.region)
        except NotAnswered as err:
            return Check(PROMISE_HEALTH, Status.NOT_PERFORMED, str(err), entry.region)
        except Unreachable as err:
            return Check(PROMISE_HEALTH, Status.NOT_PERFORMED, f"{err}{DURING_OUTAGE}", entry.region)
        healthy = all(child.healthy for child in children)
        said = f"{', '.join(c.detail for c in children)} -> {'healthy' if healthy else 'unhealthy'}"
        wanted = f"expected {'healthy' if expected else 'unhealthy'}: {where}"
        status = Status.HOLDS if healthy == expected else Status.BROKEN
        return Check(PROMISE_HEALTH, status, f"{said}; {wanted}", entry.region)

    def _dns_check(
        self, pc: PluginContext, route53: Any, zones: list[dict[str, Any]], serving: str | None, where: str
    ) -> Check:
        plan = traffic_plan(pc.config)
        if len(zones) != 1:
            reason = f"{len(zones)} hosted zones are named {plan.zone_name}; the records need exactly one"
            return Check(PROMISE_DNS, Status.BROKEN, reason, plan.record_name)
        try:
            answer = _call(
                "TestDNSAnswer",
                lambda: route53.test_dns_answer(
                    HostedZoneId=zones[0]["Id"].split("/")[-1], RecordName=plan.record_name, RecordType="A"
                ),
            )
            albs = {
                r.region: _bare(pc.deployed(r.region).require(RegionalOutput.LOAD_BALANCER_DNS_NAME))
                for r in plan.regions
                if r.region == serving
            }
        except NotAnswered as err:
            return Check(PROMISE_DNS, Status.NOT_PERFORMED, str(err), plan.record_name)
        except (Unreachable, PluginError) as err:
            return Check(PROMISE_DNS, Status.NOT_PERFORMED, f"{err}{DURING_OUTAGE}", plan.record_name)
        got = sorted({_bare(value) for value in answer.get("RecordData", [])})
        wanted = set(albs.values()) if serving else {plan.nowhere_address}
        addresses = set().union(*(self.resolver(name) for name in albs.values())) if albs else set()
        matches = bool(got) and all(value in wanted or value in addresses for value in got)
        target = f"{serving}'s load balancer" if serving else f"{plan.nowhere_address} (no region serves)"
        reason = f"answers {', '.join(got) or 'nothing'}; expected only {target}: {where}"
        return Check(PROMISE_DNS, Status.HOLDS if matches else Status.BROKEN, reason, plan.record_name)


def _bare(name: str) -> str:
    """A DNS name as compared: lower case, no trailing dot, no `dualstack.` prefix of ELB aliases."""
    name = name.lower().rstrip(".")
    return name.removeprefix("dualstack.")
