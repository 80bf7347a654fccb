"""A replica of the sessions table in every secondary region (global tables version 2019.11.21).

The primary stack owns the table; a replica in another region cannot be declared there without
making the primary stack depend on that region's key, so this plugin adds one per secondary with
`UpdateTable ReplicaUpdates`, encrypted with that region's own key (each replica needs its
region's CMK), and waits for ACTIVE. DynamoDB takes one replica change per UpdateTable call and
only on an ACTIVE table, so the replicas are changed one after the other, each waited for:
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html
The table converges to the topology: a replica of this table in a region that is no longer a
secondary is removed (only this table's replicas are touched). Replicas added outside
CloudFormation are not removed by stack deletion: before destroy, this plugin removes every
replica of the table and waits.

A replica is a table of its own region, and several settings are per replica, not inherited from
the table the replica was created from (CloudFormation's GlobalTable ReplicaSpecification lists
them: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-globaltable-replicaspecification.html).
So once the replica is ACTIVE the plugin sets, in the replica's region:
- point-in-time recovery: UpdateContinuousBackups
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateContinuousBackups.html);
- the project's tags, copied from the primary table with `Region` set to the replica's: TagResource
  on the replica's ARN (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TagResource.html);
- deletion protection as the environment asks (`project.protect`, on for production): UpdateTable
  DeletionProtectionEnabled (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html).
The key is set with the replica itself (ReplicaUpdates Create/Update `KMSMasterKeyId`, the key ARN
in the replica's region, from that secondary stack's `KeyArn` output). `verify` checks each. A
backend that accepts ReplicaUpdates and creates no replica (moto) gets every one of these reported
as not performed, never as holding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.errors import PluginError
from payinfra.plugins.observations import NOTE_TAG, read_table_note, stamped, write_table_note
from payinfra.plugins.waiting import wait_until
from payinfra.topology import Relation
from payinfra.topology.outputs import RegionalOutput

BUSY_STATES = frozenset({"CREATING", "UPDATING"})
REPLICA_SETTINGS = "point-in-time recovery, tags, deletion protection"
FAILED_STATES = frozenset({"CREATION_FAILED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REGION_DISABLED"})


def _tags(ddb: Any, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn).get("Tags", [])}


def key_id(key: str) -> str:
    """`arn:aws:kms:r:a:key/ID` and `ID` compare equal (DynamoDB may report either)."""
    return key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ReplicaState:
    """What the replica's own region says about the settings that are per replica."""

    arn: str
    pitr: bool
    tags: dict[str, str]
    deletion_protection: bool
    key: str


@dataclass(frozen=True)
class ReplicaTarget:
    table: str
    region: str
    key_arn: str


