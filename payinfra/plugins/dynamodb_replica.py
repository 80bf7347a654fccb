"""The secondary-region replica of the sessions table (global tables version 2019.11.21).

The primary stack owns the table; a replica in another region cannot be declared there without
making the primary stack depend on the secondary region's key, so this plugin adds it with
`UpdateTable ReplicaUpdates`, encrypted with the secondary region's own key (each replica needs
its region's CMK), and waits for ACTIVE. Replicas added outside CloudFormation are not removed by
stack deletion: before destroy, this plugin removes it and waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.errors import PluginError
from payinfra.plugins.observations import read_table_note, stamped, write_table_note
from payinfra.plugins.waiting import wait_until

BUSY_STATES = frozenset({"CREATING", "UPDATING"})
FAILED_STATES = frozenset({"CREATION_FAILED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REGION_DISABLED"})


def key_id(key: str) -> str:
    """`arn:aws:kms:r:a:key/ID` and `ID` compare equal (DynamoDB may report either)."""
    return key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ReplicaTarget:
    table: str
    region: str
    key_arn: str


class DynamoDbReplicaPlugin(Plugin):
    name = "dynamodb-replica"
    summary = "add the secondary-region replica of the sessions table (its region's key) and wait for ACTIVE"
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    def target(self, pc: PluginContext) -> ReplicaTarget:
        return ReplicaTarget(
            table=pc.deployed("primary").require("SessionsTableName"),
            region=pc.secondary_region,
            key_arn=pc.deployed("secondary").require("KeyArn"),
        )

    @staticmethod
    def describe(ddb: Any, table: str) -> dict[str, Any] | None:
        try:
            return ddb.describe_table(TableName=table)["Table"]
        except ClientError as err:
            if error_code(err) == "ResourceNotFoundException":
                return None
            raise

    @staticmethod
    def replica(description: dict[str, Any], region: str) -> dict[str, Any] | None:
        return next((r for r in description.get("Replicas", []) if r.get("RegionName") == region), None)

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        target = self.target(pc)
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self._ready_table(pc, out, ddb, target.table)
        replica = self.replica(table, target.region)
        if replica is None:
            note = read_table_note(ddb, table["TableArn"])
            if note:
                out.unchanged(f"{target.table}: no replica in {target.region}; {note}")
                out.not_performed(f"replica of {target.table} in {target.region} (recorded: {note})")
                return
            answer = self._update(ddb, target, "Create")
            out.changed(f"{target.table}: requested a replica in {target.region} (key {target.key_arn})")
            listed = self.replica(answer, target.region) or self.replica(
                self._table(ddb, target.table), target.region
            )
            if listed is None:
                note = stamped(
                    f"UpdateTable ReplicaUpdates Create {target.region} accepted but no replica listed"
                )
                write_table_note(ddb, table["TableArn"], note)
                out.not_performed(
                    f"UpdateTable accepted the replica request but {target.table} lists no replica: "
                    "this backend does not create replicas (recorded on the table; not retried)"
                )
                return
            self._wait_active(pc, out, ddb, target)
            return
        state = replica.get("ReplicaStatus", "")
        if state in FAILED_STATES:
            raise PluginError(
                f"replica of {target.table} in {target.region} is {state}: "
                f"{replica.get('ReplicaStatusDescription', 'no description')}"
            )
        if state == "DELETING":
            self._wait_gone(pc, out, ddb, target)
            self.after_deploy(pc, out)
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
            return
        out.unchanged(f"{target.table}: replica in {target.region} is ACTIVE with key {target.key_arn}")

    def _table(self, ddb: Any, table: str) -> dict[str, Any]:
        description = self.describe(ddb, table)
        if description is None:
            raise PluginError(f"table {table} does not exist: is the primary stack deployed?")
        return description

    def _ready_table(self, pc: PluginContext, out: PluginReporter, ddb: Any, table: str) -> dict[str, Any]:
        description = self._table(ddb, table)
        stream = description.get("StreamSpecification") or {}
        if not stream.get("StreamEnabled") or stream.get("StreamViewType") != "NEW_AND_OLD_IMAGES":
            raise PluginError(
                f"table {table} needs a NEW_AND_OLD_IMAGES stream for a replica (has "
                f"{stream.get('StreamViewType', 'no stream')}): fix SessionsTable in the data partial"
            )
        replica = self.replica(description, pc.secondary_region) or {}
        replica_busy = replica.get("ReplicaStatus") in BUSY_STATES | {"DELETING"}
        # A table UPDATING because of our own replica change is waited for with the replica.
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
            return answer.get("TableDescription", {})
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

    def _wait_gone(self, pc: PluginContext, out: PluginReporter, ddb: Any, target: ReplicaTarget) -> None:
        def poll() -> tuple[bool, str]:
            table = self.describe(ddb, target.table)
            replica = self.replica(table, target.region) if table else None
            if replica is None:
                return (table is None or table.get("TableStatus") == "ACTIVE"), "removed"
            return False, replica.get("ReplicaStatus", "?")

        wait_until(pc, out, f"removal of the replica of {target.table} in {target.region}", poll)

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        primary = pc.existing("primary")
        table_name = primary.optional("SessionsTableName") if primary else None
        if not table_name:
            out.unchanged("primary stack or its sessions table output is gone: no replica to remove")
            return
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self.describe(ddb, table_name)
        replica = self.replica(table, pc.secondary_region) if table else None
        target = ReplicaTarget(table_name, pc.secondary_region, "")
        if replica is None:
            out.unchanged(f"{table_name}: no replica in {pc.secondary_region}")
            return
        if replica.get("ReplicaStatus") != "DELETING":
            try:
                ddb.update_table(
                    TableName=table_name, ReplicaUpdates=[{"Delete": {"RegionName": target.region}}]
                )
            except ClientError as err:
                if "acted as a source region" in str(err):
                    raise PluginError(
                        f"the replica of {table_name} in {target.region} cannot be deleted yet: it acted "
                        "as a source region in the last 24 hours (DynamoDB rule). Retry destroy later."
                    ) from None
                raise PluginError(f"remove replica of {table_name}: {error_message(err)}") from None
            out.changed(f"{table_name}: removing the replica in {target.region}")
        self._wait_gone(pc, out, ddb, target)

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        target = self.target(pc)
        promise = f"sessions table replica in {target.region} ACTIVE with that region's key"
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self.describe(ddb, target.table)
        if table is None:
            return [Check(promise, Status.BROKEN, f"table {target.table} does not exist", pc.primary_region)]
        replica = self.replica(table, target.region)
        if replica is None:
            note = read_table_note(ddb, table["TableArn"])
            if note:
                return [Check(promise, Status.NOT_PERFORMED, note, target.region)]
            return [
                Check(
                    promise, Status.BROKEN, f"{target.table} has no replica in {target.region}", target.region
                )
            ]
        state = replica.get("ReplicaStatus", "?")
        key = replica.get("KMSMasterKeyId", "")
        if state != "ACTIVE":
            return [Check(promise, Status.BROKEN, f"replica is {state}", target.region)]
        if key_id(key) != key_id(target.key_arn):
            reason = f"replica key is {key or 'the AWS-owned key'}, expected {target.key_arn}"
            return [Check(promise, Status.BROKEN, reason, target.region)]
        return [Check(promise, Status.HOLDS, f"ACTIVE, key {target.key_arn}", target.region)]
