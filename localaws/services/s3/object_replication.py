"""S3 replication that copies objects: PENDING on the source, a REPLICA in the destination.

moto 5.2.5 stores a bucket's replication configuration and does nothing with it: no object is
ever copied and no object carries a replication status, so a drill could not show what a lost
region's uploads bucket had already handed to its standby. Here every PutObject, CopyObject and
CompleteMultipartUpload into a bucket with replication rules is matched against them, and the
object version is copied to each matching rule's destination bucket after the modelled lag
(the DynamoDB global-table lag, `global_tables.STATE.lag`, on `CLOCK`), delivered before the next
S3 request is served. What AWS documents, and this does:

- A rule applies when it is Enabled and its filter matches: V1 `Prefix`, or V2 `Filter` with
  `Prefix`, `Tag` or `And` (prefix and every tag). Where several rules name one destination, the
  highest `Priority` decides.
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
- The source version shows `x-amz-replication-status` PENDING, then COMPLETED once every
  destination has its copy (FAILED if a destination bucket is gone or unversioned); the copy
  shows REPLICA (GetObject and HeadObject). An unavailable region is a transient failure: the
  status stays PENDING and the copy is made once it is restored (`FAULTS.reachable`).
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
- The copy has the same key, body, metadata and tags, the destination's `StorageClass` when the
  rule sets one. SSE-KMS objects replicate only when `SourceSelectionCriteria.SseKmsEncryptedObjects`
  is Enabled, re-encrypted with the rule's `ReplicaKmsKeyID`; other objects keep their encryption.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_SseKmsEncryptedObjects.html
- A replica is not replicated again (the copy is written past the request layer, so a rule on the
  destination bucket never sees it), and a version deleted by ID is deleted only in the source.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html
- A delete marker (DeleteObject without a version ID) replicates under a V1 rule, and under a V2
  rule only with `DeleteMarkerReplication` Enabled and no tag in its filter.
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteMarkerReplication.html

Assumed (not found stated in the docs): the replica keeps the source's version ID. Not emulated:
the replication role's and keys' permissions (never FAILED for them), RTC timing, replica
modification sync, DeleteObjects (the batch call) and existing objects (Batch Replication).
The queue is process-wide like moto's state; moto's reset (`LocalAws.reset`) clears it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from localaws._moto import S3Backend, S3Response, get_partition, s3_backends
from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.patching import Patcher
from localaws.services.dynamodb import global_tables
from localaws.services.s3.replication import stored_configuration

STATUS_HEADER = "x-amz-replication-status"
# Set on moto's key objects: per destination bucket the source version's status, or REPLICA.
_TARGETS = "_localaws_replication_targets"
_REPLICA = "_localaws_replica"
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


@dataclass(frozen=True)
class Target:
    """Where one rule sends a matching object, and how the copy is written."""

    bucket: str
    storage_class: str | None
    replica_kms_key: str | None


@dataclass(frozen=True)
class Delivery:
    """One copy (or delete marker) to make in `target.bucket` once due and reachable."""

    due: float
    seq: int
    account: str
    partition: str
    source_bucket: str
    key: str
    version_id: str
    target: Target
    delete_marker: bool = False


# -- which rules apply (pure: the API form of the configuration) ------------------------------
def _enabled(element: dict[str, Any] | None) -> bool:
    return bool(element) and (element or {}).get("Status") == "Enabled"


def _filter_parts(rule: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The rule's key prefix and required tags (V1: top-level Prefix; V2: Filter)."""
    if "Filter" not in rule:
        return rule.get("Prefix", ""), {}
    found = rule["Filter"] or {}
    both = found.get("And") or {}
    tags = [found["Tag"]] if found.get("Tag") else list(both.get("Tags", []))
    prefix = found.get("Prefix", both.get("Prefix", ""))
    return prefix or "", {tag["Key"]: tag["Value"] for tag in tags}


def rule_matches(rule: dict[str, Any], key: str, tags: dict[str, str]) -> bool:
    """Whether an Enabled `rule` selects an object `key` with `tags`."""
    if rule.get("Status") != "Enabled":
        return False
    prefix, wanted = _filter_parts(rule)
    return key.startswith(prefix) and all(tags.get(k) == v for k, v in wanted.items())


def replicates_delete_markers(rule: dict[str, Any]) -> bool:
    """V1 rules replicate delete markers; V2 only when enabled, and never for tag-based rules."""
    if "Filter" not in rule:
        return True
    _, tags = _filter_parts(rule)
    return not tags and _enabled(rule.get("DeleteMarkerReplication"))


def _bucket_name(arn: str) -> str:
    return arn.split(":::", 1)[-1]


def _target(rule: dict[str, Any]) -> Target:
    destination = rule["Destination"]
    encryption = destination.get("EncryptionConfiguration") or {}
    return Target(
        bucket=_bucket_name(destination["Bucket"]),
        storage_class=destination.get("StorageClass"),
        replica_kms_key=encryption.get("ReplicaKmsKeyID"),
    )


