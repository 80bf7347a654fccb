"""Checks before anything is changed: rendered files current, AWS reachable, stacks updatable,
and `python -m payinfra preflight`: read-only calls that find what a deploy would fail on.

The preflight (also the first step of `deploy`, unless `--skip-preflight`) asks the account, in
every region, what CloudFormation would otherwise discover halfway through a deploy: the engine
version and instance class orderable, room for the Lambda reservation, VPC/EIP/NAT/IGW/ALB/RDS
quotas against what one stack creates, KMS alias names held by keys pending deletion, bucket
names taken, stacks in a failed state. Every call is a Describe/Get/List/Head: nothing is
written. Each problem is one line (exit 2). A check the backend cannot answer (the local AWS
implements neither service-quotas for most services nor the RDS orderable catalogue for
PostgreSQL) is listed as "not performed by this backend", never counted as passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from payinfra.config import Context
from payinfra.deploy.errors import OrchestrationError
from payinfra.paths import ROOT
from payinfra.plugins.aws import RegionalSessions, endpoint_description, error_code, error_message
from payinfra.plugins.errors import PluginError
from payinfra.plugins.outputs import CloudFormationOutputs, OutputsProvider
from payinfra.plugins.traffic import ROUTE53_REGION, hosted_zones
from payinfra.render.environments import Environment, render_into
from payinfra.render.renderer import RenderError, render_all, stale_files
from payinfra.topology import PEERING_OUTPUT, Role, Stack, stacks

# States from which `sam deploy` cannot proceed.
BLOCKING_STATES = {
    "ROLLBACK_COMPLETE": "its creation never completed: delete it first (python -m payinfra destroy)",
    "ROLLBACK_FAILED": "it must be deleted first (python -m payinfra destroy)",
    "DELETE_FAILED": "a deletion failed: finish it with python -m payinfra destroy",
    "UPDATE_ROLLBACK_FAILED": "continue the rollback in the CloudFormation console or with "
    "`aws cloudformation continue-update-rollback`",
}


def environment_files(env: Environment, ctx: Context, echo: Callable[[str], None]) -> None:
    """The committed environment: its files must be current. Any other: render it fresh, say where."""
    if env.committed:
        check_rendered(ctx, env.home)
        return
    try:
        render_into(env, ctx)
    except RenderError as err:
        raise OrchestrationError(f"render error: {err}") from None
    echo(f"rendered environment {env.suffix} into {env.shown()}/")


def check_rendered(ctx: Context, root: Path = ROOT) -> None:
    """`python render.py --check` semantics: deploy exactly what is committed."""
    try:
        stale = stale_files(render_all(ctx), root)
    except RenderError as err:
        raise OrchestrationError(f"render error: {err}") from None
    if stale:
        raise OrchestrationError(
            "rendered files are stale against templates/ and the context: "
            f"{', '.join(stale)}; run `python render.py` (with the same --suffix/--set) and commit"
        )


def check_credentials(sessions: RegionalSessions, region: str) -> str:
    """The account id, or a clear error about credentials or the endpoint."""
    try:
        return str(sessions.client("sts", region).get_caller_identity()["Account"])
    except (NoCredentialsError, PartialCredentialsError):
        raise OrchestrationError(
            "no AWS credentials found (default chain: environment variables, AWS_PROFILE/~/.aws, SSO, "
            "instance or container role). Configure them (`aws configure`, `aws sso login`, or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or run against the local emulator: "
            "python -m payinfra local"
        ) from None
    except EndpointConnectionError as err:
        raise OrchestrationError(f"cannot reach AWS ({endpoint_description()}): {err}") from None
    except ClientError as err:
        code = error_code(err)
        hint = (
            " (expired or invalid credentials: refresh them)"
            if "Token" in code or "Signature" in code
            else ""
        )
        raise OrchestrationError(f"AWS rejected the credentials: {error_message(err)}{hint}") from None


def stack_state_problems(outputs: OutputsProvider, stacks: list[Stack]) -> list[str]:
    """One line per stack that `sam deploy` cannot update from its current state."""
    problems = []
    for stack in stacks:
        current = outputs.existing(stack)
        if current is None:
            continue
        if current.status in BLOCKING_STATES:
            problems.append(
                f"{stack.name} ({stack.region}) is {current.status}: {BLOCKING_STATES[current.status]}"
            )
        elif current.status.endswith("_FAILED"):
            problems.append(
                f"{stack.name} ({stack.region}) is {current.status}: fix the cause shown in its events first"
            )
        elif current.status.endswith("_IN_PROGRESS"):
            problems.append(f"{stack.name} ({stack.region}) is {current.status}: wait for it to finish")
    return problems


def two_region_peering_problems(ctx: Context, outputs: OutputsProvider) -> list[str]:
    """The peering stack of a deployment made before N regions, if it is still deployed.

    It was `{app}-peering-{suffix}`; the peering is now one stack per pair
    (`{app}-peering-{suffix}-{accepter}`). Both would hold a peering between the same two VPCs and
    the same routes in the primary's route tables, and a route table takes one route per
    destination (CreateRoute: RouteAlreadyExists):
    https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateRoute.html
    """
    primary = ctx.project.primary_region
    name = ctx.names.concrete("stack_peering_two_regions")
    old = Stack(Role.PEERING, primary, PEERING_OUTPUT, "", name, name)
    if outputs.existing(old) is None:
        return []
    return [
        f"{name} ({primary}) is the peering stack of a two-region deployment; each peering now has "
        f"its own stack and would add the same routes: delete it first "
        f"(sam delete --stack-name {name} --region {primary} --no-prompts)"
    ]


def check_stack_states(outputs: OutputsProvider, stacks: list[Stack]) -> None:
    problems = stack_state_problems(outputs, stacks)
    if problems:
        raise OrchestrationError("cannot deploy:\n  " + "\n  ".join(problems))


# -- python -m payinfra preflight ----------------------------------------------------------------

# AWS keeps this many executions unreserved per account and region: a reservation that would leave
# fewer is refused. https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
UNRESERVED_MINIMUM = 100
ENGINE = "postgres"
NOT_PERFORMED = "not performed by this backend"


@dataclass(frozen=True)
class Quota:
    """A service quota one regional stack consumes, and how to count what the account uses now.

    Codes as listed by Service Quotas (`aws service-quotas list-service-quotas --service-code X`);
    names and defaults: https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html,
    https://docs.aws.amazon.com/general/latest/gr/vpc-service.html,
    https://docs.aws.amazon.com/general/latest/gr/elb.html,
    https://docs.aws.amazon.com/general/latest/gr/rds-service.html
    """

    service_code: str
    code: str
    name: str


VPCS = Quota("vpc", "L-F678F1CE", "VPCs per Region")
INTERNET_GATEWAYS = Quota("vpc", "L-A4707A72", "Internet gateways per Region")
NAT_PER_AZ = Quota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone")
ELASTIC_IPS = Quota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs")
ALBS = Quota("elasticloadbalancing", "L-53DA6B97", "Application Load Balancers per Region")
DB_INSTANCES = Quota("rds", "L-7B6409FD", "DB instances")
LAMBDA_CONCURRENCY = Quota("lambda", "L-B99A9384", "Concurrent executions")


@dataclass
class PreflightReport:
    """What the preflight found: problems block a deploy; unchecked items are said, never passed."""

    problems: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    def could_not(self, what: str, err: BaseException) -> None:
        self.unchecked.append(f"{what}: {_why_not(err)}")


def _why_not(err: BaseException) -> str:
    """'not performed by this backend' for an unimplemented API, else the AWS error (one line).

    A backend without the API answers `NotImplemented` (HTTP 501, as AWS names a feature it does
    not implement; the local AWS answers so for any action moto lacks) or an HTML error page for
    a route it does not know at all (moto: 404): either is reported as not performed.
    """
    if isinstance(err, NotImplementedError):
        return NOT_PERFORMED
    if isinstance(err, ClientError) and error_code(err) == "NotImplemented":
        return NOT_PERFORMED
    text = error_message(err) if isinstance(err, ClientError) else (str(err) or type(err).__name__)
    lowered = text.lower()
    if "<html" in lowered:
        status = text.split(":", 1)[0].strip()
        return f"{NOT_PERFORMED} (HTTP {status}: no such API here)"
    if "not yet implemented" in lowered or "has not been implemented" in lowered:
        return NOT_PERFORMED
    return " ".join(text.split())


# -- RDS: engine version and instance class orderable ----------------------------------------------


def check_orderable(
    rds: Any, region: str, version: str, instance_class: str, report: PreflightReport
) -> None:
    """DescribeOrderableDBInstanceOptions for (postgres, version, class) in `region`.

    An empty answer for the engine as a whole means the backend has no catalogue (AWS always has
    PostgreSQL options): that is "not performed", never "not orderable".
    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html
    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBEngineVersions.html
    """
    what = f"rds ({region}): {ENGINE} {version} on {instance_class}"

    def options(**filters: str) -> list[Any]:
        answer = rds.describe_orderable_db_instance_options(Engine=ENGINE, MaxRecords=20, **filters)
        return list(answer.get("OrderableDBInstanceOptions", []))

    try:
        if options(EngineVersion=version, DBInstanceClass=instance_class):
            report.passed.append(f"{what} is orderable")
            return
        if not options():
            report.unchecked.append(f"{what}: {NOT_PERFORMED} (no orderable options at all)")
            return
        if options(EngineVersion=version):
            report.problems.append(
                f"{what}: instance class {instance_class} is not orderable with {ENGINE} {version} in "
                f"{region}; pick one from `aws rds describe-orderable-db-instance-options --engine {ENGINE} "
                f"--engine-version {version} --region {region}` (database.instance_class)"
            )
            return
        versions = rds.describe_db_engine_versions(Engine=ENGINE, EngineVersion=version).get(
            "DBEngineVersions", []
        )
        state = f" (it is {versions[0].get('Status', 'listed')})" if versions else " (unknown to RDS here)"
        report.problems.append(
            f"{what}: engine version {version} cannot be created in {region}{state}; pick one from "
            f"`aws rds describe-db-engine-versions --engine {ENGINE} --region {region}` "
            "(database.engine_version)"
        )
    except (ClientError, NotImplementedError) as err:
        report.could_not(what, err)


# -- Lambda: room for the reservation ----------------------------------------------------------------


def check_concurrency(
    lam: Any, region: str, function: str, reservation: int, report: PreflightReport
) -> None:
    """The reservation must leave >= 100 unreserved executions (GetAccountSettings).

    A redeploy re-reserves what the function already holds, so that part counts as available.
    https://docs.aws.amazon.com/lambda/latest/api/API_GetAccountSettings.html
    """
    what = f"lambda ({region}): reserved concurrency {reservation}"
    if reservation <= 0:
        report.passed.append(f"lambda ({region}): no reserved concurrency requested")
        return
    try:
        limit = lam.get_account_settings()["AccountLimit"]
        try:
            held = int(
                lam.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions", 0)
            )
        except ClientError as err:
            if error_code(err) != "ResourceNotFoundException":
                raise
            held = 0
    except (ClientError, NotImplementedError) as err:
        report.could_not(what, err)
        return
    total = int(limit["ConcurrentExecutions"])
    unreserved = int(limit.get("UnreservedConcurrentExecutions", total))
    left = unreserved + held - reservation
    if left < UNRESERVED_MINIMUM:
        report.problems.append(
            f"{what} would leave {left} unreserved executions (account quota {total}, {unreserved} "
            f"unreserved now) but AWS keeps at least {UNRESERVED_MINIMUM}: set lambda.reserved_concurrency "
            f"= 0 (no reservation) or request a higher '{LAMBDA_CONCURRENCY.name}' quota "
            f"({LAMBDA_CONCURRENCY.code}) in {region}"
        )
    else:
        report.passed.append(f"{what} leaves {left} of {total} unreserved")


# -- Service quotas --------------------------------------------------------------------------------


def quota_value(quotas: Any, quota: Quota) -> float:
    """The applied quota, else AWS's default (GetServiceQuota answers only applied values for some).

    https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html
    """
    try:
        answer = quotas.get_service_quota(ServiceCode=quota.service_code, QuotaCode=quota.code)
    except ClientError as err:
        if error_code(err) != "NoSuchResourceException":
            raise
        answer = quotas.get_aws_default_service_quota(ServiceCode=quota.service_code, QuotaCode=quota.code)
    return float(answer["Quota"]["Value"])


def _count(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


def usage_counters(sessions: RegionalSessions, region: str) -> dict[Quota, Callable[[], int]]:
    """Current usage per quota, from each service's own Describe call."""
    ec2 = sessions.client("ec2", region)

    def nat_busiest_zone() -> int:
        live = [
            g
            for g in _count(ec2, "describe_nat_gateways", "NatGateways")
            if g.get("State") in {"pending", "available"}
        ]
        if not live:
            return 0
        subnets = {s["SubnetId"]: s["AvailabilityZone"] for s in _count(ec2, "describe_subnets", "Subnets")}
        per_zone: dict[str, int] = {}
        for gateway in live:
            zone = subnets.get(gateway.get("SubnetId", ""), "?")
            per_zone[zone] = per_zone.get(zone, 0) + 1
        return max(per_zone.values())

    return {
        VPCS: lambda: len(_count(ec2, "describe_vpcs", "Vpcs")),
        INTERNET_GATEWAYS: lambda: len(_count(ec2, "describe_internet_gateways", "InternetGateways")),
        ELASTIC_IPS: lambda: len(ec2.describe_addresses().get("Addresses", [])),
        NAT_PER_AZ: nat_busiest_zone,
        ALBS: lambda: sum(
            1
            for lb in _count(sessions.client("elbv2", region), "describe_load_balancers", "LoadBalancers")
            if lb.get("Type") == "application"
        ),
        DB_INSTANCES: lambda: len(
            _count(sessions.client("rds", region), "describe_db_instances", "DBInstances")
        ),
    }


