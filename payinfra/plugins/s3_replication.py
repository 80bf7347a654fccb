"""Cross-region replication of the uploads bucket (primary -> every secondary), V2 rule schema.

The destination buckets and their keys live in the secondary stacks, which in `replica` database
mode deploy after the primary: the primary template cannot name them at create time. So this
plugin puts the replication configuration after the stacks exist, checking first that each
destination exists and is versioned (S3 accepts a configuration pointing nowhere). SSE-KMS objects
replicate only with `SourceSelectionCriteria.SseKmsEncryptedObjects` and a `ReplicaKmsKeyID` in
the destination region, and only if the role may encrypt with that key: granted here when the
role's policies do not already allow it. A CloudFormation update of the bucket can drop a
configuration set outside the template, so this runs after every deploy and `verify` compares the
live rules.

One rule per destination (`uploads-to-<region>`), each with that destination's key. A
configuration with several rules must use the V2 schema in every rule (`Filter`, and with it
`DeleteMarkerReplication`), and each rule needs its own `Priority`:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicationRule.html
The configuration converges to the topology: PutBucketReplication replaces the whole document, so
a rule to a region no longer listed goes with the next put, and a rule that stays keeps its
priority (a new one takes the lowest free number).

`verify` keeps two promises apart: the configuration on the source bucket (read back and compared
with the desired one) and objects actually replicating. The second can only be observed on
objects: it first reads the `ReplicationStatus` of the newest objects (HOLDS on a COMPLETED one,
BROKEN on a FAILED one). When they prove nothing (a fresh deploy), it writes one probe object,
waits up to PROBE_WAIT_S for its status and looks for the copy (ReplicationStatus REPLICA, same
ETag) in each destination, then deletes the probe version in both (a delete by version ID is not
replicated). A backend that sets no status on the probe does not replicate: NOT_PERFORMED, never
HOLDS. https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError
from payinfra.plugins.iam_grants import missing_actions, role_documents, role_name_from_arn
from payinfra.plugins.observations import read_bucket_note, stamped, write_bucket_note
from payinfra.topology import Relation
from payinfra.topology.outputs import RegionalOutput

RULE_PREFIX = "uploads-to-"  # + the destination region: one rule per destination
GRANT_POLICY = "payinfra-replica-key"  # inline policy this plugin owns on the replication role
ENCRYPT_ACTIONS = ["kms:Encrypt", "kms:GenerateDataKey"]
DECRYPT_ACTIONS = ["kms:Decrypt"]
RTC_MINUTES = 15  # the only value S3 Replication Time Control accepts
# How many of the newest objects (from the first listing page) verify asks for ReplicationStatus.
# Only objects written after the rule existed replicate, so the newest are the evidence.
OBJECT_SAMPLE = 10
REPLICATED = frozenset({"COMPLETED", "COMPLETE"})  # S3 documents both spellings
CONFIGURED_PROMISE = "replication configured as intended on the source bucket"
# The probe verify writes when no object proves anything yet; the rules' filter is the empty
# prefix, so it is eligible. S3 replicates most objects within 15 minutes (the RTC SLA, when
# enabled); verify waits a short while and reports a probe still PENDING as not observed.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html
PROBE_PREFIX = "payinfra-verify/replication-probe-"
PROBE_WAIT_S = 20.0
PROBE_POLL_S = 0.5


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


def rule_id(region: str) -> str:
    return f"{RULE_PREFIX}{region}"


@dataclass(frozen=True)
class Destination:
    """One secondary region's uploads bucket and the key its replicas are encrypted with."""

    region: str
    label: str  # the pair, `primary -> region`
    bucket: str
    bucket_arn: str
    key_arn: str

    @property
    def rule_id(self) -> str:
        return rule_id(self.region)


@dataclass(frozen=True)
class ReplicationTarget:
    source_region: str
    source_bucket: str
    source_key_arn: str
    role_arn: str
    destinations: tuple[Destination, ...]


def priorities(rule_ids: list[str], current: dict[str, Any] | None) -> dict[str, int]:
    """Rule ID -> Priority: a rule already in place keeps its number, a new one takes the lowest
    number no kept rule uses (priorities must be unique among the rules)."""
    existing = {r.get("ID"): r.get("Priority") for r in (current or {}).get("Rules", [])}
    kept = {i: int(existing[i]) for i in rule_ids if isinstance(existing.get(i), int)}
    if len(set(kept.values())) != len(kept):  # duplicated live numbers: renumber everything
        kept = {}
    numbers: dict[str, int] = dict(kept)
    free = (n for n in range(1, len(rule_ids) + len(kept) + 2) if n not in kept.values())
    for i in rule_ids:
        if i not in numbers:
            numbers[i] = next(free)
    return numbers


