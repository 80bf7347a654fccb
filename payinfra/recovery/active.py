"""The recorded active region: which region serves payments, as every consumer reads it.

One item in the global ledger table (`names.ledger_table`, the same name in every region), key
payment_id = ACTIVE_RECORD_ID (no payment id can start with '#', validation.ID_PATTERN), attributes
active (S), epoch (N), written_at (S), written_in (S). It replicates like the ledger, so a region
lost during a failover learns of the switch when it returns: in strong mode (MRSC) it catches up
before it serves strongly consistent reads; in eventual mode (MREC) within the replication lag.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html

Writes are conditional so the epoch never goes down: a stale writer cannot undo a newer switch,
and rewriting the same record is a no-op. Readers take the highest epoch among the regions that
answer (in eventual mode a region may lag). The recovery-state plugin writes the first record
(the primary, epoch 0) after deploy if no region holds one; CloudFormation never touches it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payinfra.config import Context

# The handler reads the same key (functions/payment/payment_processor/active_region.py).
ACTIVE_RECORD_ID = "#active-region"
ACTIVE_RECORD_KEY = {"payment_id": {"S": ACTIVE_RECORD_ID}}
# Never lower the epoch: PutItem's condition is evaluated against the replica's current item.
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
NEWER_ONLY = "attribute_not_exists(payment_id) OR epoch < :epoch"


class ActiveStateError(RuntimeError):
    """No region answered, or the record is not an active-region record, or a newer one exists."""


@dataclass(frozen=True)
class ActiveState:
    active: str
    epoch: int

    def encode(self) -> str:
        return json.dumps({"active": self.active, "epoch": self.epoch}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str, *, where: str = "") -> ActiveState:
        try:
            data = json.loads(text)
            return cls(active=str(data["active"]), epoch=int(data["epoch"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ActiveStateError(f"active-region record {where} holds {text[:80]!r}: {exc}") from None

    @classmethod
    def from_item(cls, item: dict[str, Any], *, where: str = "") -> ActiveState:
        try:
            return cls(active=str(item["active"]["S"]), epoch=int(item["epoch"]["N"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ActiveStateError(f"active-region record {where} is malformed ({exc!r})") from None

    def item(self, region: str, now: datetime | None = None) -> dict[str, dict[str, str]]:
        """The DynamoDB item: written_in/written_at say which region wrote it, and when."""
        written_at = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            **ACTIVE_RECORD_KEY,
            "active": {"S": self.active},
            "epoch": {"N": str(self.epoch)},
            "written_at": {"S": written_at},
            "written_in": {"S": region},
        }


@dataclass(frozen=True)
class ActiveReading:
    """The winning record, plus what each region said (None: unreachable or no record)."""

    state: ActiveState
    seen: dict[str, ActiveState | None] = field(default_factory=dict)

    @property
    def stale(self) -> list[str]:
        """Regions that answered with an older record than the winner (not caught up yet)."""
        return [r for r, s in self.seen.items() if s is not None and s != self.state]


def table_name(ctx: Context) -> str:
    return ctx.names.concrete("ledger_table")


def initial_state(ctx: Context) -> ActiveState:
    return ActiveState(active=ctx.project.primary_region, epoch=0)


def read_record(ctx: Context, client: Callable[[str, str], Any], region: str) -> ActiveState | None:
    """`region`'s record (strongly consistent GetItem), None when it has none; AWS errors propagate."""
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
    item = (
        client("dynamodb", region)
        .get_item(TableName=table_name(ctx), Key=ACTIVE_RECORD_KEY, ConsistentRead=True)
        .get("Item")
    )
    return ActiveState.from_item(item, where=f"in {table_name(ctx)} ({region})") if item else None


def read_active(
    ctx: Context, client: Callable[[str, str], Any], regions: Iterable[str] | None = None
) -> ActiveReading:
    """Read every region's record (skipping those that fail) and take the highest epoch."""
    seen: dict[str, ActiveState | None] = {}
    for region in regions if regions is not None else ctx.project.region_names:
        try:
            seen[region] = read_record(ctx, client, region)
        except (ClientError, BotoCoreError):
            seen[region] = None
    answered = [s for s in seen.values() if s is not None]
    if not answered:
        raise ActiveStateError(
            f"no region holds the active-region record {ACTIVE_RECORD_ID!r} in {table_name(ctx)} "
            f"({', '.join(seen)}): is the deployment there?"
        )
    return ActiveReading(max(answered, key=lambda s: s.epoch), seen)


def write_active(ctx: Context, client: Callable[[str, str], Any], region: str, state: ActiveState) -> bool:
    """Write `state` in `region`'s replica unless it holds it already: True when written.

    Refused (ActiveStateError) when the replica holds a newer epoch or the same epoch naming
    another region: another switch happened, and this writer must not undo it. In strong mode a
    write in a region cut off from the other members fails (AWS error, propagated).
    """
    try:
        client("dynamodb", region).put_item(
            TableName=table_name(ctx),
            Item=state.item(region),
            ConditionExpression=NEWER_ONLY,
            ExpressionAttributeValues={":epoch": {"N": str(state.epoch)}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        item: dict[str, Any] | None = err.response.get("Item")  # type: ignore[assignment]
        held = ActiveState.from_item(item, where=f"in {region}") if item else None
        if held == state:
            return False
        raise ActiveStateError(
            f"{region} holds a newer active-region record ({held.active if held else '?'} at epoch "
            f"{held.epoch if held else '?'}) than {state.active} at epoch {state.epoch}: another "
            "switch happened; read the record again before retrying"
        ) from None
    return True
