"""DNS answers as Route 53's resolvers give them: only healthy records, by routing policy.

moto 5.2.5 stores records and health checks but answers no DNS query (TestDNSAnswer is 404).
`answer(name, record_type)` returns the values a client can get for a name (for an alias, the
target's DNS name: the local AWS has no IP addresses), and TestDNSAnswer answers the same.

How Route 53 chooses (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html):
- A record is healthy when its health check (HealthCheckId) is healthy and, for an alias with
  EvaluateTargetHealth, when its target is: here a load balancer is healthy while it exists and
  its region is not in an outage. A record with neither is always healthy.
- Failover: the PRIMARY when healthy, else the SECONDARY when healthy.
  https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-failover.html
- Weighted: any healthy record of non-zero weight (a client gets one per query; all are
  listed); zero-weight records only when every non-zero one is unhealthy.
- When no record of the group is healthy, Route 53 considers all of them healthy and chooses by
  the routing policy (failover: the PRIMARY).
Resolving is Route 53's data plane: it reads the records and health state directly, never
through the API, so it keeps answering during a us-east-1 outage, as on AWS.
https://docs.aws.amazon.com/Route53/latest/APIReference/API_TestDNSAnswer.html
"""

from __future__ import annotations

from typing import Any

from localaws._moto import DEFAULT_ACCOUNT_ID, ActionResult, route53_backends
from localaws.faults import FAULTS
from localaws.patching import Patcher

from . import health
from .wiring import response_class, urls_module

TEST_DNS_PATH = r"{0}/(?P<api_version>[\d_-]+)/testdnsanswer$"


def _alias(record: Any) -> dict[str, Any] | None:
    alias: dict[str, Any] | None = record.alias_target or None
    return alias


def _values(record: Any) -> list[str]:
    alias = _alias(record)
    if alias:
        return [str(alias["DNSName"]).rstrip(".")]
    return [str(value) for value in record.records or []]


def _target_healthy(account_id: str, alias: dict[str, Any]) -> bool:
    if str(alias.get("EvaluateTargetHealth", "false")).lower() != "true":
        return True
    region = health.load_balancer_region(account_id, str(alias["DNSName"]))
    if region is not None:
        return not FAULTS.is_down(region)
    # an alias to another record of a hosted zone: healthy while that name has records
    return bool(_records(account_id, str(alias["DNSName"]), None))


def _healthy(account_id: str, record: Any) -> bool:
    if record.health_check_id and not health.status(account_id, record.health_check_id).healthy:
        return False
    alias = _alias(record)
    return alias is None or _target_healthy(account_id, alias)


def _failover(healthy: dict[int, bool], records: list[Any]) -> list[Any]:
    by_role = {str(r.failover).upper(): r for r in records}
    for role in ("PRIMARY", "SECONDARY"):
        record = by_role.get(role)
        if record is not None and healthy[id(record)]:
            return [record]
    return [by_role["PRIMARY"]] if "PRIMARY" in by_role else records[:1]


def _weighted(healthy: dict[int, bool], records: list[Any]) -> list[Any]:
    weighted = [r for r in records if int(r.weight or 0) > 0]
    for pool in (weighted, [r for r in records if int(r.weight or 0) == 0]):
        chosen = [r for r in pool if healthy[id(r)]]
        if chosen:
            return chosen
    return weighted or records  # none healthy: all are considered healthy


def _records(account_id: str, name: str, record_type: str | None) -> list[Any]:
    backend = route53_backends[account_id]["aws"]
    wanted = health.normalized(name)
    return [
        record
        for zone in list(backend.zones.values())
        for record in list(zone.rrsets)
        if health.normalized(record.name) == wanted and (record_type is None or record.type == record_type)
    ]


def _choose(account_id: str, name: str, record_type: str) -> list[Any]:
    records = _records(account_id, name, record_type)
    if not records:
        return []
    healthy = {id(r): _healthy(account_id, r) for r in records}
    if any(r.failover for r in records):
        return _failover(healthy, records)
    if any(r.weight is not None for r in records):
        return _weighted(healthy, records)
    return records


def answer(name: str, record_type: str = "A", account_id: str = DEFAULT_ACCOUNT_ID) -> list[str]:
    """What a client resolving `name` can get: values, or alias targets (load balancer DNS names)."""
    return [value for record in _choose(account_id, name, record_type) for value in _values(record)]


def test_dns_answer(self: Any) -> ActionResult:
    name = str(self._get_param("RecordName"))
    record_type = str(self._get_param("RecordType"))
    values = answer(name, record_type, self.current_account)
    return ActionResult(
        {
            "Nameserver": "ns-local.awsdns.localaws",
            "RecordName": name,
            "RecordType": record_type,
            "RecordData": values,
            "ResponseCode": "NOERROR" if values else "NXDOMAIN",
            "Protocol": "UDP",
        }
    )


def apply(patcher: Patcher) -> None:
    urls = urls_module()
    responses = response_class()
    patcher.replace(urls, "url_paths", {**urls.url_paths, TEST_DNS_PATH: responses.dispatch})
    patcher.replace(responses, "test_dns_answer", test_dns_answer)
