"""Typed model of `context.toml`: every region or environment difference, validated once.

Validation lives here so that the renderer, the plugins and the orchestration can trust a loaded
`Context` without re-checking it. Cross-field rules (CIDR overlap, no looser latency in a
secondary region, name lengths) are model validators so their errors name the offending key.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import re
from decimal import Decimal, InvalidOperation
from typing import Literal

import botocore.loaders
import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from payinfra.topology.names import SUFFIX_PATTERN, Names, max_suffix_length

ISO_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)
ISO_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
POSTGRES_MAJOR_MINOR = re.compile(r"^\d{2}\.\d+$")
# Alarm subscribers: a plain address (no display name), and an https URL SNS can POST to.
EMAIL_PATTERN = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
HTTPS_ENDPOINT_PATTERN = re.compile(r"https://[A-Za-z0-9.-]+(:\d{1,5})?(/[^\s]*)?")
# Environment names that are production: protected unless told otherwise (which is refused).
PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})


@functools.cache
def region_partitions() -> dict[str, str]:
    """Every region name -> its partition, from the endpoints data botocore ships (no network).

    Regions and partitions: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
    A region newer than the installed botocore is unknown here: upgrade botocore to use it.
    """
    data = botocore.loaders.create_loader().load_data("endpoints")
    return {region: p["partition"] for p in data["partitions"] for region in p["regions"]}


def check_region(value: str) -> str:
    """`value` if it names a region, else a message listing the closest region names."""
    regions = region_partitions()
    if value in regions:
        return value
    close = difflib.get_close_matches(value, sorted(regions), n=4, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else "e.g. us-east-1"
    raise ValueError(f"{value!r} is not an AWS region (botocore's region list); {hint}")


class Strict(BaseModel):
    """Base for every config table: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Project(Strict):
    app: str = Field(pattern=r"^[a-z][a-z0-9]{1,11}$", description="name prefix, 2-12 chars")
    environment: str = Field(pattern=r"^[a-z][a-z0-9-]{0,15}$")
    cost_center: str = Field(min_length=1, max_length=64)
    suffix: str
    database_mode: Literal["replica", "independent"]
    primary_region: str
    # Every other region, each a full regional stack paired with the primary (replicas, peering).
    secondary_regions: tuple[str, ...] = Field(min_length=1)
    # hub-and-spoke: each secondary peers with the primary only. mesh: every two regions peer.
    peering: Literal["hub-and-spoke", "mesh"] = "hub-and-spoke"
    # Production protection: deletion protection on, data stores retained on delete, HTTPS required,
    # destroy only with the environment named. Unset: on exactly when `environment` is a production
    # name (PRODUCTION_ENVIRONMENTS).
    protect: bool | None = None

    @property
    def protected(self) -> bool:
        """Whether this environment's data must survive a `destroy` (see `protect`)."""
        return self.environment in PRODUCTION_ENVIRONMENTS if self.protect is None else self.protect

    @model_validator(mode="before")
    @classmethod
    def _single_secondary_key(cls, data: object) -> object:
        """The two-region key `secondary_region = "X"` still works: it means `["X"]`."""
        if isinstance(data, dict) and "secondary_region" in data:
            if "secondary_regions" in data:
                raise ValueError(
                    "@project.secondary_region: set either secondary_regions (a list) or the older "
                    "secondary_region, not both; write secondary_regions = "
                    f'["{data["secondary_region"]}", ...]'
                )
            data = dict(data)
            single = data.pop("secondary_region")
            data["secondary_regions"] = [single] if isinstance(single, str) else single
        return data

    @field_validator("primary_region")
    @classmethod
    def _region(cls, value: str) -> str:
        return check_region(value)

    @field_validator("secondary_regions")
    @classmethod
    def _regions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            check_region(name)
        twice = sorted({name for name in value if value.count(name) > 1})
        if twice:
            raise ValueError(f"lists {', '.join(twice)} more than once: each region is one stack")
        return value

    @field_validator("suffix")
    @classmethod
    def _suffix(cls, value: str) -> str:
        if not re.fullmatch(SUFFIX_PATTERN, value):
            raise ValueError(
                f"{value!r} is not a valid suffix: lowercase letters, digits and single hyphens, "
                "starting with a letter and not ending with a hyphen (S3 and RDS naming rules)"
            )
        return value

    @model_validator(mode="after")
    def _suffix_fits_names(self) -> Project:
        limit = max_suffix_length(self.app)
        if len(self.suffix) > limit:
            longest = Names(self.app, self.suffix).longest_violation()
            raise ValueError(
                f"@project.suffix: suffix {self.suffix!r} is {len(self.suffix)} characters; with app "
                f"{self.app!r} at most {limit} fit ({longest})"
            )
        if self.environment in PRODUCTION_ENVIRONMENTS and self.protect is False:
            raise ValueError(
                f"@project.protect: environment {self.environment!r} is production and is always "
                "protected; remove `protect = false` (or use another environment name)"
            )
        if self.primary_region in self.secondary_regions:
            raise ValueError(
                f"@project.secondary_regions: lists the primary_region {self.primary_region}; "
                "a region is either the primary or a secondary"
            )
        partitions = region_partitions()
        for name in self.secondary_regions:
            if partitions[self.primary_region] != partitions[name]:
                # Cross-region features (replication, peering) stay inside one partition:
                # https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html
                raise ValueError(
                    f"@project.secondary_regions: {name} is in partition {partitions[name]}, "
                    f"primary_region {self.primary_region} in {partitions[self.primary_region]}: "
                    "cross-region replication and peering need one partition"
                )
        return self

    @property
    def region_names(self) -> tuple[str, ...]:
        """The primary first, then the secondaries in the context's order."""
        return (self.primary_region, *self.secondary_regions)


