"""ELB001: ALB access logs need an existing bucket that lets ELB write the logs, with SSE-S3 only.

ELB User Guide, "Enable access logs for your Application Load Balancer": the bucket must have a
bucket policy that grants Elastic Load Balancing s3:PutObject on
`<bucket>/<prefix>/AWSLogs/<account>/*`, as the region's Elastic Load Balancing account
(`arn:aws:iam::<elb-account>:root`, the legacy form for Regions available before August 2022) or
as the `logdelivery.elasticloadbalancing.amazonaws.com` service principal (supported in every
Region since September 2025); and the only server-side encryption supported is SSE-S3. When the
bucket is missing, the policy does not grant the write or the default encryption is SSE-KMS,
enabling the logs (ModifyLoadBalancerAttributes, or CreateLoadBalancer through CloudFormation's
`LoadBalancerAttributes`) fails with InvalidConfigurationRequest "Access Denied for bucket: <b>.
Please check S3bucket permission". moto stores the attributes whatever the bucket.

Policy evaluation is deliberately lenient (never refuse what AWS might accept): conditions are
taken as holding, `Principal: "*"` counts, and in a Region outside `ELB_ACCOUNTS` any account
principal counts. An unconditional Deny of the write to such a principal refuses.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator
from typing import Any

from localaws._moto import (
    ELBv2Backend,
    FakeBucket,
    FakeLoadBalancer,
    InvalidConfigurationRequest,
    MissingBucket,
    get_partition,
    s3_backends,
)
from localaws.patching import Patcher

ID = "ELB001"
TITLE = "ALB access logs need an existing SSE-S3 bucket whose policy lets ELB put the log objects"
DOC_URL = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html"

SERVICE_PRINCIPAL = "logdelivery.elasticloadbalancing.amazonaws.com"
ACTION = "s3:PutObject"
# Elastic Load Balancing's account per Region (legacy policy form), from DOC_URL's table for
# Regions available before August 2022. context.toml's `alb_log_delivery_account` must match.
ELB_ACCOUNTS: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
}
ENABLED, BUCKET, PREFIX = "access_logs.s3.enabled", "access_logs.s3.bucket", "access_logs.s3.prefix"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> Iterator[str]:
    principal = statement.get("Principal")
    if principal == "*":
        yield "*"
    elif isinstance(principal, dict):
        for kind in ("AWS", "Service"):
            yield from (str(p) for p in _as_list(principal.get(kind, [])))


def _is_elb(principal: str, region: str) -> bool:
    """Whether a policy principal is ELB's log delivery in `region` (`*` included)."""
    if principal in {"*", SERVICE_PRINCIPAL}:
        return True
    account = principal
    if principal.startswith("arn:"):
        parts = principal.split(":")
        if len(parts) != 6 or parts[2] != "iam" or parts[5] != "root":
            return False
        account = parts[4]
    if region not in ELB_ACCOUNTS:
        return account.isdigit() and len(account) == 12
    return account == ELB_ACCOUNTS[region]


def _matches(patterns: Any, value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), str(p).lower()) for p in _as_list(patterns))


def _covers(statement: dict[str, Any], object_arn: str, region: str) -> bool:
    if "NotAction" in statement:
        action = not _matches(statement["NotAction"], ACTION)
    else:
        action = _matches(statement.get("Action", []), ACTION)
    resource = _matches(statement.get("Resource", []), object_arn)
    return action and resource and any(_is_elb(p, region) for p in _principals(statement))


def _sse_kms(bucket: FakeBucket) -> bool:
    rules = (bucket.encryption or {}).get("Rule") or []
    for rule in _as_list(rules):
        default = (rule or {}).get("ApplyServerSideEncryptionByDefault") or {}
        if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
            return True
    return False


def problem(account_id: str, region: str, bucket_name: str, prefix: str) -> str | None:
    """Why ELB could not write `prefix`'s logs to `bucket_name`, or None when it could."""
    backend = s3_backends[account_id][get_partition(region)]
    try:
        bucket = backend.get_bucket(bucket_name)
    except MissingBucket:
        return "the bucket does not exist"
    if _sse_kms(bucket):
        return "its default encryption is SSE-KMS; access-log delivery supports only SSE-S3"
    key = "/".join(
        part for part in (prefix.strip("/"), "AWSLogs", account_id, "elasticloadbalancing") if part
    )
    object_arn = f"arn:{get_partition(region)}:s3:::{bucket_name}/{key}/{region}/log.gz"
    try:
        document = json.loads(bucket.policy.decode()) if bucket.policy else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        document = {}
    statements = [s for s in _as_list(document.get("Statement", [])) if isinstance(s, dict)]
    if any(
        s.get("Effect") == "Deny" and not s.get("Condition") and _covers(s, object_arn, region)
        for s in statements
    ):
        return (
            f"its bucket policy denies {ACTION} on {object_arn.rsplit('/', 2)[0]}/* to Elastic Load Balancing"
        )
    if not any(s.get("Effect") == "Allow" and _covers(s, object_arn, region) for s in statements):
        who = f"arn:aws:iam::{ELB_ACCOUNTS[region]}:root or " if region in ELB_ACCOUNTS else ""
        return (
            f"its bucket policy does not allow {ACTION} on {object_arn.rsplit('/', 3)[0]}/* to "
            f"{who}{SERVICE_PRINCIPAL}"
        )
    return None


def check(account_id: str, region: str, attrs: dict[str, Any]) -> None:
    """Refuse `attrs` (the balancer's attributes after the change) when ELB could not write the logs."""
    if str(attrs.get(ENABLED, "")).lower() != "true" or not attrs.get(BUCKET):
        return
    bucket = str(attrs[BUCKET])
    found = problem(account_id, region, bucket, str(attrs.get(PREFIX) or ""))
    if found:
        raise InvalidConfigurationRequest(
            f"Access Denied for bucket: {bucket}. Please check S3bucket permission ({found}) "
            f"[{ID}, {DOC_URL}]"
        )


def _modify(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def modify_load_balancer_attributes(
        self: ELBv2Backend, arn: str, attrs: dict[str, Any]
    ) -> dict[str, Any]:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and any(key.startswith("access_logs.s3.") for key in attrs):
            check(self.account_id, self.region_name, {**balancer.attrs, **attrs})
        return original(self, arn, attrs)

    return modify_load_balancer_attributes


def _cfn_create(original: Callable[..., FakeLoadBalancer]) -> Callable[..., FakeLoadBalancer]:
    """Check the template's attributes before the balancer exists (a refusal leaves none behind)."""

    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeLoadBalancer:
        raw = cloudformation_json.get("Properties", {}).get("LoadBalancerAttributes") or []
        attrs = {a["Key"]: str(a["Value"]) for a in raw if isinstance(a, dict) and "Key" in a}
        check(account_id, region_name, attrs)
        return original(resource_name, cloudformation_json, account_id, region_name, **kwargs)

    return create


def apply(patcher: Patcher) -> None:
    patcher.replace(
        ELBv2Backend, "modify_load_balancer_attributes", _modify(ELBv2Backend.modify_load_balancer_attributes)
    )
    patcher.wrap_classmethod(FakeLoadBalancer, "create_from_cloudformation_json", _cfn_create)