def desired_rule(destination: Destination, priority: int, settings: ReplicationSettings) -> dict[str, Any]:
    target: dict[str, Any] = {
        "Bucket": destination.bucket_arn,
        "EncryptionConfiguration": {"ReplicaKmsKeyID": destination.key_arn},
    }
    if settings.time_control:
        target["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": RTC_MINUTES}}
    if settings.metrics:
        # S3 rejects an EventThreshold without RTC ("Metrics cannot contain an event threshold
        # when ReplicationTime is not specified or Disabled": crossplane-contrib/provider-aws#1117).
        metrics: dict[str, Any] = {"Status": "Enabled"}
        if settings.time_control:
            metrics["EventThreshold"] = {"Minutes": RTC_MINUTES}
        target["Metrics"] = metrics
    return {
        "ID": destination.rule_id,
        "Priority": priority,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
        "Destination": target,
    }


def desired_configuration(
    target: ReplicationTarget, settings: ReplicationSettings, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One rule per destination, in priority order (`current`: the live configuration, whose
    rules keep their priorities)."""
    numbers = priorities([d.rule_id for d in target.destinations], current)
    rules = [desired_rule(d, numbers[d.rule_id], settings) for d in target.destinations]
    return {"Role": target.role_arn, "Rules": sorted(rules, key=lambda r: r["Priority"])}


def normalise(configuration: dict[str, Any]) -> dict[str, Any]:
    """Rules in priority order; an empty `Filter` is the same as an empty prefix."""
    rules = []
    for original in sorted(configuration.get("Rules", []), key=lambda r: r.get("Priority", 0)):
        rule = dict(original)
        if rule.get("Filter") == {}:
            rule["Filter"] = {"Prefix": ""}
        rules.append(rule)
    return {**configuration, "Rules": rules}


def differences(desired: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Where `current` differs from `desired`, each rule compared with the rule of its ID:
    `Role`, `Rules.<ID>.<field path>`, `Rules.<ID>` (missing) or `Rules.<ID>: not wanted`."""
    current = normalise(current)
    found = diff_paths(desired.get("Role"), current.get("Role"), "Role")
    live = {r.get("ID"): r for r in current.get("Rules", [])}
    for rule in desired["Rules"]:
        where = f"Rules.{rule['ID']}"
        found += [where] if rule["ID"] not in live else diff_paths(rule, live[rule["ID"]], where)
    wanted = {r["ID"] for r in desired["Rules"]}
    found += [f"Rules.{i}: not wanted" for i in live if i not in wanted]
    return found


def rule_field(path: str) -> str:
    """`Rules.<ID>.Filter.Prefix` -> `Filter.Prefix`: what a backend keeps or drops is the same
    for every rule, so observations are recorded per field, not per rule."""
    if not path.startswith("Rules."):
        return path
    _, _, rest = path.removeprefix("Rules.").partition(".")
    return rest or path


def not_kept(paths: list[str], recorded: set[str]) -> bool:
    """Whether every difference is a field the backend was seen dropping (never a missing rule)."""
    return bool(paths) and all(rule_field(p) in recorded for p in paths)


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


def grant_document(key_arns: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EncryptReplicasWithTheDestinationKey",
                "Effect": "Allow",
                "Action": ENCRYPT_ACTIONS,
                "Resource": key_arns[0] if len(key_arns) == 1 else key_arns,
            }
        ],
    }


def remove_grant(iam: Any, role: str, out: PluginReporter) -> None:
    """Delete this plugin's inline policy from the replication role, if it is there."""
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


def remove_rules(s3: Any, bucket: str, regions: set[str], out: PluginReporter) -> None:
    """Drop the rules replicating `bucket` to `regions` (the rest stays as it is); with no rule
    left, the whole configuration goes. Used to retire a region before its stack is deleted."""
    try:
        current = current_configuration(s3, bucket)
    except ClientError as err:
        if error_code(err) != "NoSuchBucket":
            raise
        current = None
    gone = {rule_id(r) for r in regions}
    rules = [r for r in (current or {}).get("Rules", []) if r.get("ID") not in gone]
    if current is None or len(rules) == len(current.get("Rules", [])):
        out.unchanged(f"{bucket}: no replication rule to {', '.join(sorted(regions))}")
        return
    if rules:
        s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={**current, "Rules": rules})
    else:
        s3.delete_bucket_replication(Bucket=bucket)
    out.changed(f"{bucket}: removed the replication rule(s) to {', '.join(sorted(regions))}")