class Database(Strict):
    engine_version: str
    monitoring_interval_s: Literal[0, 1, 5, 10, 15, 30, 60] = Field(
        description="Enhanced Monitoring interval (0 = off)"
    )
    performance_insights_retention_days: int = Field(ge=7, le=731)
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    allocated_storage_gb: int = Field(ge=20, le=65536)
    max_allocated_storage_gb: int = Field(ge=20, le=65536)
    multi_az: bool
    backup_retention_days: int = Field(ge=1, le=35, description="backups must stay on")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    username: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")

    @field_validator("engine_version")
    @classmethod
    def _engine(cls, value: str) -> str:
        if not POSTGRES_MAJOR_MINOR.match(value):
            raise ValueError(f"{value!r} must be a full PostgreSQL version such as 17.6")
        return value

    @model_validator(mode="after")
    def _storage(self) -> Database:
        if self.max_allocated_storage_gb < self.allocated_storage_gb:
            raise ValueError("@max_allocated_storage_gb: must be >= allocated_storage_gb")
        return self


# Fargate's valid cpu -> memory combinations (MiB).
FARGATE_MEMORY = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
}


class Ecs(Strict):
    cpu: int
    memory: int
    desired_count: int = Field(ge=0, le=100)
    image: str = Field(min_length=3)
    container_port: int = Field(ge=1024, le=65535)
    health_check_path: str = Field(pattern=r"^/[A-Za-z0-9/_.-]*$")

    @model_validator(mode="after")
    def _fargate_size(self) -> Ecs:
        if self.cpu not in FARGATE_MEMORY:
            raise ValueError(f"@cpu: {self.cpu} is not a Fargate size ({sorted(FARGATE_MEMORY)})")
        if self.memory not in FARGATE_MEMORY[self.cpu]:
            allowed = FARGATE_MEMORY[self.cpu]
            raise ValueError(
                f"@memory: {self.memory} is invalid for cpu {self.cpu}: "
                f"{allowed.start}-{allowed.stop - 1} in steps of {allowed.step}"
            )
        return self


class Lambda(Strict):
    runtime: Literal["python3.11", "python3.12", "python3.13"]
    memory_mb: int = Field(ge=128, le=10240)
    timeout_s: int = Field(ge=1, le=900)
    # 0 (or absent) renders no reservation: AWS keeps 100 executions unreserved, so a reservation
    # fails on accounts with a low concurrency quota (the preflight checks it).
    reserved_concurrency: int = Field(default=0, ge=0, le=1000, description="0 = no reservation")
    batch_size: int = Field(ge=1, le=10)  # SQS standard queue maximum without a batching window >0
    batching_window_s: int = Field(ge=0, le=300)
    max_receive_count: int = Field(ge=1, le=1000, description="deliveries before the DLQ")


