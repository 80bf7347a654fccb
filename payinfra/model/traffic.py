"""Who receives client traffic: the global stack's Route 53 health checks and records, as data.

One name (`<record_name>.<hosted_zone>`) answers with the load balancer of the region that serves.
Per region, three health checks:
- an endpoint check: HTTPS (HTTP when the region has no certificate) on the ALB's DNS name and the
  health path, which the payment handler answers 200 while its local ledger answers;
- a fence check: CLOUDWATCH_METRIC on the region's fence alarm (ALARM while the region is fenced:
  RegionActive < 1), missing data counting as unhealthy;
- a region check: CALCULATED, healthy only when both children are (HealthThreshold 2).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-route53-healthcheck-healthcheckconfig.html

Routing: one weighted group. Each region's record (weight 1) is an alias to its ALB, tied to its
region check. Route 53 fails open: when every record of a group is unhealthy it answers as if all
were healthy (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html),
which would send clients to a fenced standby while the active region is lost and not yet failed
over. So the group also holds a zero-weight record without a health check that points at an
address nobody serves: Route 53 considers zero-weight records only when every record of nonzero
weight is unhealthy, and a record without a health check is always healthy, so that answer is the
one given then, and the group never fails open onto a fenced region
(https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-weighted.html, the
table "when the record with weight 0 doesn't include a health check"). Any number of regions.

At failover nothing here is edited (Route 53's control plane is in us-east-1): the runbook only
publishes RegionActive in the surviving region, and the fence alarms' state moves the answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from payinfra.config.model import Context
from payinfra.model.site import region_id
from payinfra.topology import Topology

# Route 53 checkers probe from at least three of its checker regions; these three stay up when any
# one of the deployment's US regions is lost. Values: the HealthCheckConfig `Regions` list above.
CHECKER_REGIONS = ("us-west-1", "us-west-2", "eu-west-1")
# TEST-NET-1 (RFC 5737): documentation addresses, never routed, so the no-region answer reaches no
# server at all. https://datatracker.ietf.org/doc/html/rfc5737
NOWHERE_ADDRESS = "192.0.2.1"
# The no-region answer's TTL: an ELB alias answers with a fixed 60 s TTL, keep the sink alike so a
# client retries as soon as a region becomes healthy again.
# https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html
NOWHERE_TTL_S = 60
NOWHERE_SET_IDENTIFIER = "no-active-region"
REGION_WEIGHT = 1
# Both children of a region check must be healthy: the endpoint answers and the region is not fenced.
REGION_CHECK_THRESHOLD = 2


class GlobalOutput(StrEnum):
    """The global stack's outputs besides one per health check (`RegionTraffic.check_output`)."""

    RECORD_NAME = "RecordName"
    HOSTED_ZONE_NAME = "HostedZoneName"


class CheckKind(StrEnum):
    """The three health checks of a region, by what they watch."""

    ENDPOINT = "endpoint"  # HTTPS/HTTP on the ALB's health path
    FENCE = "fence"  # CLOUDWATCH_METRIC on the region's fence alarm
    REGION = "region"  # CALCULATED over the two above


@dataclass(frozen=True)
class RegionTraffic:
    """One region's health checks and record in the global stack."""

    region: str
    stack_name: str  # the regional stack whose outputs (ALB DNS name and zone) the record reads
    protocol: str  # HTTPS | HTTP
    port: int
    fence_alarm: str  # a `!Sub` name over ${EnvironmentSuffix} (the alarm lives in `region`)

    @property
    def id(self) -> str:
        return region_id(self.region)

    def check_logical_id(self, kind: CheckKind) -> str:
        return f"{kind.capitalize()}HealthCheck{self.id}"

    def check_output(self, kind: CheckKind) -> str:
        """The global stack output holding that check's ID (verify reads it)."""
        return self.check_logical_id(kind)

    @property
    def record_logical_id(self) -> str:
        return f"Record{self.id}"

    @property
    def set_identifier(self) -> str:
        return self.region


@dataclass(frozen=True)
class TrafficPlan:
    """Everything the global template lays out and `verify` reads."""

    zone_name: str  # with the trailing dot (HostedZoneName)
    record_name: str  # fully qualified, with the trailing dot
    path: str
    interval_s: int
    failure_threshold: int
    checker_regions: tuple[str, ...]
    regions: tuple[RegionTraffic, ...]
    nowhere_address: str = NOWHERE_ADDRESS
    nowhere_ttl_s: int = NOWHERE_TTL_S
    nowhere_set_identifier: str = NOWHERE_SET_IDENTIFIER
    region_weight: int = REGION_WEIGHT
    region_check_threshold: int = REGION_CHECK_THRESHOLD

    def region(self, name: str) -> RegionTraffic:
        for entry in self.regions:
            if entry.region == name:
                return entry
        raise KeyError(f"{name} has no traffic entry ({', '.join(r.region for r in self.regions)})")


def traffic_plan(ctx: Context) -> TrafficPlan:
    """The deployment's health checks and records, one entry per region in context order."""
    topology = Topology.from_context(ctx)
    recovery = ctx.recovery
    zone = recovery.hosted_zone.rstrip(".")
    regions = tuple(
        RegionTraffic(
            region=node.name,
            stack_name=node.stack.name,
            protocol="HTTPS" if node.settings.certificate_arn else "HTTP",
            port=443 if node.settings.certificate_arn else 80,
            fence_alarm=ctx.names.sub("fence_alarm"),
        )
        for node in topology.regions
    )
    return TrafficPlan(
        zone_name=f"{zone}.",
        record_name=f"{ctx.api_name}.",
        path=recovery.health_check_path,
        interval_s=recovery.health_check_interval_s,
        failure_threshold=recovery.health_check_failure_threshold,
        checker_regions=CHECKER_REGIONS,
        regions=regions,
    )