def needed_quotas(ctx: Context, region: str) -> dict[Quota, int]:
    """What one regional stack adds (per AZ for NAT: one gateway in each of its zones)."""
    settings = ctx.regions[region]
    return {
        VPCS: 1,
        INTERNET_GATEWAYS: 1,
        ELASTIC_IPS: settings.nat_gateways,
        NAT_PER_AZ: 1,
        ALBS: 1,
        DB_INSTANCES: 1,
    }


def check_quotas(
    quotas: Any,
    counters: dict[Quota, Callable[[], int]],
    needed: dict[Quota, int],
    region: str,
    report: PreflightReport,
) -> None:
    for quota, more in needed.items():
        what = f"quota ({region}): {quota.name} ({quota.service_code} {quota.code})"
        try:
            limit = quota_value(quotas, quota)
            used = counters[quota]()
        except (ClientError, NotImplementedError) as err:
            report.could_not(what, err)
            continue
        if used + more > limit:
            report.problems.append(
                f"{what}: {used} used + {more} needed > {limit:g}; free some or request an increase "
                f"(aws service-quotas request-service-quota-increase --service-code {quota.service_code} "
                f"--quota-code {quota.code} --desired-value {used + more} --region {region})"
            )
        else:
            report.passed.append(f"{what}: {used} used + {more} needed <= {limit:g}")


