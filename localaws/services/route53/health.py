"""The status of a Route 53 health check, worked out from the local AWS's state on `CLOCK`.

How Route 53 decides, per type (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-determining-health-of-endpoints.html):
- Endpoint checks (HTTP, HTTPS, HTTPS_STR_MATCH, TCP): checkers probe every `RequestInterval`
  (10 or 30 s); the status changes only after `FailureThreshold` consecutive probes disagree with
  it. Here an endpoint is the load balancer whose DNS name is the check's
  FullyQualifiedDomainName: up while it exists and its region is not in a `FAULTS` outage. The
  status flips once the new observation has held for FailureThreshold x RequestInterval seconds
  of `CLOCK`. An endpoint that is no load
  balancer of the local AWS (an IP address, another host) cannot be reached: unhealthy.
  Checks are not run in the background: a check works out its status when asked. A fault's
  start and end are timed (`record_fault_changes` notes the CLOCK time of every outage, isolation
  and restore), so a status asked for late still flips at the right simulated time; a load
  balancer created or deleted is noticed at the first question after it.
- CLOUDWATCH_METRIC: the alarm's state in its region (OK healthy, ALARM unhealthy); with
  INSUFFICIENT_DATA, or the alarm's region down, `InsufficientDataHealthStatus` decides
  (Healthy, Unhealthy, or LastKnownStatus, the default: the last status, healthy if none).
  https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
- CALCULATED: healthy while at least `HealthThreshold` of `ChildHealthChecks` are healthy.
- `Inverted` reverses the status; a `Disabled` check is healthy (unhealthy when inverted).
- RECOVERY_CONTROL (ARC routing controls) is not emulated: reported unhealthy, saying so.
Health checking is Route 53's data plane: none of this reads through the us-east-1 API, so it
keeps working in a us-east-1 outage, as on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localaws._moto import elbv2_backends, route53_backends
from localaws.clock import CLOCK
from localaws.faults import FAULTS, Faults
from localaws.patching import Patcher
from localaws.services.cloudwatch.alarm_evaluation import alarm_state

ENDPOINT_TYPES = frozenset({"HTTP", "HTTPS", "HTTPS_STR_MATCH", "TCP"})
# Where checkers probe from when the check names no Regions (AWS picks several; three shown).
DEFAULT_CHECKER_REGIONS = ("us-east-1", "us-west-1", "eu-west-1")


FAULT_CHANGES: dict[str, float] = {}
"""Region -> CLOCK time its fault state last changed (outage, isolation or restore)."""


def record_fault_changes(patcher: Patcher, faults: Faults = FAULTS) -> None:
    """Time every fault change, so a status asked for later flips when the probes would have."""
    for name in ("outage", "isolate", "restore"):
        original = getattr(faults, name)

        def timed(region: str, _original: Any = original) -> None:
            _original(region)
            FAULT_CHANGES[region] = CLOCK.now()

        patcher.replace(faults, name, timed)


@dataclass
class Tracked:
    """What the emulator remembers of one check between questions."""

    reported: bool | None = None  # the status Route 53 gives now (None: never asked)
    observed: bool | None = None  # what the last probe saw
    observed_since: float = 0.0  # CLOCK time the observation last changed
    reason: str = ""
    last_failure: tuple[float, str] | None = None


@dataclass(frozen=True)
class Status:
    healthy: bool
    reason: str
    checked_at: float


def normalized(name: str) -> str:
    """A DNS name compared as Route 53 does: case-insensitive, without the root dot."""
    return name.lower().rstrip(".").removeprefix("dualstack.")


def load_balancer_region(account_id: str, dns_name: str) -> str | None:
    """The region of the load balancer whose DNS name is `dns_name`, or None."""
    wanted = normalized(dns_name)
    for region, backend in list(elbv2_backends[account_id].items()):
        if any(normalized(lb.dns_name) == wanted for lb in list(backend.load_balancers.values())):
            return str(region)
    return None


def _tracked(check: Any) -> Tracked:
    tracked: Tracked | None = check.__dict__.get("_localaws_tracked")
    if tracked is None:
        tracked = Tracked()
        check.__dict__["_localaws_tracked"] = tracked
    return tracked


def _endpoint(account_id: str, check: Any, tracked: Tracked, now: float) -> tuple[bool, str]:
    fqdn = check.fqdn or check.ip_address or ""
    region = load_balancer_region(account_id, fqdn) if check.fqdn else None
    if region is None:
        seen, why = False, f"Failure: no load balancer of the local AWS answers at {fqdn}"
    elif FAULTS.is_down(region):
        seen, why = False, f"Failure: Connection timed out ({region} is in an outage)"
    else:
        seen, why = True, "Success: HTTP Status Code 200, OK"
    if tracked.reported is None:
        tracked.observed, tracked.observed_since = seen, now
        return seen, why
    if seen != tracked.observed:
        changed = FAULT_CHANGES.get(region or "", float("-inf"))
        tracked.observed = seen
        tracked.observed_since = changed if tracked.observed_since < changed <= now else now
    settle = float(check.request_interval or 30) * int(check.failure_threshold or 3)
    if seen == tracked.reported or now - tracked.observed_since >= settle:
        return seen, why
    return tracked.reported, tracked.reason


def _metric(account_id: str, check: Any, tracked: Tracked) -> tuple[bool, str]:
    identifier = check.__dict__.get("alarm_identifier") or {}
    region, name = identifier.get("Region", ""), identifier.get("Name", "")
    state = None if FAULTS.is_down(region) else alarm_state(account_id, region, name)
    if state == "OK":
        return True, f"Success: CloudWatch alarm {name} is OK"
    if state == "ALARM":
        return False, f"Failure: CloudWatch alarm {name} is in ALARM"
    setting = check.__dict__.get("insufficient_data_health_status") or "LastKnownStatus"
    why = f"Insufficient data: CloudWatch alarm {name} in {region} is {state or 'unreachable'}"
    why = f"{setting}: {why}"
    if setting == "Healthy":
        return True, why
    if setting == "Unhealthy":
        return False, why
    return (True if tracked.reported is None else tracked.reported), why


def _calculated(account_id: str, check: Any) -> tuple[bool, str]:
    children = check.children or []
    healthy = sum(1 for child in children if status(account_id, child).healthy)
    threshold = int(check.health_threshold or 0)
    verdict = healthy >= threshold
    return (
        verdict,
        f"{'Success' if verdict else 'Failure'}: {healthy} of {len(children)} child checks healthy",
    )


def status(account_id: str, health_check_id: str) -> Status:
    """The status Route 53 reports now for the check (unhealthy when it does not exist)."""
    check = route53_backends[account_id]["aws"].health_checks.get(health_check_id)
    now = CLOCK.now()
    if check is None:
        return Status(False, f"Failure: no health check {health_check_id}", now)
    tracked = _tracked(check)
    kind = check.type_
    if check.disabled:
        healthy, why = True, "Success: the health check is disabled"
    elif kind in ENDPOINT_TYPES:
        healthy, why = _endpoint(account_id, check, tracked, now)
    elif kind == "CLOUDWATCH_METRIC":
        healthy, why = _metric(account_id, check, tracked)
    elif kind == "CALCULATED":
        healthy, why = _calculated(account_id, check)
    else:
        healthy, why = False, f"Failure: {kind} health checks are not emulated by the local AWS"
    if check.inverted:
        healthy = not healthy
    why = f"{'Success' if healthy else 'Failure'}: {why.partition(': ')[2] or why}"
    if not healthy and tracked.reported is not False:  # it just became (or started) unhealthy
        tracked.last_failure = (now, why)
    tracked.reported, tracked.reason = healthy, why
    return Status(healthy, why, now)


def last_failure(account_id: str, health_check_id: str) -> tuple[float, str] | None:
    """When and why the check last became unhealthy (None: never, as far as it was asked)."""
    status(account_id, health_check_id)
    check = route53_backends[account_id]["aws"].health_checks.get(health_check_id)
    return None if check is None else _tracked(check).last_failure


def observations(check: Any, at: float, text: str) -> list[dict[str, Any]]:
    """GetHealthCheckStatus's HealthCheckObservations: one per checker region."""
    checked = datetime.fromtimestamp(at, UTC)
    regions = check.regions or DEFAULT_CHECKER_REGIONS
    return [
        {
            "Region": region,
            "IPAddress": "127.0.13.37",
            "StatusReport": {"Status": text, "CheckedTime": checked},
        }
        for region in regions
    ]
