"""Replicas of the primary database secret in every secondary region, and its rotation.

In `replica` database mode the secondary region runs a read replica of the primary instance: it
shares the primary's master password, and after a promotion the standby needs that password in
its own region. The secret lives in the primary stack, but each replica must be encrypted with
its own region's CMK, which the secondary stack creates after the primary one; so this plugin
replicates the secret after both stacks exist (ReplicateSecretToRegions with that region's key,
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html).
A rotation of the primary propagates to every replica
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets.html).

The replicas converge to the topology: a replica in a region that is no longer a secondary is
removed after deploy (RemoveRegionsFromReplication,
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RemoveRegionsFromReplication.html),
before that region's stack (and the key encrypting the replica) is deleted. Secrets Manager
refuses to delete a primary secret that still has replicas (DeleteSecret
InvalidRequestException), so before destroy this plugin removes them all and the primary stack
can delete the secret.

`verify` promises, per secondary region, a replica that is `InSync` and encrypted with that
region's key (a replica whose key does not exist there ends `Failed` with a message, which is
shown), and, per secret, that rotation is on and a rotation actually ran on schedule (see
`_rotation_check`). In `independent` mode each
region owns its secret: nothing is replicated, and only rotation is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.errors import PluginError
from payinfra.plugins.waiting import wait_until
from payinfra.topology import Relation
from payinfra.topology.outputs import RegionalOutput

SECRET_OUTPUT = RegionalOutput.DATABASE_SECRET_ARN
IN_SYNC = "InSync"
IN_PROGRESS = "InProgress"
FAILED = "Failed"


def key_id(key: str) -> str:
    """`arn:aws:kms:r:a:key/ID` and `ID` compare equal (Secrets Manager may report either)."""
    return key.rsplit("/", 1)[-1]


def replica_arn(primary_arn: str, region: str) -> str:
    """A replica's ARN is the primary's with the region changed (Secrets Manager User Guide)."""
    parts = primary_arn.split(":")
    parts[3] = region
    return ":".join(parts)


def rotation_problem(
    stages: dict[str, list[str]], last: datetime, days: int, every: str, now: datetime
) -> str | None:
    """Why a secret rotated at `last` (LastRotatedDate) does not show a kept schedule; None if it does."""
    current = next((v for v, labels in stages.items() if "AWSCURRENT" in labels), None)
    pending = [v for v, labels in stages.items() if "AWSPENDING" in labels and v != current]
    if pending:
        return f"a rotation is in progress or failed: AWSPENDING on version {pending[0]}, not AWSCURRENT"
    if not any("AWSPREVIOUS" in labels for labels in stages.values()):
        return f"LastRotatedDate {last.isoformat()} but no version was replaced (no AWSPREVIOUS)"
    age = now - last
    if days and age > timedelta(days=days + 1):  # the scheduled day's 24-hour rotation window
        return f"overdue: last rotated {last.isoformat()}, {age.days} days ago, rotation {every}"
    return None


@dataclass(frozen=True)
class ReplicaTarget:
    region: str
    key_arn: str


class SecretReplicationPlugin(Plugin):
    name = "secret-replication"
    summary = (
        "replicate the primary database secret to every secondary region with that region's key "
        "(replica mode), removing replicas in regions no longer listed; remove them all before "
        "destroy; verify InSync and rotation"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)
    destroys_data = True  # before-destroy deletes the replica

    @staticmethod
    def replicated(pc: PluginContext) -> bool:
        return pc.topology.replica_database

    def targets(self, pc: PluginContext) -> list[ReplicaTarget]:
        return [
            ReplicaTarget(pair.target.name, pc.deployed(pair.target).require(RegionalOutput.KEY_ARN))
            for pair in pc.topology.pairs_of(Relation.REPLICATE)
        ]

    @staticmethod
    def describe(sm: Any, secret_id: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] | None = sm.describe_secret(SecretId=secret_id)
            return result
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise PluginError(f"describe secret {secret_id}: {error_message(err)}") from None

    @staticmethod
    def replica_status(description: dict[str, Any], region: str) -> dict[str, Any] | None:
        return next((r for r in description.get("ReplicationStatus", []) if r.get("Region") == region), None)

    def _secret(self, sm: Any, secret_arn: str) -> dict[str, Any]:
        description = self.describe(sm, secret_arn)
        if description is None or description.get("DeletedDate"):
            raise PluginError(f"secret {secret_arn} does not exist: is the primary stack deployed?")
        return description

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        if not self.replicated(pc):
            out.unchanged(
                "independent database mode: each region owns its database secret, none is replicated"
            )
            return
        secret_arn = pc.deployed(pc.topology.primary).require(SECRET_OUTPUT)
        sm = pc.client("secretsmanager", pc.primary_region)
        targets = self.targets(pc)
        for target in targets:
            self._converge(pc, out, sm, secret_arn, target)
        wanted = {t.region for t in targets}
        listed = self._secret(sm, secret_arn).get("ReplicationStatus", [])
        extra = sorted(r["Region"] for r in listed if r.get("Region") and r["Region"] not in wanted)
        if extra:  # regions that left the topology: their replicas go
            self.remove_replicas(pc, out, sm, secret_arn, extra)

    def remove_replicas(
        self, pc: PluginContext, out: PluginReporter, sm: Any, secret_arn: str, regions: list[str]
    ) -> None:
        """Remove the replicas in `regions` (those that exist) and wait until they are gone."""
        description = self.describe(sm, secret_arn) or {}
        present = [r for r in regions if self.replica_status(description, r) is not None]
        if not present:
            out.unchanged(f"{secret_arn}: no replica in {', '.join(regions)}")
            return
        self._remove(sm, secret_arn, present)
        out.changed(f"{secret_arn}: removed the replicas in {', '.join(present)}")
        for region in present:
            self._wait_removed(pc, out, sm, secret_arn, region)

    def _converge(
        self, pc: PluginContext, out: PluginReporter, sm: Any, secret_arn: str, target: ReplicaTarget
    ) -> None:
        status = self.replica_status(self._secret(sm, secret_arn), target.region)
        if status is None:
            self._replicate(sm, secret_arn, target)
            out.changed(f"{secret_arn}: replicating to {target.region} with key {target.key_arn}")
        elif key_id(status.get("KmsKeyId", "")) != key_id(target.key_arn) or status.get("Status") == FAILED:
            # A replica cannot be re-keyed or retried in place: remove it and replicate again, once.
            reason = (
                f"{status.get('Status')}: {status.get('StatusMessage', 'no message')}"
                if status.get("Status") == FAILED
                else f"key {status.get('KmsKeyId') or 'none'}"
            )
            self._remove(sm, secret_arn, [target.region])
            self._wait_removed(pc, out, sm, secret_arn, target.region)
            self._replicate(sm, secret_arn, target)
            out.changed(
                f"{secret_arn}: replica in {target.region} was {reason}; "
                f"replicated again with {target.key_arn}"
            )
        elif status.get("Status") == IN_SYNC:
            out.unchanged(f"{secret_arn}: replica in {target.region} is InSync with key {target.key_arn}")
            return
        final = self._wait_in_sync(pc, out, sm, secret_arn, target.region)
        if key_id(final.get("KmsKeyId", "")) != key_id(target.key_arn):
            raise PluginError(
                f"replica of {secret_arn} in {target.region} reports key {final.get('KmsKeyId') or 'none'} "
                f"after being asked for {target.key_arn}"
            )

    @staticmethod
    def _replicate(sm: Any, secret_arn: str, target: ReplicaTarget) -> None:
        try:
            sm.replicate_secret_to_regions(
                SecretId=secret_arn,
                AddReplicaRegions=[{"Region": target.region, "KmsKeyId": target.key_arn}],
                ForceOverwriteReplicaSecret=False,
            )
        except ClientError as err:
            raise PluginError(f"replicate {secret_arn} to {target.region}: {error_message(err)}") from None

    @staticmethod
    def _remove(sm: Any, secret_arn: str, regions: list[str]) -> None:
        try:
            sm.remove_regions_from_replication(SecretId=secret_arn, RemoveReplicaRegions=regions)
        except ClientError as err:
            raise PluginError(
                f"remove the replicas of {secret_arn} in {', '.join(regions)}: {error_message(err)}"
            ) from None

    def _wait_in_sync(
        self, pc: PluginContext, out: PluginReporter, sm: Any, secret_arn: str, region: str
    ) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        def poll() -> tuple[bool, str]:
            status = self.replica_status(self._secret(sm, secret_arn), region)
            if status is None:
                raise PluginError(f"replica of {secret_arn} in {region} disappeared while waiting for it")
            state = status.get("Status", "?")
            if state == FAILED:
                message = status.get("StatusMessage", "no message")
                raise PluginError(f"replica of {secret_arn} in {region} is Failed: {message}")
            seen.update(status)
            return state == IN_SYNC, state

        wait_until(pc, out, f"replica of {secret_arn} in {region} to be InSync", poll)
        return seen

    def _wait_removed(
        self, pc: PluginContext, out: PluginReporter, sm: Any, secret_arn: str, region: str
    ) -> None:
        def poll() -> tuple[bool, str]:
            description = self.describe(sm, secret_arn)
            status = self.replica_status(description, region) if description else None
            return status is None, "removed" if status is None else status.get("Status", "?")

        wait_until(pc, out, f"removal of the replica of {secret_arn} in {region}", poll)

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        primary = pc.existing(pc.topology.primary)
        secret_arn = primary.optional(SECRET_OUTPUT) if primary else None
        if not secret_arn:
            out.unchanged("primary stack or its database secret output is gone: no replica to remove")
            return
        sm = pc.client("secretsmanager", pc.primary_region)
        description = self.describe(sm, secret_arn)
        regions = [r["Region"] for r in (description or {}).get("ReplicationStatus", []) if r.get("Region")]
        if not regions:
            out.unchanged(f"{secret_arn}: no replicas")
            return
        # Every replica goes (not only this project's regions): DeleteSecret refuses a primary
        # secret that still has any.
        self.remove_replicas(pc, out, sm, secret_arn, regions)

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        checks: list[Check] = []
        if self.replicated(pc):
            secret_arn = pc.deployed(pc.topology.primary).require(SECRET_OUTPUT)
            sm = pc.client("secretsmanager", pc.primary_region)
            description = self.describe(sm, secret_arn)
            for target in self.targets(pc):
                checks.append(self._replica_check(pc, description, secret_arn, target))
            checks.append(self._rotation_check(description, secret_arn, pc.primary_region))
            return checks
        for node in pc.topology.regions:  # independent mode: every region runs a writer with its secret
            stack = pc.deployed(node)
            secret_arn = stack.require(SECRET_OUTPUT)
            sm = pc.client("secretsmanager", stack.region)
            checks.append(self._rotation_check(self.describe(sm, secret_arn), secret_arn, stack.region))
        return checks

    def _replica_check(
        self, pc: PluginContext, description: dict[str, Any] | None, secret_arn: str, target: ReplicaTarget
    ) -> Check:
        promise = f"database secret replica in {target.region} InSync with that region's key"
        if description is None:
            return Check(promise, Status.BROKEN, f"secret {secret_arn} does not exist", pc.primary_region)
        status = self.replica_status(description, target.region)
        if status is None:
            return Check(
                promise, Status.BROKEN, f"{secret_arn} is not replicated to {target.region}", target.region
            )
        state = status.get("Status", "?")
        if state != IN_SYNC:
            message = status.get("StatusMessage") or "no status message"
            return Check(promise, Status.BROKEN, f"replica is {state}: {message}", target.region)
        key = status.get("KmsKeyId", "")
        if key_id(key) != key_id(target.key_arn):
            reason = f"replica key is {key or 'the AWS managed key'}, expected {target.key_arn}"
            return Check(promise, Status.BROKEN, reason, target.region)
        replica = self.describe(
            pc.client("secretsmanager", target.region), replica_arn(secret_arn, target.region)
        )
        if replica is None or replica.get("PrimaryRegion") != pc.primary_region:
            reason = f"no replica of {secret_arn} answers in {target.region}"
            return Check(promise, Status.BROKEN, reason, target.region)
        return Check(promise, Status.HOLDS, f"InSync, key {target.key_arn}", target.region)

    @staticmethod
    def _rotation_check(description: dict[str, Any] | None, secret_arn: str, region: str) -> Check:
        """Holds only on evidence that a rotation ran and the schedule is kept: rotation on with
        rules, LastRotatedDate (Secrets Manager sets it when a rotation completes) within the
        interval plus the one-day rotation window, AWSCURRENT moved off an older version
        (AWSPREVIOUS), and no AWSPENDING left on another version (a rotation in progress or
        failed). https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html
        https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html"""
        promise = "database secret rotated on a schedule (single user)"
        if description is None:
            return Check(promise, Status.BROKEN, f"secret {secret_arn} does not exist", region)
        if not description.get("RotationEnabled"):
            return Check(promise, Status.BROKEN, f"rotation is off for {secret_arn}", region)
        rules = description.get("RotationRules") or {}
        days = rules.get("AutomaticallyAfterDays")
        every = f"every {days} days" if days else rules.get("ScheduleExpression", "on an unknown schedule")
        last = description.get("LastRotatedDate")
        if not isinstance(last, datetime):
            reason = f"rotation {every} is on, but {secret_arn} was never rotated (no LastRotatedDate)"
            return Check(promise, Status.BROKEN, reason, region)
        stages = description.get("VersionIdsToStages") or {}
        problem = rotation_problem(stages, last, int(days or 0), every, datetime.now(UTC))
        if problem:
            return Check(promise, Status.BROKEN, problem, region)
        current = next((v for v, labels in stages.items() if "AWSCURRENT" in labels), None)
        function = description.get("RotationLambdaARN") or "the hosted rotation function"
        reason = f"{every} by {function}; last rotated {last.isoformat()}, AWSCURRENT is version {current}"
        return Check(promise, Status.HOLDS, reason, region)