class S3ReplicationPlugin(Plugin):
    name = "s3-replication"
    summary = (
        "replicate the uploads bucket to every secondary region, one rule per destination with its "
        "key (SSE-KMS, delete markers, optional RTC); rules to regions no longer listed are removed"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    def __init__(self, settings: ReplicationSettings | None = None) -> None:
        self._settings = settings

    def settings(self, pc: PluginContext) -> ReplicationSettings:
        return self._settings or ReplicationSettings.from_context(pc)

    def target(self, pc: PluginContext) -> ReplicationTarget:
        primary = pc.deployed(pc.topology.primary)
        destinations = []
        for pair in pc.topology.pairs_of(Relation.REPLICATE):
            outputs = pc.deployed(pair.target)
            destinations.append(
                Destination(
                    region=pair.target.name,
                    label=pair.label,
                    bucket=outputs.require(RegionalOutput.UPLOADS_BUCKET_NAME),
                    bucket_arn=outputs.require(RegionalOutput.UPLOADS_BUCKET_ARN),
                    key_arn=outputs.require(RegionalOutput.KEY_ARN),
                )
            )
        return ReplicationTarget(
            source_region=pc.topology.primary.name,
            source_bucket=primary.require(RegionalOutput.UPLOADS_BUCKET_NAME),
            source_key_arn=primary.require(RegionalOutput.KEY_ARN),
            role_arn=primary.require(RegionalOutput.REPLICATION_ROLE_ARN),
            destinations=tuple(destinations),
        )

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        target = self.target(pc)
        self._check_buckets(pc, target)
        for destination in target.destinations:
            self._check_destination_key(pc, destination)
        self._grant_destination_keys(pc, out, target)
        self._configure(pc, out, target)

    @staticmethod
    def _check_buckets(pc: PluginContext, target: ReplicationTarget) -> None:
        buckets = [(target.source_region, target.source_bucket, "source")] + [
            (d.region, d.bucket, "destination") for d in target.destinations
        ]
        for region, bucket, side in buckets:
            status = bucket_versioning(pc.client("s3", region), bucket)
            if status is None:
                raise PluginError(f"{side} bucket {bucket} does not exist in {region}")
            if status != "Enabled":
                raise PluginError(
                    f"{side} bucket {bucket} ({region}) is not versioned "
                    f"(versioning: {status or 'never enabled'}); replication needs versioning on both "
                    "buckets: UploadsBucket must set VersioningConfiguration Status Enabled"
                )

    @staticmethod
    def _check_destination_key(pc: PluginContext, destination: Destination) -> None:
        kms = pc.client("kms", destination.region)
        try:
            state = kms.describe_key(KeyId=destination.key_arn)["KeyMetadata"].get("KeyState")
        except ClientError as err:
            raise PluginError(
                f"destination key {destination.key_arn} cannot be described: {error_code(err)}"
            ) from None
        if state != "Enabled":
            raise PluginError(f"destination key {destination.key_arn} is {state}, not Enabled")

    @staticmethod
    def _grant_destination_keys(pc: PluginContext, out: PluginReporter, target: ReplicationTarget) -> None:
        """One inline policy covering exactly the destination keys the template does not grant."""
        iam = pc.client("iam", target.source_region)
        role = role_name_from_arn(target.role_arn)
        documents = role_documents(iam, role)
        ours = documents.pop(GRANT_POLICY, None)
        needed = [
            d.key_arn for d in target.destinations if missing_actions(documents, ENCRYPT_ACTIONS, d.key_arn)
        ]
        if not needed:
            if ours is not None:
                iam.delete_role_policy(RoleName=role, PolicyName=GRANT_POLICY)
                out.changed(f"role {role}: removed {GRANT_POLICY} (the template's policies grant the keys)")
            else:
                out.unchanged(f"role {role}: the template's policies grant every destination key")
            return
        wanted = grant_document(needed)
        if ours == wanted:
            out.unchanged(f"role {role} may encrypt with {', '.join(needed)} (policy {GRANT_POLICY})")
            return
        iam.put_role_policy(RoleName=role, PolicyName=GRANT_POLICY, PolicyDocument=json.dumps(wanted))
        verb = "updated" if ours is not None else "added"
        out.changed(
            f"role {role}: {verb} inline policy {GRANT_POLICY} ({', '.join(ENCRYPT_ACTIONS)} on "
            f"{', '.join(needed)}): the primary template cannot know the secondary keys"
        )

    def _configure(self, pc: PluginContext, out: PluginReporter, target: ReplicationTarget) -> None:
        s3 = pc.client("s3", target.source_region)
        current = current_configuration(s3, target.source_bucket)
        desired = desired_configuration(target, self.settings(pc), current)
        found = differences(desired, current) if current else ["ReplicationConfiguration"]
        note = read_bucket_note(s3, target.source_bucket)
        destinations = ", ".join(d.bucket for d in target.destinations)
        if not found:
            out.unchanged(f"{target.source_bucket}: replication to {destinations} as intended")
            return
        if current and not_kept(found, recorded_paths(note)):
            out.unchanged(
                f"{target.source_bucket}: replication rules in place; {len(found)} field(s) not kept"
            )
            out.not_performed(
                f"{target.source_bucket}: this backend does not keep {', '.join(found)} ({note})"
            )
            return
        s3.put_bucket_replication(Bucket=target.source_bucket, ReplicationConfiguration=desired)
        out.changed(
            f"{target.source_bucket}: put replication to {destinations} (one rule each, with its "
            f"region's key; was different at: {', '.join(found)})"
        )
        stored = current_configuration(s3, target.source_bucket)
        dropped = differences(desired, stored) if stored else ["ReplicationConfiguration"]
        if dropped:
            fields = sorted({rule_field(p) for p in dropped})
            write_bucket_note(s3, target.source_bucket, stamped(" ".join(fields)))
            out.not_performed(
                f"{target.source_bucket}: the backend stored the configuration without {', '.join(fields)} "
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
            remove_grant(pc.client("iam", pc.primary_region), role_name_from_arn(role_arn), out)

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        """Per destination: it exists and is versioned, its rule is as intended, objects reach it,
        the role may use its key. Each check names its region or its pair."""
        target = self.target(pc)
        s3 = pc.client("s3", target.source_region)
        current = current_configuration(s3, target.source_bucket)
        desired = desired_configuration(target, self.settings(pc), current)
        found = differences(desired, current) if current else []
        note = read_bucket_note(s3, target.source_bucket) if found else None
        documents = role_documents(
            pc.client("iam", target.source_region), role_name_from_arn(target.role_arn)
        )
        missing_decrypt = missing_actions(documents, DECRYPT_ACTIONS, target.source_key_arn)
        evidence = (
            replication_evidence(s3, target.source_bucket) if current is not None else (Status.BROKEN, "")
        )
        probed: dict[str, tuple[Status, str]] = {}
        if current is not None and evidence[0] == Status.NOT_PERFORMED:
            replicas = {d.region: (pc.client("s3", d.region), d.bucket) for d in target.destinations}
            probed = probe_replication(s3, target.source_bucket, replicas)
        checks = []
        for destination in target.destinations:
            checks.append(self._verify_destination(pc, destination))
            mine = [p for p in found if p == "Role" or p.split(".")[:2] == ["Rules", destination.rule_id]]
            checks.append(self._verify_rule(target, destination, current, mine, note))
            seen = probed.get(destination.region, evidence)
            checks.append(self._verify_objects(target, destination, current is not None, seen))
            missing = missing_actions(documents, ENCRYPT_ACTIONS, destination.key_arn) + missing_decrypt
            promise = "replication role may decrypt (source key) and encrypt (destination key)"
            if missing:
                checks.append(
                    Check(promise, Status.BROKEN, f"not granted: {', '.join(missing)}", destination.label)
                )
            else:
                checks.append(
                    Check(promise, Status.HOLDS, "granted by the role's policies", destination.label)
                )
        return checks

    @staticmethod
    def _verify_destination(pc: PluginContext, destination: Destination) -> Check:
        versioning = bucket_versioning(pc.client("s3", destination.region), destination.bucket)
        promise = "replication destination exists and is versioned"
        if versioning == "Enabled":
            return Check(promise, Status.HOLDS, f"{destination.bucket} versioned", destination.region)
        reason = f"{destination.bucket}: " + (
            "missing" if versioning is None else f"versioning {versioning or 'off'}"
        )
        return Check(promise, Status.BROKEN, reason, destination.region)

    @staticmethod
    def _verify_rule(
        target: ReplicationTarget,
        destination: Destination,
        current: dict[str, Any] | None,
        found: list[str],
        note: str | None,
    ) -> Check:
        promise = CONFIGURED_PROMISE
        where = destination.label
        if current is None:
            return Check(
                promise, Status.BROKEN, f"{target.source_bucket} has no replication configuration", where
            )
        if not found:
            return Check(
                promise,
                Status.HOLDS,
                "SSE-KMS objects, delete markers, destination key as intended: "
                f"{target.source_bucket} -> {destination.bucket} (rule {destination.rule_id})",
                where,
            )
        if not_kept(found, recorded_paths(note)):
            reason = f"the backend does not keep {', '.join(found)} (recorded: {note})"
            return Check(promise, Status.NOT_PERFORMED, reason, where)
        return Check(promise, Status.BROKEN, f"differs at {', '.join(found)}", where)

    @staticmethod
    def _verify_objects(
        target: ReplicationTarget, destination: Destination, configured: bool, evidence: tuple[Status, str]
    ) -> Check:
        promise = f"objects replicate to {destination.region}"
        if not configured:
            reason = f"{target.source_bucket} has no replication configuration: new objects are not copied"
            return Check(promise, Status.BROKEN, reason, destination.label)
        status, reason = evidence
        return Check(promise, status, reason, destination.label)


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


def _head(s3: Any, bucket: str, key: str, version_id: str | None = None) -> dict[str, Any] | None:
    extra = {"VersionId": version_id} if version_id else {}
    try:
        found: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key, **extra)
    except ClientError as exc:
        if error_code(exc) in {"404", "NoSuchKey", "NoSuchVersion"}:
            return None
        raise
    return found


def _await_status(s3: Any, bucket: str, key: str, version_id: str) -> str:
    """The probe's ReplicationStatus once settled, or as it stands after PROBE_WAIT_S ('' = none)."""
    deadline = time.monotonic() + PROBE_WAIT_S
    while True:
        status = str((_head(s3, bucket, key, version_id) or {}).get("ReplicationStatus", ""))
        if status in REPLICATED or status in {"FAILED", ""} or time.monotonic() >= deadline:
            return status
        time.sleep(PROBE_POLL_S)


def probe_replication(
    s3: Any, bucket: str, replicas: dict[str, tuple[Any, str]]
) -> dict[str, tuple[Status, str]]:
    """Write one probe object to `bucket`, and per destination region (client, bucket) say whether
    its copy arrived. The probe versions are deleted afterwards, in the source and the replicas."""
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}"
    body = b"payinfra verify: replication probe"
    put = s3.put_object(Bucket=bucket, Key=key, Body=body)
    version_id = put.get("VersionId")
    results: dict[str, tuple[Status, str]] = {}
    copies: dict[str, str | None] = {}  # region -> the replica's version, to delete
    try:
        status = _await_status(s3, bucket, key, version_id) if version_id else ""
        for region, (replica_s3, replica_bucket) in replicas.items():
            replica = _head(replica_s3, replica_bucket, key) if status else None
            copies[region] = (replica or {}).get("VersionId")
            results[region] = _probe_outcome(status, put["ETag"], key, replica, replica_bucket)
    finally:
        _delete_probe(s3, bucket, key, version_id)
        for region, version in copies.items():
            replica_s3, replica_bucket = replicas[region]
            if version:
                _delete_probe(replica_s3, replica_bucket, key, version)
    return results