def select_targets(
    rules: Iterable[dict[str, Any]],
    key: str,
    tags: dict[str, str],
    *,
    kms: bool = False,
    delete_marker: bool = False,
) -> list[Target]:
    """Per destination bucket, the highest-priority matching rule's target, if that rule takes the
    object (an SSE-KMS object needs SseKmsEncryptedObjects; a delete marker needs the rule to
    replicate delete markers)."""
    winners: dict[str, dict[str, Any]] = {}
    for rule in rules:
        if not rule_matches(rule, key, tags):
            continue
        bucket = _target(rule).bucket
        if bucket not in winners or rule.get("Priority", 0) > winners[bucket].get("Priority", 0):
            winners[bucket] = rule
    chosen = []
    for rule in winners.values():
        if delete_marker and not replicates_delete_markers(rule):
            continue
        criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects")
        if not delete_marker and kms and not _enabled(criteria):
            continue
        chosen.append(_target(rule))
    return chosen


# -- status on moto's keys --------------------------------------------------------------------
def replication_status(key: Any) -> str | None:
    """What S3 shows in x-amz-replication-status for this moto key (None: not eligible)."""
    if getattr(key, _REPLICA, False):
        return "REPLICA"
    targets: dict[str, str] = getattr(key, _TARGETS, None) or {}
    if not targets:
        return None
    statuses = set(targets.values())
    for status in ("FAILED", "PENDING"):
        if status in statuses:
            return status
    return "COMPLETED"


def _set_target_status(key: Any, bucket: str, status: str) -> None:
    targets: dict[str, str] = getattr(key, _TARGETS, None) or {}
    targets[bucket] = status
    setattr(key, _TARGETS, targets)


# -- the queue --------------------------------------------------------------------------------
class ObjectReplication:
    """Deliveries not yet made, in order; made when due and both regions reach each other."""

    def __init__(self) -> None:
        self.pending: list[Delivery] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()

    def reset(self) -> None:
        with self._lock:
            self.pending = []

    def enqueue(
        self,
        backend: Any,
        bucket: str,
        key: str,
        version_id: str,
        targets: list[Target],
        *,
        delete_marker: bool,
    ) -> None:
        due = CLOCK.now() + global_tables.STATE.lag
        with self._lock:
            for target in targets:
                self.pending.append(
                    Delivery(
                        due=due,
                        seq=next(self._seq),
                        account=backend.account_id,
                        partition=get_partition(backend.region_name),
                        source_bucket=bucket,
                        key=key,
                        version_id=version_id,
                        target=target,
                        delete_marker=delete_marker,
                    )
                )

    def deliver(self, *, due_only: bool = True) -> int:
        """Make every delivery that is due (or every one, `due_only=False`) and reachable; return
        how many were made. Held ones stay queued in order."""
        now = CLOCK.now()
        made = 0
        with self._lock:
            kept: list[Delivery] = []
            for delivery in self.pending:
                if due_only and delivery.due > now:
                    kept.append(delivery)
                    continue
                outcome = _deliver(delivery)
                if outcome == "held":
                    kept.append(delivery)
                made += outcome == "made"
            self.pending = kept
        return made


STATE = ObjectReplication()


def deliver_due() -> int:
    return STATE.deliver()


def flush_object_replication() -> int:
    """Make every queued copy whose regions reach each other, due or not (skips the lag)."""
    return STATE.deliver(due_only=False)


def _deliver(delivery: Delivery) -> str:
    """'made', 'held' (a region cannot reach the other: stays PENDING) or 'dropped'."""
    backend = s3_backends[delivery.account][delivery.partition]
    source_bucket = backend.buckets.get(delivery.source_bucket)
    if source_bucket is None:
        return "dropped"
    destination = backend.buckets.get(delivery.target.bucket)
    if destination is not None and not FAULTS.reachable(source_bucket.region_name, destination.region_name):
        return "held"
    usable = destination is not None and destination.is_versioned
    if delivery.delete_marker:
        if usable:
            backend.delete_object(delivery.target.bucket, delivery.key)
        return "made" if usable else "dropped"
    source = backend.get_object(delivery.source_bucket, delivery.key, version_id=delivery.version_id)
    if source is None:
        return "dropped"  # that version was deleted before it could replicate
    if usable:
        _copy(backend, source, delivery.target)
    _set_target_status(source, delivery.target.bucket, "COMPLETED" if usable else "FAILED")
    return "made" if usable else "dropped"


def _copy(backend: Any, source: Any, target: Target) -> None:
    kms = source.encryption in KMS_ALGORITHMS
    replica = backend.put_object(
        target.bucket,
        source.name,
        source.value,
        storage=target.storage_class or source.storage_class,
        etag=source.etag.strip('"'),  # moto quotes the ETag it shows, not the one it keeps
        encryption=source.encryption,
        kms_key_id=target.replica_kms_key if kms else None,
        bucket_key_enabled=source.bucket_key_enabled,
    )
    replica.set_metadata(dict(source.metadata))
    replica._version_id = source.version_id  # assumed: replicas keep the version ID (see module doc)
    setattr(replica, _REPLICA, True)
    tags = backend.get_object_tagging(source).get("Tags", [])
    if tags:
        backend.put_object_tagging(replica, {tag["Key"]: tag["Value"] for tag in tags})


