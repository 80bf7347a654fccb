"""The plugin interface: lifecycle hooks, the context a plugin receives, and what it reports.

Plugins are the Serverless-Framework-style hooks for what CloudFormation cannot express across
regions. Each declares the lifecycle points it acts on; the runner calls only those. Every plugin
follows the same idempotence rule: read live state, compute the desired state, write only the
difference, and say "no change" otherwise, so a second run (or a run after an interruption)
converges without surprises.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any, ClassVar

from payinfra.config import Context
from payinfra.plugins.aws import RegionalSessions
from payinfra.plugins.errors import PluginError
from payinfra.plugins.outputs import OutputsProvider, StackOutputs
from payinfra.topology import Peering, RegionNode, Stack, Topology

__all__ = ["Check", "Hook", "Plugin", "PluginContext", "PluginError", "Reporter", "Status"]


class Hook(StrEnum):
    AFTER_DEPLOY = "after-deploy"
    BEFORE_DESTROY = "before-destroy"
    VERIFY = "verify"


class Status(StrEnum):
    """The state of one promise in `verify`."""

    HOLDS = "holds"
    BROKEN = "broken"
    # The backend accepted the request but cannot do the thing at all (e.g. an emulator that never
    # creates DynamoDB replicas). Never reported as HOLDS: the promise is simply not exercised.
    NOT_PERFORMED = "not performed by this backend"


@dataclass(frozen=True)
class Check:
    """One promise checked against live state.

    `region` says where: a region name, or `a -> b` (`Pair.label`) for a promise between two
    regions, so N secondaries give N checks of one promise, never one merged.
    """

    promise: str
    status: Status
    reason: str
    region: str = ""


class EventKind(StrEnum):
    CHANGED = "changed"
    NO_CHANGE = "no change"
    NOT_PERFORMED = "not performed by this backend"
    PROGRESS = "progress"


@dataclass(frozen=True)
class Event:
    plugin: str
    kind: EventKind
    message: str


@dataclass
class Reporter:
    """Collects what plugins did and echoes it as it happens (tests read `events`)."""

    echo: Callable[[str], None] = print
    events: list[Event] = field(default_factory=list)

    def for_plugin(self, plugin: str) -> PluginReporter:
        return PluginReporter(self, plugin)

    def add(self, event: Event) -> None:
        self.events.append(event)
        self.echo(f"  [{event.plugin}] {event.kind}: {event.message}")

    def changes(self, plugin: str | None = None) -> list[Event]:
        return [
            e for e in self.events if e.kind == EventKind.CHANGED and (plugin is None or e.plugin == plugin)
        ]


@dataclass(frozen=True)
class PluginReporter:
    """A `Reporter` bound to one plugin's name."""

    reporter: Reporter
    plugin: str

    def changed(self, message: str) -> None:
        self.reporter.add(Event(self.plugin, EventKind.CHANGED, message))

    def unchanged(self, message: str) -> None:
        self.reporter.add(Event(self.plugin, EventKind.NO_CHANGE, message))

    def not_performed(self, message: str) -> None:
        self.reporter.add(Event(self.plugin, EventKind.NOT_PERFORMED, message))

    def progress(self, message: str) -> None:
        self.reporter.add(Event(self.plugin, EventKind.PROGRESS, message))


@dataclass(frozen=True)
class Clock:
    """Time source for bounded waits; tests pass a fake one (no test sleeps for real)."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


# A stack by its key, or the region or peering it belongs to, or the stack itself.
StackRef = str | RegionNode | Peering | Stack


@dataclass
class PluginContext:
    """Everything a plugin may use: config and its topology, per-region sessions, stack outputs,
    waits."""

    config: Context
    sessions: RegionalSessions
    outputs: OutputsProvider
    reporter: Reporter = field(default_factory=Reporter)
    clock: Clock = field(default_factory=Clock)
    wait_timeout_s: float = 1800.0
    poll_interval_s: float = 15.0

    @cached_property
    def topology(self) -> Topology:
        """Regions, roles, pairs and stacks of this deployment (built once per run)."""
        return Topology.from_context(self.config)

    @property
    def primary_region(self) -> str:
        return self.topology.primary.name

    @cached_property
    def stacks(self) -> dict[str, Stack]:
        """Stack key -> stack, from the topology (built once per run, as it is). Several stacks
        share a role (every secondary, every peering): the key is what tells them apart."""
        return {s.key: s for s in self.topology.stacks}

    def client(self, service: str, region: str) -> Any:
        return self.sessions.client(service, region)

    def deployed(self, stack: StackRef) -> StackOutputs:
        """Outputs of a stack (by key, a region's or a peering's) that must be deployed and
        stable (after-deploy, verify)."""
        return self.outputs.deployed(self._stack(stack))

    def existing(self, stack: StackRef) -> StackOutputs | None:
        """Outputs of a stack if it exists in any state (before-destroy tolerates gaps). A stack
        outside the topology (a removed region's) is passed as a `Stack`."""
        return self.outputs.existing(self._stack(stack))

    def _stack(self, stack: StackRef) -> Stack:
        if isinstance(stack, RegionNode | Peering):
            return stack.stack
        return stack if isinstance(stack, Stack) else self.topology.stack(stack)


class Plugin:
    """Base class: subclasses set `name`, `summary`, `hooks` and implement those hooks."""

    name: ClassVar[str]
    summary: ClassVar[str]
    hooks: ClassVar[tuple[Hook, ...]]
    # True when `before_destroy` deletes data (bucket contents, replica tables): the runner skips
    # it in a protected environment, whose data stores are retained (see `Project.protected`).
    destroys_data: ClassVar[bool] = False

    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        raise NotImplementedError

    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        raise NotImplementedError

    def verify(self, pc: PluginContext) -> list[Check]:
        raise NotImplementedError
