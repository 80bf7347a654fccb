"""Copy a region-local legacy ledger (`names.ledger_table_regional`) into the global ledger.

Deployments made before disaster recovery kept one ledger per region. After the replicas exist
(an MRSC table must be empty when it becomes strongly consistent, so this runs after
`ledger-replicas`), every legacy item is written into the global table in the same region with
`attribute_not_exists(payment_id)`: a rerun writes nothing twice. An item already there with the
same fingerprint counts as migrated; one with another fingerprint is a conflict, reported by
payment id and never overwritten. Condition expressions:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
A region whose global replica does not exist (a backend that creates no replica) is written
through the primary's table, which every replica receives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.errors import PluginError

KEY = "payment_id"
FINGERPRINT = "fingerprint"


@dataclass
class MigrationCount:
    copied: int = 0
    already: int = 0
    conflicts: list[str] = field(default_factory=list)


def table_exists(ddb: Any, table: str) -> bool:
    try:
        ddb.describe_table(TableName=table)
        return True
    except ClientError as err:
        if error_code(err) == "ResourceNotFoundException":
            return False
        raise


def legacy_items(ddb: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in ddb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        yield from page.get("Items", [])


class LedgerMigrationPlugin(Plugin):
    name = "ledger-migration"
    summary = (
        "every item of a region-local legacy ledger copied into the global ledger (conditional puts; "
        "conflicting fingerprints reported, never overwritten)"
    )
    hooks = (Hook.AFTER_DEPLOY, Hook.VERIFY)

    def _writer(self, pc: PluginContext, region: str, table: str) -> tuple[str, Any]:
        """The client that writes `region`'s items: its own replica, else the primary's table."""
        ddb = pc.client("dynamodb", region)
        if region == pc.primary_region or table_exists(ddb, table):
            return region, ddb
        return pc.primary_region, pc.client("dynamodb", pc.primary_region)

    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        names = pc.config.names
        legacy, target = names.concrete("ledger_table_regional"), names.concrete("ledger_table")
        for region in pc.config.project.region_names:
            if not table_exists(pc.client("dynamodb", region), legacy):
                out.unchanged(f"{region}: no legacy ledger {legacy}")
                continue
            where, writer = self._writer(pc, region, target)
            count = self._copy(pc.client("dynamodb", region), writer, legacy, target, region)
            line = (
                f"{region}: {legacy} -> {target} (written in {where}): {count.copied} copied, "
                f"{count.already} already there, {len(count.conflicts)} conflict(s)"
            )
            (out.changed if count.copied else out.unchanged)(line)
            if count.conflicts:
                raise PluginError(
                    f"{region}: {len(count.conflicts)} legacy ledger item(s) differ from the global ledger "
                    f"(another fingerprint; not overwritten): {', '.join(count.conflicts[:20])}"
                )

    @staticmethod
    def _copy(reader: Any, writer: Any, legacy: str, target: str, region: str) -> MigrationCount:
        count = MigrationCount()
        for item in legacy_items(reader, legacy):
            try:
                writer.put_item(
                    TableName=target,
                    Item=item,
                    ConditionExpression="attribute_not_exists(#k)",
                    ExpressionAttributeNames={"#k": KEY},
                )
                count.copied += 1
            except ClientError as err:
                if error_code(err) != "ConditionalCheckFailedException":
                    raise PluginError(
                        f"{region}: copy {item.get(KEY)} into {target}: {error_message(err)}"
                    ) from None
                present = writer.get_item(TableName=target, Key={KEY: item[KEY]}, ConsistentRead=True).get(
                    "Item", {}
                )
                if present.get(FINGERPRINT) == item.get(FINGERPRINT):
                    count.already += 1
                else:
                    count.conflicts.append(str(item[KEY].get("S", item[KEY])))
        return count

    def verify(self, pc: PluginContext) -> list[Check]:
        names = pc.config.names
        legacy, target = names.concrete("ledger_table_regional"), names.concrete("ledger_table")
        checks = []
        for region in pc.config.project.region_names:
            reader = pc.client("dynamodb", region)
            if not table_exists(reader, legacy):
                continue
            promise = f"every item of the legacy ledger {legacy} is in {target}"
            _, writer = self._writer(pc, region, target)
            missing, differing, total = [], [], 0
            for item in legacy_items(reader, legacy):
                total += 1
                found = writer.get_item(TableName=target, Key={KEY: item[KEY]}, ConsistentRead=True).get(
                    "Item"
                )
                name = str(item[KEY].get("S", item[KEY]))
                if found is None:
                    missing.append(name)
                elif found.get(FINGERPRINT) != item.get(FINGERPRINT):
                    differing.append(name)
            if missing or differing:
                reason = (
                    f"missing: {', '.join(missing[:20]) or 'none'}; "
                    f"other fingerprint: {', '.join(differing[:20]) or 'none'}"
                )
                checks.append(Check(promise, Status.BROKEN, reason, region))
            else:
                checks.append(Check(promise, Status.HOLDS, f"all {total} item(s) present", region))
        return checks