class Storage(Strict):
    """Uploads bucket lifecycle and cross-region replication options."""

    noncurrent_version_expiry_days: int = Field(ge=1)
    intelligent_tiering_after_days: int = Field(ge=0)
    abort_multipart_after_days: int = Field(ge=1)
    replication_time_control: bool = Field(description="S3 RTC: 15-minute SLA, billed")
    replication_metrics: bool


class Payments(Strict):
    max_amount: str
    currencies: tuple[str, ...] = Field(min_length=1)
    config_cache_ttl_s: int = Field(ge=1, le=3600)

    @field_validator("max_amount")
    @classmethod
    def _amount(cls, value: str) -> str:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal amount") from None
        if not amount.is_finite() or amount <= 0:
            raise ValueError(f"{value!r} must be a positive amount")
        return value

    @field_validator("currencies")
    @classmethod
    def _currencies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in ISO_CURRENCIES]
        if unknown:
            raise ValueError(f"unknown ISO 4217 currency codes: {', '.join(unknown)}")
        if len(set(value)) != len(value):
            raise ValueError("currencies contain duplicates")
        return value


class Waf(Strict):
    blocked_countries: tuple[str, ...] = Field(min_length=1)
    rate_limit_per_5min: int = Field(ge=10, le=2_000_000_000)

    @field_validator("blocked_countries")
    @classmethod
    def _countries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in ISO_COUNTRIES]
        if unknown:
            raise ValueError(f"unknown ISO 3166-1 alpha-2 country codes: {', '.join(unknown)}")
        if len(set(value)) != len(value):
            raise ValueError("blocked_countries contain duplicates")
        return tuple(sorted(value))


class Alarms(Strict):
    """Thresholds; each becomes a template parameter whose default is the region's value."""

    latency_p99_ms: int = Field(gt=0)
    alb_5xx_count: int = Field(gt=0)
    lambda_errors: int = Field(gt=0)
    lambda_throttles: int = Field(gt=0)
    lambda_duration_p99_ms: int = Field(gt=0)
    rds_cpu_percent: int = Field(gt=0, le=100)
    rds_free_storage_mb: int = Field(gt=0)
    rds_connections: int = Field(gt=0)
    rds_replica_lag_s: int = Field(gt=0)
    dynamodb_throttles: int = Field(gt=0)
    dynamodb_system_errors: int = Field(gt=0)
    dynamodb_replication_latency_ms: int = Field(gt=0)
    sqs_oldest_message_age_s: int = Field(gt=0)
    dlq_messages: int = Field(gt=0)
    # Who is told: each becomes an AWS::SNS::Subscription on the region's alarm topic. AWS keeps
    # email and HTTPS subscriptions pending until the recipient confirms (Subscribe API:
    # https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html); verify wants one confirmed.
    subscriber_emails: tuple[str, ...] = ()
    subscriber_https_endpoint: str = ""

    @field_validator("subscriber_emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [e for e in value if not EMAIL_PATTERN.fullmatch(e)]
        if bad:
            raise ValueError(f"not an email address: {', '.join(repr(e) for e in bad)}")
        if len({e.lower() for e in value}) != len(value):
            raise ValueError("contains duplicates (SNS subscribes an endpoint once per topic)")
        return value

    @field_validator("subscriber_https_endpoint")
    @classmethod
    def _https(cls, value: str) -> str:
        if value and not HTTPS_ENDPOINT_PATTERN.fullmatch(value):
            raise ValueError(f"{value!r} must be empty or an https:// URL (SNS https protocol)")
        return value

    @model_validator(mode="after")
    def _someone_is_told(self) -> Alarms:
        if not self.subscriber_emails and not self.subscriber_https_endpoint:
            raise ValueError(
                "@subscriber_emails: no subscriber: set subscriber_emails and/or "
                "subscriber_https_endpoint, or every alarm notifies nobody"
            )
        return self


class Region(Strict):
    """One region's fully merged settings (`[defaults]` overlaid with the region's table)."""

    vpc_cidr: str
    az_count: int = Field(ge=2, le=6)
    nat_gateways: int = Field(ge=1)
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731]
    certificate_arn: str = Field(pattern=r"^(|arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+)$")
    payment_api_endpoint: str = Field(pattern=r"^https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?$")
    # The region's Elastic Load Balancing account that delivers ALB access logs (regions older
    # than August 2022); empty for newer regions, which deliver as a service principal.
    alb_log_delivery_account: str = Field(default="", pattern=r"^(|\d{12})$")
    database: Database
    ecs: Ecs
    # `lambda` is a Python keyword: the TOML key stays `lambda`.
    function: Lambda = Field(alias="lambda")
    payments: Payments
    storage: Storage
    waf: Waf
    alarms: Alarms

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            net = ipaddress.IPv4Network(value, strict=True)
        except ValueError as err:
            raise ValueError(f"{value!r} is not a valid IPv4 CIDR: {err}") from None
        if not net.is_private:
            raise ValueError(f"{value} is not a private (RFC 1918) range")
        if not 16 <= net.prefixlen <= 20:
            raise ValueError(f"{value} must be a /16 to /20 (room for 3 tiers over the AZs)")
        return value

    @model_validator(mode="after")
    def _nat(self) -> Region:
        if self.nat_gateways not in (1, self.az_count):
            raise ValueError(f"@nat_gateways: must be 1 or az_count ({self.az_count})")
        return self

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.vpc_cidr)


