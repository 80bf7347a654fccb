"""DynamoDB global tables (version 2019.11.21): replicas, witnesses and replication of item writes.

moto 5.2.5 ignores UpdateTable's `ReplicaUpdates`, `GlobalTableWitnessUpdates` and
`MultiRegionConsistency` (no replica table appears anywhere) and copies no item between regions,
so a drill could not lose or keep a single payment. This fix keeps one `Group` per global table
(replica regions with their KMS keys, the witness, the consistency mode), creates and deletes the
replica tables, shows the group in every member's DescribeTable, and replicates every successful
item write (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems) to the other
replicas:

- EVENTUAL (MREC): the written item image is delivered `lag` seconds later on `CLOCK` (default
  0.5 s: AWS says "usually within a second", no SLA), before any later request is served;
  changes whose source or destination is cut off (`FAULTS.reachable`) are held until it is
  restored; concurrent writes resolve last-writer-wins by write time.
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
  Each delivery publishes `AWS/DynamoDB` `ReplicationLatency` (milliseconds from the write to its
  arrival, on `CLOCK`; dimensions `TableName`, `ReceivingRegion`) in the SOURCE region's
  CloudWatch, as DynamoDB emits it per source and destination Region pair:
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
- STRONG (MRSC): a write is acknowledged only if another member (replica or witness) is
  reachable, and is applied synchronously to every reachable replica, so a conditional write in
  any region sees every acknowledged write. The docs name no error for a write that cannot reach
  a quorum; the emulator answers InternalServerError (HTTP 500, which SDKs retry), an assumption.
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
  No ReplicationLatency is published for it: AWS documents the metric for asynchronous
  replication only, and an MRSC write returns once it is replicated.

The AWS rules on forming an MRSC table are strict rules (rules/mrsc_*.py) wrapping
`GlobalTables.plan` and `GlobalTables.before_write`. The state is process-wide (like moto's
backends); `LocalAws.reset` clears it and `localaws.snapshot` saves and restores it.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from localaws._moto import DynamoHandler, JsonRESTError, Table, cloudwatch_backends, dynamodb_backends
from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.patching import Patcher
from localaws.services.dynamodb.tables import GlobalTableModel

DEFAULT_LAG_S = 0.5
GLOBAL_TABLE_VERSION = "2019.11.21"
WRITE_ACTIONS = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")


class InternalServerError(JsonRESTError):
    """DynamoDB's InternalServerError (HTTP 500): here, an MRSC write that reached no other member."""

    code = 500

    def __init__(self, message: str) -> None:
        super().__init__("InternalServerError", message)


@dataclass
class Group:
    """One global table: its replica regions (-> KMS key or None), witness region and mode."""

    table: str
    replicas: dict[str, str | None]
    witness: str | None = None
    consistency: str = "EVENTUAL"

    def members(self) -> list[str]:
        return [*self.replicas, *([self.witness] if self.witness else [])]


@dataclass(frozen=True)
class Change:
    """An item image (None = deleted) written in `source`, to apply in `destination` when due."""

    due: float
    seq: int
    account: str
    table: str
    source: str
    destination: str
    key: str  # the item's key, canonical JSON (DynamoDB JSON)
    image: dict[str, Any] | None
    written_at: float