# -- Names the stacks create: KMS alias, buckets -------------------------------------------------------


def check_alias(kms: Any, region: str, alias: str, stack_exists: bool, report: PreflightReport) -> None:
    """An alias whose key is pending deletion keeps its name until the key is gone.

    https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
    """
    what = f"kms ({region}): {alias}"
    try:
        found = next((a for a in _count(kms, "list_aliases", "Aliases") if a.get("AliasName") == alias), None)
        if found is None:
            report.passed.append(f"{what} is free")
            return
        key = kms.describe_key(KeyId=found["TargetKeyId"])["KeyMetadata"] if found.get("TargetKeyId") else {}
    except (ClientError, NotImplementedError) as err:
        report.could_not(what, err)
        return
    if key.get("KeyState") == "PendingDeletion":
        when = key.get("DeletionDate")
        until = f" until {when:%Y-%m-%d}" if isinstance(when, datetime) else ""
        report.problems.append(
            f"{what} still names key {key.get('KeyId')}, pending deletion{until}: the alias cannot be "
            "created again meanwhile; use another project.suffix, or cancel the deletion "
            f"(aws kms cancel-key-deletion --key-id {key.get('KeyId')} --region {region}) "
            "and delete the alias"
        )
    elif not stack_exists:
        report.problems.append(
            f"{what} already exists outside the project's stack: delete it or use another project.suffix"
        )
    else:
        report.passed.append(f"{what} belongs to the deployed stack")


