"""Cross-region replication of the uploads bucket (primary -> secondary), V2 rule schema.

The destination bucket and its key live in the secondary stack, which in `replica` database mode
deploys after the primary: the primary template cannot name them at create time. So this plugin
puts the replication configuration after both stacks exist, checking first that the destination
exists and is versioned (S3 accepts a configuration pointing nowhere). SSE-KMS objects replicate
only with `SourceSelectionCriteria.SseKmsEncryptedObjects` and a `ReplicaKmsKeyID` in the
destination region, and only if the role may encrypt with that key: granted here when the role's
policies do not already allow it. A CloudFormation update of the bucket can drop a configuration
set outside the template, so this runs after every deploy and `verify` compares the live rule.

`verify` keeps two promises apart: the configuration on the source bucket (read back and compared
with the desired one) and objects actually replicating. The second can only be observed on
objects, and verify writes none: it reads the `ReplicationStatus` of the newest objects and
reports HOLDS only on a COMPLETED one, BROKEN on a FAILED one, and otherwise that nothing has
replicated yet (NOT_PERFORMED: after a fresh deploy, or on a backend that never copies objects).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError
from payinfra.plugins.iam_grants import missing_actions, role_documents, role_name_from_arn
from payinfra.plugins.observations import read_bucket_note, stamped, write_bucket_note
from payinfra.topology.outputs import RegionalOutput

RULE_ID = "uploads-to-secondary-region"
GRANT_POLICY = "payinfra-replica-key"  # inline policy this plugin owns on the replication role
ENCRYPT_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"]
DECRYPT_ACTIONS = ["kms:Decrypt"]
RTC_MINUTES = 15  # the only value S3 Replication Time Control accepts
# How many of the newest objects (from the first listing page) verify asks for ReplicationStatus.
# Only objects written after the rule existed replicate, so the newest are the evidence.
OBJECT_SAMPLE = 10
REPLICATED = frozenset({"COMPLETED", "COMPLETE"})  # S3 documents both spellings
CONFIGURED_PROMISE = "replication configured as intended on the source bucket"


@dataclass(frozen=True)
class ReplicationSettings:
    """Optional S3 RTC (15-minute SLA, billed) and replication metrics (RTC implies metrics).

    From the primary region's `[storage] replication_time_control` / `replication_metrics`;
    both off when the context has no `storage` table (read with getattr until every context
    file carries the keys).
    """

    time_control: bool = False
    metrics: bool = False

    @classmethod
    def from_context(cls, pc: PluginContext) -> ReplicationSettings:
        storage = getattr(pc.config.primary, "storage", None)
        time_control = bool(getattr(storage, "replication_time_control", False))
        metrics = bool(getattr(storage, "replication_metrics", False)) or time_control
        return cls(time_control=time_control, metrics=metrics)


@dataclass(frozen=True)
class ReplicationTarget:
    source_bucket: str
    source_key_arn: str
    role_arn: str
    destination_bucket: str
    destination_bucket_arn: str
    destination_key_arn: str


def desired_configuration(target: ReplicationTarget, settings: ReplicationSettings) -> dict[str, Any]:
    destination: dict[str, Any] = {
        "Bucket": target.destination_bucket_arn,
        "EncryptionConfiguration": {"ReplicaKmsKeyID": target.destination_key_arn},
    }
    if settings.time_control:
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": RTC_MINUTES}}
    if settings.metrics:
        # S3 rejects an EventThreshold without RTC ("Metrics cannot contain an event threshold
        # when ReplicationTime is not specified or Disabled": crossplane-contrib/provider-aws#1117).
        metrics: dict[str, Any] = {"Status": "Enabled"}
        if settings.time_control:
            metrics["EventThreshold"] = {"Minutes": RTC_MINUTES}
        destination["Metrics"] = metrics
    return {
        "Role": target.role_arn,
        "Rules": [
            {
                "ID": RULE_ID,
                "Priority": 1,
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Enabled"},
                "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                "Destination": destination,
            }
        ],
    }


def normalise(configuration: dict[str, Any]) -> dict[str, Any]:
    """Rules in priority order; an empty `Filter` is the same as an empty prefix."""
    rules = []
    for original in sorted(configuration.get("Rules", []), key=lambda r: r.get("Priority", 0)):
        rule = dict(original)
        if rule.get("Filter") == {}:
            rule["Filter"] = {"Prefix": ""}
        rules.append(rule)
    return {**configuration, "Rules": rules}


def diff_paths(desired: Any, actual: Any, path: str = "") -> list[str]:
    """Dotted paths where `actual` lacks or differs from `desired` (extra list items count)."""
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return [path or "."]
        return [
            p
            for key, value in desired.items()
            for p in diff_paths(value, actual.get(key), f"{path}.{key}" if path else key)
        ]
    if isinstance(desired, list):
        if not isinstance(actual, list):
            return [path]
        found = [] if len(desired) == len(actual) else [f"{path}.length"]
        return found + [
            p
            for i, (d, a) in enumerate(zip(desired, actual, strict=False))
            for p in diff_paths(d, a, f"{path}.{i}")
        ]
    return [] if desired == actual else [path]


def recorded_paths(note: str | None) -> set[str]:
    """The field paths a recorded observation says the backend does not keep."""
    return set(note.split(" observed ")[0].split()) if note else set()


def current_configuration(s3: Any, bucket: str) -> dict[str, Any] | None:
    try:
        configuration: dict[str, Any] = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
        return configuration
    except ClientError as err:
        if error_code(err) == "ReplicationConfigurationNotFoundError":
            return None
        raise


def bucket_versioning(s3: Any, bucket: str) -> str | None:
    """'Enabled', 'Suspended', '' (never versioned), or None when the bucket does not exist."""
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as err:
        if error_code(err) in {"404", "NoSuchBucket", "NotFound"}:
            return None
        raise
    return str(s3.get_bucket_versioning(Bucket=bucket).get("Status", ""))


def grant_document(key_arn: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EncryptReplicasWithTheDestinationKey",
                "Effect": "Allow",
                "Action": ENCRYPT_ACTIONS,
                "Resource": key_arn,
            }
        ],
    }


class S3ReplicationPlugin(Plugin):
    name = "s3-replication"
    summary = "replicate the uploads bucket to the secondary region (SSE-KMS, delete markers, optional RTC)"
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    def __init__(self, settings: ReplicationSettings | None = None) -> None:
        self._settings = settings

    def settings(self, pc: PluginContext) -> ReplicationSettings:
        return self._settings or ReplicationSettings.from_context(pc)

    def target(self, pc: PluginContext) -> ReplicationTarget:
        primary, secondary = pc.deployed(pc.topology.primary), pc.deployed(pc.topology.secondary)
        return ReplicationTarget(
            source_bucket=primary.require(RegionalOutput.UPLOADS_BUCKET_NAME),
            source_key_arn=primary.require(RegionalOutput.KEY_ARN),
            role_arn=primary.require(RegionalOutput.REPLICATION_ROLE_ARN),
            destination_bucket=secondary.require(RegionalOutput.UPLOADS_BUCKET_NAME),
            destination_bucket_arn=secondary.require(RegionalOutput.UPLOADS_BUCKET_ARN),
            destination_key_arn=secondary.require(RegionalOutput.KEY_ARN),
        )

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        target = self.target(pc)
        self._check_buckets(pc, target)
        self._check_destination_key(pc, target)
        self._grant_destination_key(pc, out, target)
        self._configure(pc, out, target)

    def _check_buckets(self, pc: PluginContext, target: ReplicationTarget) -> None:
        for region, bucket, side in (
            (pc.primary_region, target.source_bucket, "source"),
            (pc.secondary_region, target.destination_bucket, "destination"),
        ):
            status = bucket_versioning(pc.client("s3", region), bucket)
            if status is None:
                raise PluginError(f"{side} bucket {bucket} does not exist in {region}")
            if status != "Enabled":
                raise PluginError(
                    f"{side} bucket {bucket} ({region}) is not versioned "
                    f"(versioning: {status or 'never enabled'}); replication needs versioning on both "
                    "buckets: UploadsBucket must set VersioningConfiguration Status Enabled"
                )

    def _check_destination_key(self, pc: PluginContext, target: ReplicationTarget) -> None:
        kms = pc.client("kms", pc.secondary_region)
        try:
            state = kms.describe_key(KeyId=target.destination_key_arn)["KeyMetadata"].get("KeyState")
        except ClientError as err:
            raise PluginError(
                f"destination key {target.destination_key_arn} cannot be described: {error_code(err)}"
            ) from None
        if state != "Enabled":
            raise PluginError(f"destination key {target.destination_key_arn} is {state}, not Enabled")

    def _grant_destination_key(
        self, pc: PluginContext, out: PluginReporter, target: ReplicationTarget
    ) -> None:
        iam = pc.client("iam", pc.primary_region)
        role = role_name_from_arn(target.role_arn)
        documents = role_documents(iam, role)
        wanted = grant_document(target.destination_key_arn)
        ours = documents.pop(GRANT_POLICY, None)
        if ours == wanted:
            out.unchanged(
                f"role {role} may encrypt with {target.destination_key_arn} (policy {GRANT_POLICY})"
            )
            return
        if not missing_actions(documents, ENCRYPT_ACTIONS, target.destination_key_arn):
            if ours is not None:
                iam.delete_role_policy(RoleName=role, PolicyName=GRANT_POLICY)
                out.changed(f"role {role}: removed {GRANT_POLICY} (the template's policies grant the key)")
            else:
                out.unchanged(f"role {role}: the template's policies grant {target.destination_key_arn}")
            return
        iam.put_role_policy(RoleName=role, PolicyName=GRANT_POLICY, PolicyDocument=json.dumps(wanted))
        verb = "updated" if ours is not None else "added"
        out.changed(
            f"role {role}: {verb} inline policy {GRANT_POLICY} ({', '.join(ENCRYPT_ACTIONS)} on "
            f"{target.destination_key_arn}): the primary template cannot know the secondary key"
        )

    def _configure(self, pc: PluginContext, out: PluginReporter, target: ReplicationTarget) -> None:
        s3 = pc.client("s3", pc.primary_region)
        desired = desired_configuration(target, self.settings(pc))
        current = current_configuration(s3, target.source_bucket)
        differences = diff_paths(desired, normalise(current)) if current else ["ReplicationConfiguration"]
        note = read_bucket_note(s3, target.source_bucket)
        not_kept = recorded_paths(note)
        if not differences:
            out.unchanged(f"{target.source_bucket}: replication to {target.destination_bucket} as intended")
            return
        if current and set(differences) <= not_kept:
            out.unchanged(
                f"{target.source_bucket}: replication rule in place; {len(differences)} field(s) not kept"
            )
            out.not_performed(
                f"{target.source_bucket}: this backend does not keep {', '.join(differences)} ({note})"
            )
            return
        s3.put_bucket_replication(Bucket=target.source_bucket, ReplicationConfiguration=desired)
        out.changed(
            f"{target.source_bucket}: put replication to {target.destination_bucket} "
            f"(key {target.destination_key_arn}; was different at: {', '.join(differences)})"
        )
        stored = current_configuration(s3, target.source_bucket)
        dropped = diff_paths(desired, normalise(stored)) if stored else ["ReplicationConfiguration"]
        if dropped:
            write_bucket_note(s3, target.source_bucket, stamped(" ".join(dropped)))
            out.not_performed(
                f"{target.source_bucket}: the backend stored the configuration without {', '.join(dropped)} "
                "(read back right after writing it; recorded on the bucket, not retried)"
            )
        elif note:
            write_bucket_note(s3, target.source_bucket, None)

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        primary = pc.existing(pc.topology.primary)
        bucket = primary.optional(RegionalOutput.UPLOADS_BUCKET_NAME) if primary else None
        role_arn = primary.optional(RegionalOutput.REPLICATION_ROLE_ARN) if primary else None
        if bucket:
            s3 = pc.client("s3", pc.primary_region)
            try:
                configured = current_configuration(s3, bucket) is not None
            except ClientError as err:
                if error_code(err) != "NoSuchBucket":
                    raise
                configured = False
            if configured:
                s3.delete_bucket_replication(Bucket=bucket)
                out.changed(f"{bucket}: removed the replication configuration")
            else:
                out.unchanged(f"{bucket}: no replication configuration")
        else:
            out.unchanged("primary stack or its uploads bucket output is gone: no replication to remove")
        if role_arn:
            self._remove_grant(pc, out, role_name_from_arn(role_arn))

    @staticmethod
    def _remove_grant(pc: PluginContext, out: PluginReporter, role: str) -> None:
        iam = pc.client("iam", pc.primary_region)
        try:
            names = [
                n
                for page in iam.get_paginator("list_role_policies").paginate(RoleName=role)
                for n in page["PolicyNames"]
            ]
        except ClientError as err:
            if error_code(err) != "NoSuchEntity":
                raise
            names = []
        if GRANT_POLICY in names:
            iam.delete_role_policy(RoleName=role, PolicyName=GRANT_POLICY)
            out.changed(f"role {role}: removed inline policy {GRANT_POLICY}")
        else:
            out.unchanged(f"role {role}: no inline policy {GRANT_POLICY}")

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        target = self.target(pc)
        checks = []
        versioning = bucket_versioning(pc.client("s3", pc.secondary_region), target.destination_bucket)
        promise = "replication destination exists and is versioned"
        if versioning == "Enabled":
            checks.append(
                Check(promise, Status.HOLDS, f"{target.destination_bucket} versioned", pc.secondary_region)
            )
        else:
            reason = f"{target.destination_bucket}: " + (
                "missing" if versioning is None else f"versioning {versioning or 'off'}"
            )
            checks.append(Check(promise, Status.BROKEN, reason, pc.secondary_region))
        s3 = pc.client("s3", pc.primary_region)
        current = current_configuration(s3, target.source_bucket)
        checks.append(self._verify_configuration(pc, target, current))
        checks.append(self._verify_objects(pc, target, configured=current is not None))
        documents = role_documents(pc.client("iam", pc.primary_region), role_name_from_arn(target.role_arn))
        missing = missing_actions(documents, ENCRYPT_ACTIONS, target.destination_key_arn) + missing_actions(
            documents, DECRYPT_ACTIONS, target.source_key_arn
        )
        promise = "replication role may decrypt (source key) and encrypt (destination key)"
        if missing:
            checks.append(
                Check(promise, Status.BROKEN, f"not granted: {', '.join(missing)}", pc.primary_region)
            )
        else:
            checks.append(Check(promise, Status.HOLDS, "granted by the role's policies", pc.primary_region))
        return checks

    def _verify_configuration(
        self, pc: PluginContext, target: ReplicationTarget, current: dict[str, Any] | None
    ) -> Check:
        promise = CONFIGURED_PROMISE
        if current is None:
            return Check(
                promise,
                Status.BROKEN,
                f"{target.source_bucket} has no replication configuration",
                pc.primary_region,
            )
        differences = diff_paths(desired_configuration(target, self.settings(pc)), normalise(current))
        if not differences:
            return Check(
                promise,
                Status.HOLDS,
                "SSE-KMS objects, delete markers, destination key as intended: "
                f"{target.source_bucket} -> {target.destination_bucket}",
                pc.primary_region,
            )
        note = read_bucket_note(pc.client("s3", pc.primary_region), target.source_bucket)
        if set(differences) <= recorded_paths(note):
            reason = f"the backend does not keep {', '.join(differences)} (recorded: {note})"
            return Check(promise, Status.NOT_PERFORMED, reason, pc.primary_region)
        return Check(promise, Status.BROKEN, f"differs at {', '.join(differences)}", pc.primary_region)

    @staticmethod
    def _verify_objects(pc: PluginContext, target: ReplicationTarget, *, configured: bool) -> Check:
        promise = f"objects replicate to {pc.secondary_region}"
        if not configured:
            reason = f"{target.source_bucket} has no replication configuration: new objects are not copied"
            return Check(promise, Status.BROKEN, reason, pc.primary_region)
        status, reason = replication_evidence(pc.client("s3", pc.primary_region), target.source_bucket)
        return Check(promise, status, reason, pc.primary_region)


def replication_evidence(s3: Any, bucket: str) -> tuple[Status, str]:
    """What the newest objects of `bucket` show about replication (read-only: no canary is written).

    FAILED on any sampled object is BROKEN (S3 tried and could not: role, key or destination);
    a COMPLETED one is HOLDS; anything else (no object, no status, PENDING) is no evidence yet.
    """
    listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
    newest = sorted(listed, key=lambda o: o["LastModified"], reverse=True)[:OBJECT_SAMPLE]
    if not newest:
        return Status.NOT_PERFORMED, (
            f"no object has replicated yet on this backend: {bucket} holds no object to observe "
            "(verify writes none)"
        )
    statuses = {
        o["Key"]: s3.head_object(Bucket=bucket, Key=o["Key"]).get("ReplicationStatus", "") for o in newest
    }
    failed = sorted(key for key, status in statuses.items() if status == "FAILED")
    if failed:
        return Status.BROKEN, f"ReplicationStatus FAILED on {len(failed)} object(s): {', '.join(failed[:3])}"
    replicated = [key for key, status in statuses.items() if status in REPLICATED]
    if replicated:
        return Status.HOLDS, (
            f"{replicated[0]} ReplicationStatus COMPLETED "
            f"({len(replicated)} of the {len(statuses)} newest objects)"
        )
    pending = sum(status == "PENDING" for status in statuses.values())
    return Status.NOT_PERFORMED, (
        f"no object has replicated yet on this backend: of the {len(statuses)} newest objects in "
        f"{bucket}, none is COMPLETED" + (f" ({pending} PENDING)" if pending else " (none has a status)")
    )