@dataclass
class GlobalTables:
    """The emulator's global-table state; every method runs under one lock (moto is not thread-safe)."""

    groups: dict[tuple[str, str], Group] = field(default_factory=dict)
    pending: list[Change] = field(default_factory=list)
    stamps: dict[tuple[str, str, str, str], float] = field(default_factory=dict)
    # (seq, destination) of due changes a fault held back (their latency runs until delivery)
    held: set[tuple[int, str]] = field(default_factory=set)
    lag: float = DEFAULT_LAG_S
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    _seq: itertools.count[int] = field(default_factory=itertools.count, repr=False, compare=False)

    # -- state -------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.groups.clear()
            self.pending.clear()
            self.stamps.clear()
            self.held.clear()
            self.lag = DEFAULT_LAG_S

    def capture(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {"groups": self.groups, "pending": self.pending, "stamps": self.stamps, "lag": self.lag,
                 "held": self.held}
            )

    def load(self, saved: dict[str, Any]) -> None:
        with self.lock:
            saved = copy.deepcopy(saved)
            self.groups, self.pending, self.stamps, self.lag = (
                saved["groups"],
                saved["pending"],
                saved["stamps"],
                saved["lag"],
            )
            self.held = saved.get("held", set())

    def set_lag(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"replication lag must be >= 0 seconds, got {seconds}")
        with self.lock:
            self.lag = seconds

    def group(self, account: str, table: str) -> Group | None:
        with self.lock:
            return self.groups.get((account, table))

    def register(self, account: str, group: Group) -> None:
        with self.lock:
            self.groups[(account, group.table)] = group

    def forget(self, account: str, table: str) -> None:
        with self.lock:
            self.groups.pop((account, table), None)
            self.pending = [c for c in self.pending if (c.account, c.table) != (account, table)]

    # -- control plane: UpdateTable -------------------------------------------------------------
    def plan(self, current: Group, region: str, body: dict[str, Any], table_empty: bool) -> Group:
        """The group after UpdateTable's replica/witness/mode updates (rules wrap this to refuse)."""
        planned = copy.deepcopy(current)
        for update in body.get("ReplicaUpdates") or []:
            if "Create" in update:
                create = update["Create"]
                planned.replicas[create["RegionName"]] = create.get("KMSMasterKeyId")
            elif "Delete" in update:
                planned.replicas.pop(update["Delete"]["RegionName"], None)
        for update in body.get("GlobalTableWitnessUpdates") or []:
            if "Create" in update:
                planned.witness = update["Create"]["RegionName"]
            elif "Delete" in update and planned.witness == update["Delete"]["RegionName"]:
                planned.witness = None
        if body.get("MultiRegionConsistency"):
            planned.consistency = str(body["MultiRegionConsistency"]).upper()
        return planned

    def update_table(self, account: str, region: str, body: dict[str, Any]) -> None:
        with self.lock:
            name = body["TableName"]
            source = dynamodb_backends[account][region].get_table(name)
            current = self.groups.get((account, name)) or Group(name, {region: _kms_key(source)})
            planned = self.plan(current, region, body, table_empty=_item_count(source) == 0)
            for added in [r for r in planned.replicas if r not in current.replicas]:
                _create_replica(source, account, added, planned.replicas[added])
            for removed in [r for r in current.replicas if r not in planned.replicas]:
                backend = dynamodb_backends[account][removed]
                if name in backend.tables:
                    backend.delete_table(name)
            if len(planned.replicas) > 1 or planned.witness:
                self.groups[(account, name)] = planned
            else:
                self.forget(account, name)

    # -- data plane ---------------------------------------------------------------------------
    def before_write(self, account: str, region: str, action: str, tables: list[str]) -> None:
        """Refuse an MRSC write that reaches no other member (rules wrap this for more refusals)."""
        for name in tables:
            group = self.groups.get((account, name))
            if group is None or group.consistency != "STRONG" or region not in group.replicas:
                continue
            others = [m for m in group.members() if m != region]
            if not any(FAULTS.reachable(region, other) for other in others):
                raise InternalServerError(
                    f"{name}: the replica in {region} reaches none of the other members {others} of this "
                    "multi-Region strongly consistent table, so the write cannot be acknowledged"
                )

    def after_write(self, account: str, region: str, written: list[tuple[str, dict[str, Any]]]) -> None:
        """Record the written items' images and send them to the other replicas."""
        now = CLOCK.now()
        backend = dynamodb_backends[account][region]
        for name, key in written:
            group = self.groups.get((account, name))
            if group is None or region not in group.replicas or name not in backend.tables:
                continue
            key_json = json.dumps(key, sort_keys=True)
            stamp_key = (account, name, region, key_json)
            written_at = max(now, self.stamps.get(stamp_key, now) + 1e-6)
            self.stamps[stamp_key] = written_at
            item = backend.get_item(name, key)
            image = copy.deepcopy(item.to_json()["Attributes"]) if item is not None else None
            strong = group.consistency == "STRONG"
            for destination in group.replicas:
                if destination == region:
                    continue
                change = Change(
                    due=written_at if strong else written_at + self.lag,
                    seq=next(self._seq),
                    account=account,
                    table=name,
                    source=region,
                    destination=destination,
                    key=key_json,
                    image=image,
                    written_at=written_at,
                )
                if strong and FAULTS.reachable(region, destination):
                    self._apply(change)
                else:
                    self.pending.append(change)

    def deliver(self, *, everything: bool = False) -> int:
        """Apply the due changes (all, with `everything`) whose regions can reach each other, in
        write order; returns how many were applied. Unreachable ones stay queued."""
        with self.lock:
            if not self.pending:
                return 0
            now = CLOCK.now()
            kept: list[Change] = []
            applied = 0
            for change in sorted(self.pending, key=lambda c: (c.due, c.seq)):
                if (everything or change.due <= now) and FAULTS.reachable(change.source, change.destination):
                    self._apply(change)
                    applied += 1
                else:
                    if change.due <= now:  # due, but a fault holds it: it arrives late, when restored
                        self.held.add((change.seq, change.destination))
                    kept.append(change)
            self.pending = kept
            return applied

    def backlog(self, destination: str | None = None) -> int:
        """Changes not yet applied (to `destination`, or anywhere)."""
        with self.lock:
            return sum(1 for c in self.pending if destination in (None, c.destination))

    def _apply(self, change: Change) -> None:
        backend = dynamodb_backends[change.account][change.destination]
        if change.table not in backend.tables:
            return  # the replica was deleted meanwhile
        group = self.groups.get((change.account, change.table))
        if group is not None and group.consistency != "STRONG":
            # Delivery is lazy (before the next request), but the modelled replica received the
            # write when it was due, unless a fault held it: then when the fault ended (now).
            held = (change.seq, change.destination) in self.held
            self.held.discard((change.seq, change.destination))
            publish_replication_latency(change, CLOCK.now() if held else change.due)
        stamp_key = (change.account, change.table, change.destination, change.key)
        if self.stamps.get(stamp_key, float("-inf")) > change.written_at:
            return  # last writer wins: the destination holds a later write of this item
        self.stamps[stamp_key] = change.written_at
        if change.image is None:
            backend.delete_item(change.table, json.loads(change.key))
        else:
            backend.put_item(change.table, copy.deepcopy(change.image))


