"""After failback: find payments the failover lost or recorded twice, and resolve each once.

Only an eventually consistent ledger needs this. Its replicas receive a write after the replication
lag, so a payment acknowledged in the old region shortly before it was lost may be missing in the
new region when it takes over; a client retrying it there gets it recorded a second time. Each
region's handler writes an audit entry per (payment_id, region) in the same transaction as the
ledger item, in a region-local table that replication never overwrites, so after failback the
audit tables say exactly which regions charged which payment.

`reconcile` then, idempotently:
- lists every payment charged in more than one region and keeps the earliest charge: the later
  audit entries are marked `voided-duplicate` (conditional on still being `charged`, so a rerun or
  a concurrent run never voids twice), naming the kept region: no second charge stands;
- lists every payment charged (acknowledged) somewhere and absent from the ledger in the region
  that serves now, and copies the stored item from the region that charged it (conditional on
  absence: never overwrites). One it cannot find anywhere is reported as lost.
A strongly consistent ledger acknowledged every write only once two regions held it: there is
nothing to reconcile, and `reconcile` says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from payinfra.config import Context

CHARGED = "charged"
VOIDED = "voided-duplicate"


@dataclass
class Reconciliation:
    needed: bool
    double_recorded: list[str] = field(default_factory=list)  # charged in more than one region
    voided: list[str] = field(default_factory=list)  # "payment_id@region" voided by this run
    missing: list[str] = field(default_factory=list)  # absent from the serving region's ledger
    restored: list[str] = field(default_factory=list)  # copied into it by this run
    lost: list[str] = field(default_factory=list)  # charged, and found in no region's ledger
    effective_charges: dict[str, int] = field(default_factory=dict)  # after this run

    @property
    def duplicates(self) -> list[str]:
        """Payments still charged more than once (must be empty after a run)."""
        return sorted(p for p, n in self.effective_charges.items() if n > 1)


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(page.get("Items", []))
    return items


def reconcile(
    ctx: Context, client: Callable[[str, str], Any], *, serving: str, regions: list[str] | None = None
) -> Reconciliation:
    """Resolve double charges and missing records; `serving` is the region whose ledger is checked."""
    if ctx.recovery.ledger_consistency != "eventual":
        return Reconciliation(needed=False)
    regions = regions or list(ctx.project.region_names)
    audit_table = ctx.names.concrete("audit_table")
    ledger_table = ctx.names.concrete("ledger_table")
    by_payment: dict[str, dict[str, dict[str, Any]]] = {}
    for region in regions:
        for item in _scan(client("dynamodb", region), audit_table):
            by_payment.setdefault(item["payment_id"]["S"], {})[region] = item
    result = Reconciliation(needed=True)
    for payment_id, entries in sorted(by_payment.items()):
        charged = {r: e for r, e in entries.items() if e.get("status", {}).get("S") == CHARGED}
        if len(entries) > 1:
            result.double_recorded.append(payment_id)
        if len(charged) > 1:
            keep = min(charged, key=lambda r: charged[r].get("recorded_at", {}).get("S", ""))
            for region in sorted(set(charged) - {keep}):
                if _void(client("dynamodb", region), audit_table, payment_id, region, keep):
                    result.voided.append(f"{payment_id}@{region}")
        result.effective_charges[payment_id] = _count_charged(client, audit_table, payment_id, entries)
        if _has_item(client("dynamodb", serving), ledger_table, payment_id):
            continue
        result.missing.append(payment_id)
        if _restore(client, ledger_table, payment_id, serving, [r for r in entries if r != serving]):
            result.restored.append(payment_id)
        else:
            result.lost.append(payment_id)
    return result


def _void(ddb: Any, table: str, payment_id: str, region: str, kept: str) -> bool:
    try:
        ddb.update_item(
            TableName=table,
            Key={"payment_id": {"S": payment_id}, "region": {"S": region}},
            UpdateExpression="SET #s = :voided, kept_region = :kept",
            ConditionExpression="#s = :charged",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":voided": {"S": VOIDED}, ":kept": {"S": kept}, ":charged": {"S": CHARGED}
            },
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False  # voided already (a rerun)
        raise
    return True


def _count_charged(
    client: Callable[[str, str], Any], table: str, payment_id: str, entries: dict[str, Any]
) -> int:
    """Re-read each entry after voiding: the count is what the tables hold, not what we meant."""
    count = 0
    for region in entries:
        item = client("dynamodb", region).get_item(
            TableName=table,
            Key={"payment_id": {"S": payment_id}, "region": {"S": region}},
            ConsistentRead=True,
        ).get("Item")
        if item and item.get("status", {}).get("S") == CHARGED:
            count += 1
    return count


def _has_item(ddb: Any, table: str, payment_id: str) -> bool:
    key = {"payment_id": {"S": payment_id}}
    return "Item" in ddb.get_item(TableName=table, Key=key, ConsistentRead=True)


def _restore(
    client: Callable[[str, str], Any], table: str, payment_id: str, serving: str, sources: list[str]
) -> bool:
    key = {"payment_id": {"S": payment_id}}
    for region in sources:
        item = client("dynamodb", region).get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")
        if not item:
            continue
        try:
            client("dynamodb", serving).put_item(
                TableName=table, Item=item, ConditionExpression="attribute_not_exists(payment_id)"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
        return True
    return False
