"""S3003: a replication configuration's rules follow one schema; several destinations need V2.

S3 reads a rule with a `Filter` as the V2 schema and one without (a rule-level `Prefix`) as V1:
- a V2 rule must carry `DeleteMarkerReplication` (API Reference, ReplicationRule: "If you specify
  a Filter in your replication configuration, you must also include a DeleteMarkerReplication
  element"), and a V1 rule may not (S3 refuses it: "DeleteMarkerReplication cannot be used for
  this version of Cross Region Replication configuration schema");
- only V2 replicates to more than one destination bucket: a configuration with a V1 rule names
  one destination bucket at most ("Number of distinct destination bucket ARNs cannot exceed 1");
- rules are told apart by `Priority` (the User Guide's replication configuration elements), so
  the V2 rules of one configuration carry distinct priorities (a missing one counts as 0).
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html
moto 5.2.5 accepts all of these (and gives every rule without a Priority the number 1), so a
configuration S3 refuses would be stored here. The two DeleteMarkerReplication messages and the
destination count message are S3's as its clients report them; the priority one is ours.
Each refusal is S3's `InvalidRequest`, raised in the backend, so the API and CloudFormation's
bucket model both see it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import S3Backend
from localaws.aws_errors import InvalidRequest
from localaws.patching import Patcher

ID = "S3003"
TITLE = "S3 replication rules: V2 needs DeleteMarkerReplication and distinct priorities; V1 one destination"
DOC_URL = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html"
V2_NEEDS_DELETE_MARKERS = (
    "DeleteMarkerReplication must be specified for this version of Cross Region Replication "
    "configuration schema. Please refer to S3 Developer Guide for more information."
)
V1_REFUSES_DELETE_MARKERS = (
    "DeleteMarkerReplication cannot be used for this version of Cross Region Replication "
    "configuration schema. Please refer to S3 Developer Guide for more information."
)
V1_ONE_DESTINATION = "Number of distinct destination bucket ARNs cannot exceed 1"


def rules_of(replication: dict[str, Any]) -> list[dict[str, Any]]:
    """The rules of moto's stored form (xmltodict: one rule is a dict, several a list)."""
    rules = replication.get("Rule") or []
    return [r for r in (rules if isinstance(rules, list) else [rules]) if isinstance(r, dict)]


def problem(replication: dict[str, Any]) -> str | None:
    """S3's refusal for the configuration's rules, or None when S3 accepts them."""
    rules = rules_of(replication)
    v2 = [r for r in rules if "Filter" in r]
    v1 = [r for r in rules if "Filter" not in r]
    if any("DeleteMarkerReplication" not in r for r in v2):
        return V2_NEEDS_DELETE_MARKERS
    if any("DeleteMarkerReplication" in r for r in v1):
        return V1_REFUSES_DELETE_MARKERS
    destinations = {str((r.get("Destination") or {}).get("Bucket", "")) for r in rules}
    if v1 and len(destinations) > 1:
        return V1_ONE_DESTINATION
    seen: dict[int, str] = {}
    for rule in v2:
        priority = int(rule.get("Priority") or 0)
        if priority in seen:
            return (
                f"Priority {priority} is used by rules {seen[priority]!r} and {rule.get('ID', '')!r}: "
                "each rule of a replication configuration needs its own priority"
            )
        seen[priority] = str(rule.get("ID", ""))
    return None


def _put(original: Callable[..., None]) -> Callable[..., None]:
    def put_bucket_replication(self: S3Backend, bucket_name: str, replication: dict[str, Any]) -> None:
        found = problem(replication)
        if found:
            raise InvalidRequest(f"{found} [{ID}, {DOC_URL}]")
        original(self, bucket_name, replication)

    return put_bucket_replication


def apply(patcher: Patcher) -> None:
    patcher.replace(S3Backend, "put_bucket_replication", _put(S3Backend.put_bucket_replication))