STATE = GlobalTables()


def publish_replication_latency(change: Change, delivered_at: float) -> None:
    """`ReplicationLatency` of one delivered change, put in its source region's CloudWatch
    (Average/Maximum over a period are then what the alarms and `verify` read)."""
    latency_ms = max(0.0, (delivered_at - change.written_at) * 1000)
    datum = {
        "MetricName": "ReplicationLatency",
        "Dimensions": [
            {"Name": "TableName", "Value": change.table},
            {"Name": "ReceivingRegion", "Value": change.destination},
        ],
        "Value": latency_ms,
        "Unit": "Milliseconds",
        # moto keeps naive UTC timestamps; the datapoint is dated on the emulator's clock
        "Timestamp": datetime.fromtimestamp(delivered_at, UTC).replace(tzinfo=None),
    }
    cloudwatch_backends[change.account][change.source].put_metric_data("AWS/DynamoDB", [datum])


def set_replication_lag(seconds: float) -> None:
    STATE.set_lag(seconds)


def flush_replication() -> int:
    """Deliver every queued change whose regions can reach each other, due or not (the lag has
    passed); returns how many were applied."""
    return STATE.deliver(everything=True)


def deliver_due() -> int:
    """Deliver the changes due by `CLOCK.now()` (the request middleware calls this first)."""
    return STATE.deliver()


# -- helpers over moto's tables ----------------------------------------------------------------
def _kms_key(table: Table) -> str | None:
    sse = table.sse_specification or {}
    return sse.get("KMSMasterKeyId") if sse.get("Enabled") else None


def _item_count(table: Table) -> int:
    return sum(1 for _ in table.all_items())


def _create_replica(source: Table, account: str, region: str, kms_key: str | None) -> None:
    """The replica table in `region`: the source's schema, indexes, billing and streams, the
    request's KMS key, and (as AWS backfills a new replica) the source's items."""
    backend = dynamodb_backends[account][region]
    sse: dict[str, Any] | None = None
    if source.sse_specification and source.sse_specification.get("Enabled"):
        sse = {"Enabled": True, "SSEType": source.sse_specification.get("SSEType", "KMS")}
        if kms_key:
            sse["KMSMasterKeyId"] = kms_key
    replica = backend.create_table(
        name=source.name,
        schema=copy.deepcopy(source.schema),
        throughput=copy.deepcopy(getattr(source, "throughput", None)),
        attr=copy.deepcopy(source.attr),
        global_indexes=[gsi.describe() for gsi in source.global_indexes],
        indexes=[lsi.describe() for lsi in source.indexes],
        streams=copy.deepcopy(source.stream_specification)
        if (source.stream_specification or {}).get("StreamEnabled")
        else None,
        billing_mode=source.billing_mode or "PROVISIONED",
        sse_specification=sse,
        tags=[],
        deletion_protection_enabled=False,
        warm_throughput=None,
    )
    for item in source.all_items():
        replica.put_item(copy.deepcopy(item.to_json()["Attributes"]))