# -- the request layer ------------------------------------------------------------------------
def _rules(backend: Any, bucket_name: str) -> list[dict[str, Any]]:
    bucket = backend.buckets.get(bucket_name)
    stored = getattr(bucket, "replication", None) if bucket is not None else None
    if not stored:
        return []
    rules: list[dict[str, Any]] = stored_configuration(stored).get("Rules", [])
    return rules


def object_written(backend: Any, bucket_name: str, key_name: str) -> None:
    """Queue the newest version of `key_name` for each destination whose rule takes it."""
    rules = _rules(backend, bucket_name)
    key = backend.get_object(bucket_name, key_name) if rules else None
    if key is None:
        return
    tags = {tag["Key"]: tag["Value"] for tag in backend.get_object_tagging(key).get("Tags", [])}
    targets = select_targets(rules, key_name, tags, kms=key.encryption in KMS_ALGORITHMS)
    if not targets:
        return
    for target in targets:
        _set_target_status(key, target.bucket, "PENDING")
    STATE.enqueue(backend, bucket_name, key_name, key.version_id, targets, delete_marker=False)


def delete_marker_written(backend: Any, bucket_name: str, key_name: str, version_id: str) -> None:
    targets = select_targets(_rules(backend, bucket_name), key_name, {}, delete_marker=True)
    if targets:
        STATE.enqueue(backend, bucket_name, key_name, version_id, targets, delete_marker=True)


Response = tuple[int, dict[str, Any], Any]


def _after_write(original: Callable[..., Any]) -> Callable[..., Any]:
    def write(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        response = original(self, *args, **kwargs)
        if isinstance(response, tuple) and response[0] == 200:
            object_written(self.backend, self.bucket_name, self.parse_key_name())
        return response

    return write


def _after_complete(original: Callable[..., Response]) -> Callable[..., Response]:
    def key_response_post(  # noqa: PLR0917 - moto's _key_response_post signature
        self: S3Response, request: Any, body: bytes, bucket_name: str, query: dict[str, Any], key_name: str
    ) -> Response:
        response = original(self, request, body, bucket_name, query, key_name)
        if query.get("uploadId") and response[0] == 200:  # CompleteMultipartUpload
            object_written(self.backend, bucket_name, key_name)
        return response

    return key_response_post


def _after_delete(original: Callable[..., Response]) -> Callable[..., Response]:
    def delete_object(self: S3Response) -> Response:
        response = original(self)
        headers = response[1]
        if headers.get("x-amz-delete-marker") == "true" and not self._get_param("versionId"):
            delete_marker_written(
                self.backend, self.bucket_name, self.parse_key_name(), headers["x-amz-version-id"]
            )
        return response

    return delete_object


def _status_header(
    backend: Any, bucket: str, key_name: str, response: Response, version: str | None = None
) -> Response:
    """Add x-amz-replication-status for the version served (the one asked for, else the newest)."""
    status, headers, _ = response
    if status in (200, 206, 304):
        version = version or headers.get("x-amz-version-id")
        key = backend.get_object(bucket, key_name, version_id=version)
        shown = replication_status(key) if key is not None else None
        if shown:
            headers[STATUS_HEADER] = shown
    return response


def _with_status_on_get(original: Callable[..., Response]) -> Callable[..., Response]:
    def get_object(self: S3Response) -> Response:
        version = self._get_param("versionId")
        return _status_header(self.backend, self.bucket_name, self.parse_key_name(), original(self), version)

    return get_object


def _with_status_on_head(original: Callable[..., Response]) -> Callable[..., Response]:
    def head_object(
        self: S3Response, bucket_name: str, query: dict[str, Any], key_name: str, headers: dict[str, Any]
    ) -> Response:
        response = original(self, bucket_name, query, key_name, headers)
        return _status_header(
            self.backend, bucket_name, key_name, response, query.get("versionId", [None])[0]
        )

    return head_object


def _delivering_first(original: Callable[..., Any]) -> Callable[..., Any]:
    def respond(self: S3Response, *args: Any, **kwargs: Any) -> Any:
        deliver_due()
        return original(self, *args, **kwargs)

    return respond


def _reset_too(original: Callable[[S3Backend], None]) -> Callable[[S3Backend], None]:
    def reset(self: S3Backend) -> None:
        STATE.reset()
        original(self)

    return reset


def apply(patcher: Patcher) -> None:
    for name in ("put_object", "copy_object"):
        patcher.replace(S3Response, name, _after_write(getattr(S3Response, name)))
    patcher.replace(S3Response, "_key_response_post", _after_complete(S3Response._key_response_post))
    patcher.replace(S3Response, "delete_object", _after_delete(S3Response.delete_object))
    patcher.replace(S3Response, "get_object", _with_status_on_get(S3Response.get_object))
    patcher.replace(S3Response, "head_object", _with_status_on_head(S3Response.head_object))
    for name in ("bucket_response", "key_response"):
        patcher.replace(S3Response, name, _delivering_first(getattr(S3Response, name)))
    patcher.replace(S3Backend, "reset", _reset_too(S3Backend.reset))
