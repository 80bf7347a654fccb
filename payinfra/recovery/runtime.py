"""What every runbook step receives: the context, a client per (service, region), the run's plan.

`Run.client` refuses a region the run may not call, so an unplanned failover cannot reach the lost
region by mistake (the tests count the clients created per region as well as the calls refused).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from payinfra.config import Context

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client
Echo = Callable[[str], None]
Kind = Literal["failover", "failback"]
NOT_PERFORMED = "not performed by this backend"


class Clock(Protocol):
    """Epoch seconds and a wait; `localaws.clock.CLOCK` fast-forwards, `RealClock` sleeps."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    def now(self) -> float:
        import time

        return time.time()

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(seconds)


class Prober(Protocol):
    """Sends one synthetic payment to `region` and says what came back (raises on failure)."""

    def __call__(self, region: str) -> str: ...


class RunbookError(RuntimeError):
    """Bad input or a state the runbook must not act on: the CLI prints it as one line, exit 2."""


class ForbiddenRegion(RunbookError):
    """A step asked for a client in a region this run must not call (the lost region)."""


@dataclass
class Run:
    ctx: Context
    factory: ClientFactory
    kind: Kind
    source: str  # the region traffic leaves (the lost or old active region)
    target: str  # the region traffic moves to
    planned: bool
    reachable: tuple[str, ...]  # every region this run may call, target first
    clock: Clock
    echo: Echo
    prober: Prober | None = None
    function_timeout_s: float = 30.0
    wait_timeout_s: float = 1800.0
    poll_s: float = 15.0
    state: dict[str, Any] = field(default_factory=dict)  # persisted with the progress record

    def client(self, service: str, region: str) -> Any:
        if region not in self.reachable:
            raise ForbiddenRegion(
                f"{self.kind} may not call {region} (reachable: {', '.join(self.reachable)})"
            )
        return self.factory(service, region)

    @property
    def survivors(self) -> tuple[str, ...]:
        """Reachable regions other than the target."""
        return tuple(r for r in self.reachable if r != self.target)

    @property
    def others(self) -> tuple[str, ...]:
        """Reachable regions other than target and source: the secondaries to re-home."""
        return tuple(r for r in self.reachable if r not in (self.target, self.source))

    def name(self, key: str, **kwargs: str) -> str:
        return self.ctx.names.concrete(key, **kwargs)

    def account(self) -> str:
        if "account" not in self.state:
            self.state["account"] = self.client("sts", self.target).get_caller_identity()["Account"]
        return str(self.state["account"])


def code_of(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def not_implemented(err: ClientError) -> bool:
    """The local AWS answers an action moto lacks with 501 NotImplemented (`localaws.unimplemented`)."""
    return code_of(err) == "NotImplemented"