def _written_keys(backend: Any, action: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of every item the request writes, from the request itself."""

    def key_of(name: str, item: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        table = backend.tables.get(name)
        if table is None:
            return None
        return name, {a: item[a] for a in table.table_key_attrs if a in item}

    found: list[tuple[str, dict[str, Any]] | None] = []
    if action == "put_item":
        found.append(key_of(body["TableName"], body.get("Item") or {}))
    elif action in ("update_item", "delete_item"):
        found.append(key_of(body["TableName"], body.get("Key") or {}))
    elif action == "batch_write_item":
        for name, requests in (body.get("RequestItems") or {}).items():
            for request in requests:
                if "PutRequest" in request:
                    found.append(key_of(name, request["PutRequest"].get("Item") or {}))
                elif "DeleteRequest" in request:
                    found.append(key_of(name, request["DeleteRequest"].get("Key") or {}))
    elif action == "transact_write_items":
        for entry in body.get("TransactItems") or []:
            for op_type in ("Put", "Update", "Delete"):
                if op_type in entry:
                    op = entry[op_type]
                    found.append(key_of(op["TableName"], op.get("Item") or op.get("Key") or {}))
    return [f for f in found if f is not None]


def _written_tables(action: str, body: dict[str, Any]) -> list[str]:
    if action == "batch_write_item":
        return list(body.get("RequestItems") or {})
    if action == "transact_write_items":
        return [op["TableName"] for entry in body.get("TransactItems") or [] for op in entry.values()]
    return [body["TableName"]]


# -- hooks into moto -----------------------------------------------------------------------------
def _wrap_write(action: str, original: Callable[..., Any]) -> Callable[..., Any]:
    def handler(self: Any) -> Any:
        account, region = self.current_account, self.region
        with STATE.lock:
            STATE.before_write(account, region, action, _written_tables(action, self.body))
            written = _written_keys(self.dynamodb_backend, action, self.body)
            response = original(self)
            STATE.after_write(account, region, written)
        return response

    handler.__name__ = action
    return handler


def _wrap_update_table(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_table(self: Any) -> Any:
        body = self.body
        if (
            body.get("ReplicaUpdates")
            or body.get("GlobalTableWitnessUpdates")
            or body.get("MultiRegionConsistency")
        ):
            STATE.update_table(self.current_account, self.region, body)
        return original(self)

    return update_table


def _wrap_describe(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def describe(self: Table, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key)
        group = STATE.group(self.account_id, self.name)
        if group is not None and self.region_name in group.replicas:
            result[base_key].update(describe_group(group))
        return result

    return describe


def describe_group(group: Group) -> dict[str, Any]:
    """The global-table fields of DescribeTable (API_TableDescription), as every member shows them."""
    replicas = []
    for region, kms_key in group.replicas.items():
        replica: dict[str, Any] = {"RegionName": region, "ReplicaStatus": "ACTIVE"}
        if kms_key:
            replica["KMSMasterKeyId"] = kms_key
        replicas.append(replica)
    fields: dict[str, Any] = {
        "GlobalTableVersion": GLOBAL_TABLE_VERSION,
        "Replicas": replicas,
        "MultiRegionConsistency": group.consistency,
    }
    if group.witness:
        fields["GlobalTableWitnesses"] = [{"RegionName": group.witness, "WitnessStatus": "ACTIVE"}]
    return fields


def _wrap_model_create(original: Callable[..., GlobalTableModel]) -> Callable[..., GlobalTableModel]:
    """`AWS::DynamoDB::GlobalTable` (its model creates the replicas): record the group too."""

    def create(
        resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> GlobalTableModel:
        model = original(resource_name, cloudformation_json, account_id, region_name, **kw)
        p = cloudformation_json.get("Properties") or {}
        replicas = {
            r["Region"]: (r.get("SSESpecification") or {}).get("KMSMasterKeyId")
            for r in p.get("Replicas") or []
        } or {region_name: None}
        witnesses = [w["Region"] for w in p.get("GlobalTableWitnesses") or []]
        group = Group(
            table=model.physical_resource_id,
            replicas=replicas,
            witness=witnesses[0] if witnesses else None,
            consistency=str(p.get("MultiRegionConsistency") or "EVENTUAL").upper(),
        )
        if len(replicas) > 1 or group.witness:
            STATE.register(account_id, group)
        return model

    return create


def _model_delete(original: Callable[..., None]) -> Callable[..., None]:
    def delete(self: GlobalTableModel, account_id: str, region_name: str) -> None:
        original(self, account_id, region_name)
        STATE.forget(account_id, self.physical_resource_id)

    return delete


def apply(patcher: Patcher) -> None:
    STATE.reset()  # a new emulator (or a test's moto world) starts with no global table
    for action in WRITE_ACTIONS:
        patcher.replace(DynamoHandler, action, _wrap_write(action, getattr(DynamoHandler, action)))
    patcher.replace(DynamoHandler, "update_table", _wrap_update_table(DynamoHandler.update_table))
    patcher.replace(Table, "describe", _wrap_describe(Table.describe))
    patcher.wrap_classmethod(GlobalTableModel, "create_from_cloudformation_json", _wrap_model_create)
    patcher.replace(GlobalTableModel, "delete", _model_delete(GlobalTableModel.delete))