class DynamoDbReplicaPlugin(Plugin):
    name = "dynamodb-replica"
    summary = (
        "a replica of the sessions table in every secondary region (its region's key), waited for "
        "ACTIVE; replicas in regions no longer listed are removed"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)
    destroys_data = True  # before-destroy deletes the replicas
    # The table this plugin replicates, as its promises name it; subclasses replicate another
    # table (the ledger) with the same machinery by overriding these and the two name lookups.
    table_label: ClassVar[str] = "sessions"
    table_resource: ClassVar[str] = "SessionsTable in the data partial"
    # MREC replicas are fed from the table's stream (NEW_AND_OLD_IMAGES):
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_reqs_bestpractices.html
    needs_stream: ClassVar[bool] = True

    def table_name(self, pc: PluginContext) -> str:
        """The replicated table's name (its stack must be deployed)."""
        return pc.deployed(pc.topology.primary).require(RegionalOutput.SESSIONS_TABLE_NAME)

    def existing_table_name(self, pc: PluginContext) -> str | None:
        """The table's name before destroy, or None when its stack or output is gone."""
        primary = pc.existing(pc.topology.primary)
        return primary.optional(RegionalOutput.SESSIONS_TABLE_NAME) if primary else None

    def targets(self, pc: PluginContext) -> list[ReplicaTarget]:
        table = self.table_name(pc)
        return [
            ReplicaTarget(table, pair.target.name, pc.deployed(pair.target).require(RegionalOutput.KEY_ARN))
            for pair in pc.topology.pairs_of(Relation.REPLICATE)
        ]

    @staticmethod
    def describe(ddb: Any, table: str) -> dict[str, Any] | None:
        try:
            description: dict[str, Any] = ddb.describe_table(TableName=table)["Table"]
            return description
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise

    @staticmethod
    def replica(description: dict[str, Any], region: str) -> dict[str, Any] | None:
        return next((r for r in description.get("Replicas", []) if r.get("RegionName") == region), None)

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        targets = self.targets(pc)
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self._ready_table(pc, out, ddb, targets[0].table)
        wanted = {pc.primary_region, *(t.region for t in targets)}
        extra = [r["RegionName"] for r in table.get("Replicas", []) if r.get("RegionName") not in wanted]
        for i, target in enumerate(targets):
            # The first target reuses the description just read; each later one reads it anew
            # (the previous replica change made the table UPDATING, then ACTIVE again).
            self._converge(pc, out, ddb, target, table if i == 0 else None)
        for region in extra:  # a region that left the topology: its replica goes
            remove_replica(pc, out, ddb, targets[0].table, region)

    def _converge(
        self,
        pc: PluginContext,
        out: PluginReporter,
        ddb: Any,
        target: ReplicaTarget,
        table: dict[str, Any] | None,
    ) -> None:
        table = table or self._ready_table(pc, out, ddb, target.table)
        replica = self.replica(table, target.region)
        if replica is None:
            note = read_table_note(ddb, table["TableArn"])
            if note:
                out.unchanged(f"{target.table}: no replica in {target.region}; {note}")
                out.not_performed(f"replica of {target.table} in {target.region} (recorded: {note})")
                out.not_performed(f"replica settings ({REPLICA_SETTINGS}): no replica on this backend")
                return
            answer = self._update(ddb, target, "Create")
            out.changed(f"{target.table}: requested a replica in {target.region} (key {target.key_arn})")
            listed = self.replica(answer, target.region) or self.replica(
                self._table(ddb, target.table), target.region
            )
            if listed is None:
                # Recorded once for the table and read for every secondary: it names no region.
                note = stamped("UpdateTable ReplicaUpdates Create accepted but no replica listed")
                write_table_note(ddb, table["TableArn"], note)
                out.not_performed(
                    f"UpdateTable accepted the replica request but {target.table} lists no replica: "
                    "this backend does not create replicas (recorded on the table; not retried)"
                )
                out.not_performed(f"replica settings ({REPLICA_SETTINGS}): no replica on this backend")
                return
            self._wait_active(pc, out, ddb, target)
            self._replica_settings(pc, out, ddb, table["TableArn"], target)
            return
        state = replica.get("ReplicaStatus", "")
        if state in FAILED_STATES:
            raise PluginError(
                f"replica of {target.table} in {target.region} is {state}: "
                f"{replica.get('ReplicaStatusDescription', 'no description')}"
            )
        if state == "DELETING":
            wait_gone(pc, out, ddb, target.table, target.region)
            self._converge(pc, out, ddb, target, None)
            return
        if state in BUSY_STATES:
            self._wait_active(pc, out, ddb, target)
            replica = self.replica(self._table(ddb, target.table), target.region) or {}
        current_key = replica.get("KMSMasterKeyId", "")
        if key_id(current_key) != key_id(target.key_arn):
            self._update(ddb, target, "Update")
            out.changed(
                f"{target.table}: replica in {target.region} re-keyed from {current_key or 'none'} "
                f"to {target.key_arn}"
            )
            self._wait_active(pc, out, ddb, target)
        else:
            out.unchanged(f"{target.table}: replica in {target.region} is ACTIVE with key {target.key_arn}")
        self._replica_settings(pc, out, ddb, table["TableArn"], target)

    # -- per-replica settings ------------------------------------------------------------------
    @staticmethod
    def wanted_tags(ddb: Any, table_arn: str, region: str) -> dict[str, str]:
        """The primary table's tags (the template's), with `Region` naming the replica's region."""
        tags = _tags(ddb, table_arn)
        wanted = {k: v for k, v in tags.items() if k != NOTE_TAG and not k.startswith("aws:")}
        if "Region" in wanted:
            wanted["Region"] = region
        return wanted

    def _replica_settings(
        self, pc: PluginContext, out: PluginReporter, ddb: Any, table_arn: str, target: ReplicaTarget
    ) -> None:
        """Point-in-time recovery, tags and deletion protection on the replica, in its region."""
        wanted_tags = self.wanted_tags(ddb, table_arn, target.region)
        protect = pc.config.project.protected
        replica_ddb = pc.client("dynamodb", target.region)
        state = self.replica_state(replica_ddb, target.table)
        where = f"{target.table} replica in {target.region}"
        changed = False
        if not state.pitr:
            self._call(
                replica_ddb.update_continuous_backups,
                target,
                TableName=target.table,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
            out.changed(f"{where}: point-in-time recovery enabled")
            changed = True
        missing = {k: v for k, v in wanted_tags.items() if state.tags.get(k) != v}
        if missing:
            self._call(
                replica_ddb.tag_resource,
                target,
                ResourceArn=state.arn,
                Tags=[{"Key": k, "Value": v} for k, v in sorted(missing.items())],
            )
            out.changed(f"{where}: tagged {', '.join(f'{k}={v}' for k, v in sorted(missing.items()))}")
            changed = True
        if state.deletion_protection != protect:
            self._call(
                replica_ddb.update_table, target, TableName=target.table, DeletionProtectionEnabled=protect
            )
            out.changed(f"{where}: deletion protection {'on' if protect else 'off'} (project.protect)")
            changed = True
        if not changed:
            out.unchanged(f"{where}: {REPLICA_SETTINGS} as declared")

    @staticmethod
    def replica_state(replica_ddb: Any, table: str) -> ReplicaState:
        """The replica as its own region describes it."""
        description = replica_ddb.describe_table(TableName=table)["Table"]
        backups = replica_ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
        pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") == "ENABLED"
        arn = description["TableArn"]
        return ReplicaState(
            arn=arn,
            pitr=pitr,
            tags=_tags(replica_ddb, arn),
            deletion_protection=bool(description.get("DeletionProtectionEnabled", False)),
            key=(description.get("SSEDescription") or {}).get("KMSMasterKeyArn", ""),
        )

    @staticmethod
    def _call(method: Any, target: ReplicaTarget, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except ClientError as err:
            raise PluginError(
                f"replica of {target.table} in {target.region}: {method.__name__}: {error_message(err)}"
            ) from None

    def _table(self, ddb: Any, table: str) -> dict[str, Any]:
        description = self.describe(ddb, table)
        if description is None:
            raise PluginError(f"table {table} does not exist: is the primary stack deployed?")
        return description

    def _ready_table(self, pc: PluginContext, out: PluginReporter, ddb: Any, table: str) -> dict[str, Any]:
        description = self._table(ddb, table)
        stream = description.get("StreamSpecification") or {}
        has_stream = stream.get("StreamEnabled") and stream.get("StreamViewType") == "NEW_AND_OLD_IMAGES"
        if self.needs_stream and not has_stream:
            raise PluginError(
                f"table {table} needs a NEW_AND_OLD_IMAGES stream for a replica (has "
                f"{stream.get('StreamViewType', 'no stream')}): fix {self.table_resource}"
            )
        replica_busy = any(
            r.get("ReplicaStatus") in BUSY_STATES | {"DELETING"} for r in description.get("Replicas", [])
        )
        # A table UPDATING because of a replica change is waited for with that replica.
        if description.get("TableStatus") != "ACTIVE" and not replica_busy:

            def poll() -> tuple[bool, str]:
                status = self._table(ddb, table).get("TableStatus", "?")
                return status == "ACTIVE", status

            wait_until(pc, out, f"table {table} to become ACTIVE", poll)
            description = self._table(ddb, table)
        return description

    @staticmethod
    def _update(ddb: Any, target: ReplicaTarget, action: str) -> dict[str, Any]:
        """One replica change per call (DynamoDB rejects several); returns the new description."""
        change: dict[str, Any] = {"RegionName": target.region, "KMSMasterKeyId": target.key_arn}
        try:
            answer = ddb.update_table(TableName=target.table, ReplicaUpdates=[{action: change}])
            description: dict[str, Any] = answer.get("TableDescription", {})
            return description
        except ClientError as err:
            raise PluginError(
                f"{action.lower()} replica of {target.table} in {target.region}: {error_message(err)}"
            ) from None

    def _wait_active(self, pc: PluginContext, out: PluginReporter, ddb: Any, target: ReplicaTarget) -> None:
        def poll() -> tuple[bool, str]:
            table = self._table(ddb, target.table)
            replica = self.replica(table, target.region)
            state = replica.get("ReplicaStatus", "?") if replica else "missing"
            if state in FAILED_STATES or state == "missing":
                raise PluginError(f"replica of {target.table} in {target.region} became {state}")
            table_state = table.get("TableStatus", "?")
            return state == "ACTIVE" and table_state == "ACTIVE", f"replica {state}, table {table_state}"

        wait_until(pc, out, f"replica of {target.table} in {target.region}", poll)

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        """Remove every replica of the table (all added here), one after the other."""
        table_name = self.existing_table_name(pc)
        if not table_name:
            out.unchanged(f"primary stack or its {self.table_label} table is gone: no replica to remove")
            return
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self.describe(ddb, table_name)
        regions = [
            r["RegionName"]
            for r in (table or {}).get("Replicas", [])
            if r.get("RegionName") and r["RegionName"] != pc.primary_region
        ]
        if not regions:
            out.unchanged(f"{table_name}: no replicas")
        for i, region in enumerate(regions):
            remove_replica(pc, out, ddb, table_name, region, described=table if i == 0 else None)

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        return [check for target in self.targets(pc) for check in self._verify_replica(pc, target)]

    def _verify_replica(self, pc: PluginContext, target: ReplicaTarget) -> list[Check]:
        region = target.region
        promise = f"{self.table_label} table replica in {region} ACTIVE with that region's key"
        settings = self.setting_promises(pc, region)
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self.describe(ddb, target.table)
        if table is None:
            reason = f"table {target.table} does not exist"
            return [Check(p, Status.BROKEN, reason, pc.primary_region) for p in (promise, *settings)]
        replica = self.replica(table, region)
        if replica is None:
            note = read_table_note(ddb, table["TableArn"])
            if note:  # the backend accepted the request and created nothing: nothing to check
                return [Check(p, Status.NOT_PERFORMED, note, region) for p in (promise, *settings)]
            reason = f"{target.table} has no replica in {region}"
            return [Check(p, Status.BROKEN, reason, region) for p in (promise, *settings)]
        state = replica.get("ReplicaStatus", "?")
        key = replica.get("KMSMasterKeyId", "")
        if state != "ACTIVE":
            main = Check(promise, Status.BROKEN, f"replica is {state}", region)
        elif key_id(key) != key_id(target.key_arn):
            reason = f"replica key is {key or 'the AWS-owned key'}, expected {target.key_arn}"
            main = Check(promise, Status.BROKEN, reason, region)
        else:
            main = Check(promise, Status.HOLDS, f"ACTIVE, key {target.key_arn}", region)
        return [main, *self._verify_settings(pc, ddb, table["TableArn"], target, settings)]

    def setting_promises(self, pc: PluginContext, region: str) -> tuple[str, str, str]:
        protect = "on" if pc.config.project.protected else "off"
        label = self.table_label
        return (
            f"{label} replica in {region} has point-in-time recovery",
            f"{label} replica in {region} carries the project tags",
            f"{label} replica in {region} deletion protection {protect} (project.protect)",
        )

    def _verify_settings(
        self, pc: PluginContext, ddb: Any, table_arn: str, target: ReplicaTarget, promises: tuple[str, ...]
    ) -> list[Check]:
        pitr_promise, tags_promise, protection_promise = promises
        region = target.region
        try:
            state = self.replica_state(pc.client("dynamodb", region), target.table)
        except ClientError as err:
            reason = f"the replica cannot be described in {region}: {error_message(err)}"
            return [Check(p, Status.BROKEN, reason, region) for p in promises]
        checks = [
            Check(pitr_promise, Status.HOLDS, "PointInTimeRecoveryStatus ENABLED", region)
            if state.pitr
            else Check(pitr_promise, Status.BROKEN, "point-in-time recovery is off on the replica", region)
        ]
        wanted = self.wanted_tags(ddb, table_arn, region)
        wrong = sorted(k for k, v in wanted.items() if state.tags.get(k) != v)
        if wrong:
            detail = ", ".join(f"{k}={state.tags.get(k, '(none)')} (want {wanted[k]})" for k in wrong)
            checks.append(Check(tags_promise, Status.BROKEN, detail, region))
        else:
            listed = ", ".join(f"{k}={v}" for k, v in sorted(wanted.items())) or "no tags declared"
            checks.append(Check(tags_promise, Status.HOLDS, listed, region))
        protect = pc.config.project.protected
        if state.deletion_protection == protect:
            reason = f"DeletionProtectionEnabled {protect}"
            checks.append(Check(protection_promise, Status.HOLDS, reason, region))
        else:
            reason = f"DeletionProtectionEnabled is {state.deletion_protection}, want {protect}"
            checks.append(Check(protection_promise, Status.BROKEN, reason, region))
        return checks


def _replica_of(description: dict[str, Any] | None, region: str) -> dict[str, Any] | None:
    return DynamoDbReplicaPlugin.replica(description, region) if description else None


def wait_gone(pc: PluginContext, out: PluginReporter, ddb: Any, table: str, region: str) -> None:
    def poll() -> tuple[bool, str]:
        description = DynamoDbReplicaPlugin.describe(ddb, table)
        replica = _replica_of(description, region)
        if replica is None:
            return (description is None or description.get("TableStatus") == "ACTIVE"), "removed"
        return False, replica.get("ReplicaStatus", "?")

    wait_until(pc, out, f"removal of the replica of {table} in {region}", poll)


def remove_replica(
    pc: PluginContext,
    out: PluginReporter,
    ddb: Any,
    table: str,
    region: str,
    *,
    described: dict[str, Any] | None = None,
) -> None:
    """Delete the replica of `table` in `region` and wait until it is gone (idempotent).

    `ddb` is the primary region's client; `described`, the table's description when the caller
    has just read it. Used for a region that left the topology (after deploy, and before its
    stack is deleted) and by before-destroy for every replica.
    """
    replica = _replica_of(described or DynamoDbReplicaPlugin.describe(ddb, table), region)
    if replica is None:
        out.unchanged(f"{table}: no replica in {region}")
        return
    if replica.get("ReplicaStatus") != "DELETING":
        try:
            ddb.update_table(TableName=table, ReplicaUpdates=[{"Delete": {"RegionName": region}}])
        except ClientError as err:
            if "acted as a source region" in str(err):
                raise PluginError(
                    f"the replica of {table} in {region} cannot be deleted yet: it acted "
                    "as a source region in the last 24 hours (DynamoDB rule). Retry later."
                ) from None
            raise PluginError(f"remove replica of {table} in {region}: {error_message(err)}") from None
        out.changed(f"{table}: removing the replica in {region}")
    wait_gone(pc, out, ddb, table, region)
