"""The recorded active region: which region serves payments, as every consumer reads it.

One SSM parameter per region (`names.active_region_parameter`), JSON `{"active": REGION, "epoch": N}`.
The runbook writes it in every region it can reach, each switch with the next epoch; a region that
was lost during a failover keeps its old value until it is reachable again, so readers take the
highest epoch among the regions that answer. The template creates it with the context's primary
at epoch 0, and CloudFormation never rewrites it afterwards (its value in the template is fixed),
so a `deploy` between failover and failback leaves the failover in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payinfra.config import Context


class ActiveStateError(RuntimeError):
    """No region answered, or a parameter holds something that is not an active-region record."""


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
            raise ActiveStateError(f"active-region parameter {where} holds {text[:80]!r}: {exc}") from None


@dataclass(frozen=True)
class ActiveReading:
    """The winning record, plus what each region said (None: unreachable or missing)."""

    state: ActiveState
    seen: dict[str, ActiveState | None] = field(default_factory=dict)

    @property
    def stale(self) -> list[str]:
        """Regions that answered with an older record than the winner (need the runbook's fence)."""
        return [r for r, s in self.seen.items() if s is not None and s != self.state]


def parameter_name(ctx: Context) -> str:
    return ctx.names.concrete("active_region_parameter")


def initial_state(ctx: Context) -> ActiveState:
    return ActiveState(active=ctx.project.primary_region, epoch=0)


def read_active(
    ctx: Context, client: Callable[[str, str], Any], regions: Iterable[str] | None = None
) -> ActiveReading:
    """Read every region's record (skipping those that fail) and take the highest epoch."""
    name = parameter_name(ctx)
    seen: dict[str, ActiveState | None] = {}
    for region in regions if regions is not None else ctx.project.region_names:
        try:
            value = client("ssm", region).get_parameter(Name=name)["Parameter"]["Value"]
        except (ClientError, BotoCoreError):
            seen[region] = None
            continue
        seen[region] = ActiveState.decode(value, where=f"{name} in {region}")
    answered = [s for s in seen.values() if s is not None]
    if not answered:
        raise ActiveStateError(
            f"no region answered for {name} ({', '.join(seen)}): is the deployment there?"
        )
    winner = max(answered, key=lambda s: s.epoch)
    return ActiveReading(winner, seen)


def write_active(ctx: Context, client: Callable[[str, str], Any], region: str, state: ActiveState) -> None:
    client("ssm", region).put_parameter(
        Name=parameter_name(ctx), Value=state.encode(), Type="String", Overwrite=True
    )