# DynamoDB multi-Region strong consistency works inside one region set: every replica and the
# witness in the same set, three replicas or two plus a witness.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html
MRSC_REGION_SETS: tuple[frozenset[str], ...] = (
    frozenset({"us-east-1", "us-east-2", "us-west-2"}),
    frozenset({"eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1"}),
    frozenset({"ap-northeast-1", "ap-northeast-2", "ap-northeast-3"}),
)


class Recovery(Strict):
    """`[recovery]`: disaster recovery settings shared by every region (docs/configuration.md)."""

    # strong: the ledger is a multi-Region strongly consistent global table (RPO 0; a write waits
    # for a second region). eventual: a multi-Region eventually consistent global table written
    # only in the active region, with per-region audit entries and a reconciliation after failback.
    ledger_consistency: Literal["strong", "eventual"] = "strong"
    # The MRSC witness when only two regions hold replicas; unset = the third region of the set.
    witness_region: str | None = None
    hosted_zone: str = Field(default="payments.example.internal", pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
    # The clients' name is `<record_name>.<hosted_zone>`; `{suffix}` keeps environments sharing a
    # zone apart (dev, pr42, ...): a production context may set a plain "api".
    record_name: str = Field(default="api-{suffix}", pattern=r"^[a-z0-9-]*(\{suffix\})?[a-z0-9-]*$")
    health_check_path: str = Field(default="/healthz", pattern=r"^/[A-Za-z0-9._~/-]*$")
    # Route 53 allows 10 or 30 s between probes and 1-10 failures before unhealthy.
    # https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-creating-values.html
    health_check_interval_s: Literal[10, 30] = 10
    health_check_failure_threshold: int = Field(default=3, ge=1, le=10)
    # How long the payment handler trusts its cached active region (a planned failover waits it out).
    active_region_cache_s: float = Field(default=5.0, gt=0, le=60)
    # AWS Backup: daily plan in every region, each recovery point copied to the next region.
    backup_schedule: str = Field(default="cron(0 5 * * ? *)", pattern=r"^cron\(.+\)$")
    backup_retention_days: int = Field(default=35, ge=1, le=36500)

    @field_validator("witness_region")
    @classmethod
    def _witness(cls, value: str | None) -> str | None:
        return None if value in (None, "") else check_region(str(value))


class Context(Strict):
    """The whole validated context: project settings plus one `Region` per region name."""

    project: Project
    recovery: Recovery = Field(default_factory=Recovery)
    regions: dict[str, Region]

    @model_validator(mode="after")
    def _cross_region(self) -> Context:
        p = self.project.primary_region
        wanted = self.project.region_names
        missing = [r for r in wanted if r not in self.regions]
        if missing:
            raise ValueError(f"@project: no table for region(s) {', '.join(missing)}")
        extra = sorted(set(self.regions) - set(wanted))
        if extra:
            raise ValueError(
                f"@project.secondary_regions: tables for regions that are neither primary nor a "
                f"secondary: {', '.join(extra)} (add them to secondary_regions, or remove the tables)"
            )
        primary = self.regions[p]
        # Every two regions' VPCs must be disjoint: hub-and-spoke routes every secondary's range
        # in the primary VPC, mesh peers every pair (AWS refuses overlapping peered CIDRs:
        # https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-limitations).
        for i, first in enumerate(wanted):
            for second in wanted[i + 1 :]:
                a, b = self.regions[first], self.regions[second]
                if a.network.overlaps(b.network):
                    raise ValueError(
                        f"@{second}.vpc_cidr: {b.vpc_cidr} overlaps {first}.vpc_cidr {a.vpc_cidr}: "
                        "peered VPCs need disjoint ranges"
                    )
        replica = self.project.database_mode == "replica"
        for s in self.project.secondary_regions:
            secondary = self.regions[s]
            if secondary.alarms.latency_p99_ms > primary.alarms.latency_p99_ms:
                raise ValueError(
                    f"@{s}.alarms.latency_p99_ms: {secondary.alarms.latency_p99_ms} must be at most "
                    f"{p}.alarms.latency_p99_ms ({primary.alarms.latency_p99_ms}): a secondary is "
                    "never held to a looser latency than the primary"
                )
            if set(primary.waf.blocked_countries) == set(secondary.waf.blocked_countries):
                raise ValueError(
                    f"@{s}.waf.blocked_countries: must differ from {p}'s (per-region compliance)"
                )
            if replica and primary.database.engine_version != secondary.database.engine_version:
                raise ValueError(
                    f"@{s}.database.engine_version: must equal {p}'s in replica mode (read replica)"
                )
        self._ledger_region_set(wanted)
        if self.project.protected:
            for name in wanted:
                if not self.regions[name].certificate_arn:
                    raise ValueError(
                        f"@{name}.certificate_arn: a protected environment serves HTTPS only: set an ACM "
                        "certificate ARN (an HTTP-only load balancer is refused)"
                    )
        return self

    def _ledger_region_set(self, wanted: tuple[str, ...]) -> None:
        """A strongly consistent ledger needs its replicas (and witness) in one MRSC region set."""
        if self.recovery.ledger_consistency != "strong":
            return
        hint = "or set recovery.ledger_consistency = \"eventual\" (docs/configuration.md)"
        region_set = next((s for s in MRSC_REGION_SETS if set(wanted) <= s), None)
        if region_set is None:
            raise ValueError(
                f"@recovery.ledger_consistency: strong consistency needs every region in one region "
                f"set ({'; '.join(', '.join(sorted(s)) for s in MRSC_REGION_SETS)}); "
                f"{', '.join(wanted)} is not; {hint}"
            )
        if len(wanted) > 3:
            raise ValueError(
                f"@recovery.ledger_consistency: strong consistency takes at most 3 regions; {hint}"
            )
        witness = self.recovery.witness_region
        if len(wanted) == 3 and witness:
            raise ValueError("@recovery.witness_region: three regions hold replicas: remove the witness")
        if witness and (witness in wanted or witness not in region_set):
            raise ValueError(
                f"@recovery.witness_region: {witness} must be a region of {', '.join(sorted(region_set))} "
                f"that holds no replica (replicas: {', '.join(wanted)})"
            )

    @property
    def ledger_witness(self) -> str | None:
        """The MRSC witness region (strong mode with two regions), else None."""
        wanted = self.project.region_names
        if self.recovery.ledger_consistency != "strong" or len(wanted) != 2:
            return None
        if self.recovery.witness_region:
            return self.recovery.witness_region
        region_set = next(s for s in MRSC_REGION_SETS if set(wanted) <= s)
        return sorted(region_set - set(wanted))[0]

    @property
    def api_name(self) -> str:
        """The name clients resolve (no trailing dot): `<record_name>.<hosted_zone>`."""
        label = self.recovery.record_name.replace("{suffix}", self.project.suffix)
        return f"{label}.{self.recovery.hosted_zone.rstrip('.')}"

    @property
    def primary(self) -> Region:
        return self.regions[self.project.primary_region]

    @property
    def secondaries(self) -> dict[str, Region]:
        """Region name -> settings of every secondary, in the context's order."""
        return {name: self.regions[name] for name in self.project.secondary_regions}

    @property
    def names(self) -> Names:
        return Names(self.project.app, self.project.suffix)