def check_bucket(s3: Any, region: str, bucket: str, stack_exists: bool, report: PreflightReport) -> None:
    """HeadBucket: 404 free; 403 someone else's (names are global); 200/301 exists already.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
    """
    what = f"s3 ({region}): bucket {bucket}"
    try:
        s3.head_bucket(Bucket=bucket)
        status = 200
    except ClientError as err:
        code = error_code(err)
        status = int(code) if code.isdigit() else 0
        if status not in (301, 403, 404):
            report.could_not(what, err)
            return
    except NotImplementedError as err:
        report.could_not(what, err)
        return
    if status == 404:
        report.passed.append(f"{what}: name is free")
    elif status == 403:
        report.problems.append(f"{what}: the name is taken (another account owns it, or access is denied)")
    elif not stack_exists:
        report.problems.append(
            f"{what}: already exists but the stack does not (left from an earlier deployment?): empty and "
            "delete it, or use another project.suffix"
        )
    else:
        report.passed.append(f"{what} belongs to the deployed stack")


# -- AWS Backup: advanced DynamoDB features (cross-region copies of DynamoDB recovery points) -----


def check_backup_settings(backup: Any, region: str, report: PreflightReport) -> None:
    """DescribeRegionSettings ResourceTypeManagementPreference["DynamoDB"] must be true: without
    AWS Backup's advanced DynamoDB features the plan's copy to another region fails.
    https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeRegionSettings.html
    https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html
    """
    what = f"backup ({region}): advanced DynamoDB backup features"
    try:
        settings = backup.describe_region_settings()
    except (ClientError, NotImplementedError) as err:
        report.could_not(what, err)
        return
    managed = settings.get("ResourceTypeManagementPreference") or {}
    if "DynamoDB" not in managed:
        report.unchecked.append(f"{what}: {NOT_PERFORMED} (no DynamoDB management preference answered)")
    elif managed["DynamoDB"]:
        report.passed.append(f"{what} are on")
    else:
        report.problems.append(
            f"{what} are off: DynamoDB recovery points cannot be copied to another region; turn them on "
            f"(aws backup update-region-settings --resource-type-management-preference DynamoDB=true "
            f"--region {region})"
        )


