"""The ledger as one global table: a replica in every secondary, strongly or eventually consistent.

The primary stack declares the ledger table (`names.ledger_table`, the same name in every region);
this plugin adds the other regions, each replica under its own region's key (`KeyArn` output).

- `recovery.ledger_consistency = "eventual"` (MREC): replicas exactly as the sessions table gets
  them (`DynamoDbReplicaPlugin`: one replica change per UpdateTable, each waited for).
- `"strong"` (MRSC): the replicas and, with two regions, the witness are requested in ONE
  UpdateTable together with `MultiRegionConsistency: STRONG`, while the table is still empty
  (AWS's own example forms an MRSC table exactly so; a table must be empty to become MRSC and its
  mode cannot change afterwards; one witness per call):
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/example_dynamodb_Scenario_MRSCGlobalTables_section.html
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GlobalTables.html#GlobalTables.consistency-modes
  https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/dynamodb/aws.sdk.kotlin.services.dynamodb.model/-update-table-request/global-table-witness-updates.html
  An MRSC table whose replica set differs from the topology is refused, never rebuilt (that would
  need an empty table again).

Before destroy (development), the replicas and the witness are removed so the primary stack can
delete the table. A backend that accepts the request and lists no replica (moto) is recorded on
the table and every promise is reported as not performed.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_message
from payinfra.plugins.dynamodb_replica import (
    FAILED_STATES,
    REPLICA_SETTINGS,
    DynamoDbReplicaPlugin,
    ReplicaTarget,
    key_id,
)
from payinfra.plugins.errors import PluginError
from payinfra.plugins.observations import read_table_note, stamped, write_table_note
from payinfra.plugins.waiting import wait_until

STRONG = "STRONG"


def _regions(items: list[dict[str, Any]] | None, exclude: str = "") -> set[str]:
    return {r["RegionName"] for r in items or [] if r.get("RegionName") and r["RegionName"] != exclude}


class LedgerReplicasPlugin(DynamoDbReplicaPlugin):
    name = "ledger-replicas"
    summary = (
        "the ledger global table: a replica in every secondary (its region's key); strongly "
        "consistent (MRSC, with a witness for two regions) or eventually consistent (MREC)"
    )
    table_label = "ledger"
    table_resource = "LedgerTable in the data partial"

    def table_name(self, pc: PluginContext) -> str:
        pc.deployed(pc.topology.primary)  # the primary stack declares the table
        return pc.config.names.concrete("ledger_table")

    def existing_table_name(self, pc: PluginContext) -> str | None:
        return pc.config.names.concrete("ledger_table") if pc.existing(pc.topology.primary) else None

    @staticmethod
    def strong(pc: PluginContext) -> bool:
        return pc.config.recovery.ledger_consistency == "strong"

    # -- after deploy --------------------------------------------------------------------------
    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        if not self.strong(pc):
            super().after_deploy(pc, out)
            return
        targets = self.targets(pc)
        if not targets:
            out.unchanged("one region: the ledger has no replica to add")
            return
        ddb = pc.client("dynamodb", pc.primary_region)
        name = targets[0].table
        table = self._active_table(pc, out, ddb, name)
        replicas = _regions(table.get("Replicas"), pc.primary_region)
        witnesses = _regions(table.get("GlobalTableWitnesses"))
        if not replicas and not witnesses:
            self._form_strong(pc, out, ddb, table, targets)
            return
        self._check_strong_shape(pc, table, replicas, witnesses, targets)
        self._wait_members(pc, out, ddb, name, targets)
        out.unchanged(f"{name}: STRONG, replicas in {', '.join(sorted(replicas))}{self._witness_text(pc)}")
        for target in targets:
            self._replica_settings(pc, out, ddb, table["TableArn"], target)

    @staticmethod
    def _witness_text(pc: PluginContext) -> str:
        witness = pc.config.ledger_witness
        return f", witness in {witness}" if witness else ""

    def _active_table(self, pc: PluginContext, out: PluginReporter, ddb: Any, name: str) -> dict[str, Any]:
        def poll() -> tuple[bool, str]:
            status = self._table(ddb, name).get("TableStatus", "?")
            return status == "ACTIVE", status

        if self._table(ddb, name).get("TableStatus") != "ACTIVE":
            wait_until(pc, out, f"table {name} to become ACTIVE", poll)
        return self._table(ddb, name)

    def _form_strong(
        self,
        pc: PluginContext,
        out: PluginReporter,
        ddb: Any,
        table: dict[str, Any],
        targets: list[ReplicaTarget],
    ) -> None:
        name = table["TableName"]
        note = read_table_note(ddb, table["TableArn"])
        if note:
            out.not_performed(f"MRSC replicas of {name} (recorded: {note})")
            return
        if ddb.scan(TableName=name, Limit=1, ConsistentRead=True).get("Items"):
            raise PluginError(
                f"{name} already holds items: a table becomes strongly consistent (MRSC) only while "
                'empty. Empty it, or deploy with recovery.ledger_consistency = "eventual"'
            )
        request: dict[str, Any] = {
            "TableName": name,
            "ReplicaUpdates": [
                {"Create": {"RegionName": t.region, "KMSMasterKeyId": t.key_arn}} for t in targets
            ],
            "MultiRegionConsistency": STRONG,
        }
        witness = pc.config.ledger_witness
        if witness:
            request["GlobalTableWitnessUpdates"] = [{"Create": {"RegionName": witness}}]
        try:
            answer = ddb.update_table(**request).get("TableDescription", {})
        except ClientError as err:
            raise PluginError(f"make {name} strongly consistent: {error_message(err)}") from None
        regions = ", ".join(t.region for t in targets)
        out.changed(f"{name}: requested STRONG replicas in {regions}{self._witness_text(pc)}")
        if not _regions(answer.get("Replicas"), pc.primary_region) and not _regions(
            self._table(ddb, name).get("Replicas"), pc.primary_region
        ):
            write_table_note(
                ddb, table["TableArn"], stamped("UpdateTable MRSC accepted but no replica listed")
            )
            out.not_performed(
                f"UpdateTable accepted the MRSC request but {name} lists no replica: this backend does "
                "not create replicas (recorded on the table; not retried)"
            )
            out.not_performed(f"replica settings ({REPLICA_SETTINGS}): no replica on this backend")
            return
        self._wait_members(pc, out, ddb, name, targets)
        for target in targets:
            self._replica_settings(pc, out, ddb, table["TableArn"], target)

    def _check_strong_shape(
        self,
        pc: PluginContext,
        table: dict[str, Any],
        replicas: set[str],
        witnesses: set[str],
        targets: list[ReplicaTarget],
    ) -> None:
        name = table["TableName"]
        if table.get("MultiRegionConsistency") != STRONG:
            raise PluginError(
                f"{name} already has eventually consistent replicas ({', '.join(sorted(replicas))}); a "
                "global table's consistency mode is fixed at creation: keep recovery.ledger_consistency "
                '= "eventual", or remove the replicas and empty the table first'
            )
        wanted = {t.region for t in targets}
        witness = pc.config.ledger_witness
        wanted_witnesses = {witness} if witness else set()
        if replicas != wanted or witnesses != wanted_witnesses:
            raise PluginError(
                f"{name} is strongly consistent with replicas {sorted(replicas)} and witness "
                f"{sorted(witnesses)}, the context wants {sorted(wanted)} and {sorted(wanted_witnesses)}: "
                "an MRSC table is not re-formed in place (it would have to be empty)"
            )

    def _wait_members(
        self, pc: PluginContext, out: PluginReporter, ddb: Any, name: str, targets: list[ReplicaTarget]
    ) -> None:
        def poll() -> tuple[bool, str]:
            table = self._table(ddb, name)
            states = {r["RegionName"]: r.get("ReplicaStatus", "?") for r in table.get("Replicas", [])}
            states.update(
                {
                    f"witness {w['RegionName']}": w.get("WitnessStatus", "?")
                    for w in table.get("GlobalTableWitnesses", [])
                }
            )
            failed = {r: s for r, s in states.items() if s in FAILED_STATES}
            if failed:
                raise PluginError(f"{name}: {failed}")
            missing = [t.region for t in targets if t.region not in states]
            done = (
                not missing
                and table.get("TableStatus") == "ACTIVE"
                and all(s == "ACTIVE" for s in states.values())
            )
            return done, ", ".join(f"{r} {s}" for r, s in sorted(states.items()))

        wait_until(pc, out, f"the replicas of {name}", poll)

    # -- before destroy ------------------------------------------------------------------------
    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        """Remove the replicas (and the witness) so the primary stack can delete the table."""
        name = self.existing_table_name(pc)
        ddb = pc.client("dynamodb", pc.primary_region)
        table = self.describe(ddb, name) if name else None
        if not name or table is None or table.get("MultiRegionConsistency") != STRONG:
            super().before_destroy(pc, out)
            return
        replicas = _regions(table.get("Replicas"), pc.primary_region)
        witnesses = sorted(_regions(table.get("GlobalTableWitnesses")))
        if not replicas and not witnesses:
            out.unchanged(f"{name}: no replicas")
            return
        request: dict[str, Any] = {"TableName": name}
        if replicas:
            request["ReplicaUpdates"] = [{"Delete": {"RegionName": r}} for r in sorted(replicas)]
        if witnesses:  # one witness per call, and an MRSC table has at most one
            request["GlobalTableWitnessUpdates"] = [{"Delete": {"RegionName": witnesses[0]}}]
        try:
            ddb.update_table(**request)
        except ClientError as err:
            raise PluginError(f"remove the replicas of {name}: {error_message(err)}") from None
        out.changed(f"{name}: removing replicas {sorted(replicas)} and witness {witnesses}")

        def poll() -> tuple[bool, str]:
            now = self.describe(ddb, name) or {}
            left = _regions(now.get("Replicas"), pc.primary_region) | _regions(
                now.get("GlobalTableWitnesses")
            )
            return not left and now.get("TableStatus", "ACTIVE") == "ACTIVE", f"left: {sorted(left)}"

        wait_until(pc, out, f"removal of the replicas of {name}", poll)

    # -- verify --------------------------------------------------------------------------------
    def verify(self, pc: PluginContext) -> list[Check]:
        if not self.strong(pc):
            return super().verify(pc)
        targets = self.targets(pc)
        ddb = pc.client("dynamodb", pc.primary_region)
        name = self.table_name(pc)
        witness = pc.config.ledger_witness
        mode_promise = f"{name} is strongly consistent (MRSC)"
        replica_promises = {
            t.region: f"ledger replica in {t.region} ACTIVE with that region's key" for t in targets
        }
        witness_promise = f"ledger witness in {witness} ACTIVE" if witness else ""
        every = [(mode_promise, pc.primary_region), *((p, r) for r, p in replica_promises.items())]
        if witness:
            every.append((witness_promise, witness))
        table = self.describe(ddb, name)
        if table is None:
            return [Check(p, Status.BROKEN, f"table {name} does not exist", r) for p, r in every]
        note = read_table_note(ddb, table["TableArn"])
        if note and not _regions(table.get("Replicas"), pc.primary_region):
            return [Check(p, Status.NOT_PERFORMED, note, r) for p, r in every]
        consistency = table.get("MultiRegionConsistency") or "EVENTUAL (no replicas, or MREC)"
        checks = [
            Check(mode_promise, Status.HOLDS, "MultiRegionConsistency STRONG", pc.primary_region)
            if consistency == STRONG
            else Check(
                mode_promise, Status.BROKEN, f"MultiRegionConsistency is {consistency}", pc.primary_region
            )
        ]
        for target in targets:
            checks.append(self._replica_check(table, target, replica_promises[target.region]))
            checks.extend(
                self._verify_settings(
                    pc, ddb, table["TableArn"], target, self.setting_promises(pc, target.region)
                )
            )
        if witness:
            found = next(
                (w for w in table.get("GlobalTableWitnesses", []) if w.get("RegionName") == witness), None
            )
            state = found.get("WitnessStatus", "?") if found else "missing"
            status = Status.HOLDS if state == "ACTIVE" else Status.BROKEN
            checks.append(Check(witness_promise, status, f"witness {state}", witness))
        return checks

    def _replica_check(self, table: dict[str, Any], target: ReplicaTarget, promise: str) -> Check:
        replica = self.replica(table, target.region)
        if replica is None:
            return Check(
                promise, Status.BROKEN, f"{target.table} has no replica in {target.region}", target.region
            )
        state = replica.get("ReplicaStatus", "?")
        key = replica.get("KMSMasterKeyId", "")
        if state != "ACTIVE":
            return Check(promise, Status.BROKEN, f"replica is {state}", target.region)
        if key_id(key) != key_id(target.key_arn):
            reason = f"replica key is {key or 'the AWS-owned key'}, expected {target.key_arn}"
            return Check(promise, Status.BROKEN, reason, target.region)
        return Check(promise, Status.HOLDS, f"ACTIVE, key {target.key_arn}", target.region)