def _probe_outcome(
    status: str, etag: str, key: str, replica: dict[str, Any] | None, replica_bucket: str
) -> tuple[Status, str]:
    if status == "":
        return Status.NOT_PERFORMED, (
            f"the backend set no ReplicationStatus on the probe {key}: it does not replicate objects"
        )
    if status == "FAILED":
        return Status.BROKEN, f"probe {key}: ReplicationStatus FAILED (role, key or destination)"
    if replica and replica.get("ReplicationStatus") == "REPLICA" and replica.get("ETag") == etag:
        return Status.HOLDS, f"probe {key} copied to {replica_bucket} (REPLICA, same ETag)"
    if status in REPLICATED:
        return Status.BROKEN, f"probe {key} is {status} but {replica_bucket} holds no replica of it"
    return Status.NOT_PERFORMED, (
        f"probe {key} still {status} after {PROBE_WAIT_S:g} s: not observed yet (S3 usually takes "
        "seconds, up to 15 minutes)"
    )


def _delete_probe(s3: Any, bucket: str, key: str, version_id: str | None) -> None:
    """Delete the probe version by ID (S3 does not replicate such a delete; without an ID, on an
    unversioned bucket, the object itself)."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        s3.delete_object(Bucket=bucket, Key=key, **extra)
    except ClientError as exc:
        if error_code(exc) not in {"404", "NoSuchKey", "NoSuchVersion"}:
            raise