# -- All checks ------------------------------------------------------------------------------------------


def check_hosted_zone(sessions: RegionalSessions, zone: str, report: PreflightReport) -> None:
    """The global stack's records go into the context's hosted zone, found by name: exactly one
    zone must have it (CloudFormation refuses HostedZoneName otherwise; the project never creates
    the zone on AWS). Route 53's API is served from us-east-1 alone."""
    name = zone.rstrip(".") + "."
    try:
        found = hosted_zones(sessions.client("route53", ROUTE53_REGION), name)
    except (ClientError, BotoCoreError) as err:
        report.unchecked.append(f"hosted zone {name}: {_why_not(err)}")
        return
    if len(found) == 1:
        report.passed.append(f"hosted zone {name} exists ({found[0]['Id'].split('/')[-1]})")
    elif not found:
        report.problems.append(
            f"hosted zone {name} does not exist: create it in Route 53 or set recovery.hosted_zone "
            "(the global stack's records go into it)"
        )
    else:
        report.problems.append(
            f"{len(found)} hosted zones are named {name}: CloudFormation finds the global stack's zone "
            "by name and needs exactly one"
        )


def run_preflight(ctx: Context, sessions: RegionalSessions, account: str) -> PreflightReport:
    """Every check, in every region; read-only."""
    report = PreflightReport()
    outputs = CloudFormationOutputs(sessions)
    all_stacks = stacks(ctx)
    try:
        report.problems.extend(stack_state_problems(outputs, all_stacks))
    except PluginError as err:
        report.unchecked.append(f"stack states: {err}")
    names = ctx.names
    try:
        report.problems.extend(two_region_peering_problems(ctx, outputs))
    except PluginError as err:
        report.unchecked.append(f"peering stack of a two-region deployment: {err}")
    check_hosted_zone(sessions, ctx.recovery.hosted_zone, report)
    for stack in all_stacks:
        if stack.role in (Role.PEERING, Role.GLOBAL):  # regional resources only
            continue
        region = stack.region
        settings = ctx.regions[region]
        try:
            exists = outputs.existing(stack) is not None
        except PluginError:
            exists = False
        check_orderable(
            sessions.client("rds", region),
            region,
            settings.database.engine_version,
            settings.database.instance_class,
            report,
        )
        check_concurrency(
            sessions.client("lambda", region),
            region,
            names.concrete("function"),
            settings.function.reserved_concurrency,
            report,
        )
        if exists:
            report.passed.append(
                f"quotas ({region}): {stack.name} exists, an update adds no VPC/EIP/NAT/ALB/DB"
            )
        else:
            check_quotas(
                sessions.client("service-quotas", region),
                usage_counters(sessions, region),
                needed_quotas(ctx, region),
                region,
                report,
            )
        check_alias(sessions.client("kms", region), region, names.concrete("kms_alias"), exists, report)
        check_backup_settings(sessions.client("backup", region), region, report)
        s3 = sessions.client("s3", region)
        for key in ("uploads_bucket", "alb_logs_bucket"):
            check_bucket(s3, region, names.concrete(key, region=region, account=account), exists, report)
    return report


def preflight(ctx: Context, sessions: RegionalSessions, echo: Callable[[str], None]) -> PreflightReport:
    """`python -m payinfra preflight`: print what holds and what could not be checked; raise on problems."""
    account = check_credentials(sessions, ctx.project.primary_region)
    echo(f"preflight: account {account}, {endpoint_description()} (read-only)")
    report = run_preflight(ctx, sessions, account)
    for line in report.passed:
        echo(f"  ok           {line}")
    for line in report.unchecked:
        echo(f"  not checked  {line}")
    if report.problems:
        raise OrchestrationError(
            f"preflight found {len(report.problems)} problem(s); nothing was created or changed:\n  "
            + "\n  ".join(report.problems)
        )
    echo(
        f"preflight: {len(report.passed)} check(s) passed, {len(report.unchecked)} not checked, "
        "no problem found"
    )
    return report
