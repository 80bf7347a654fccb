"""Stack outputs, read from CloudFormation once per stack (never guessed from names).

The outputs are the contract between the stacks and the plugins (templates/README.md). A missing
output is an error naming the stack and the output, so a template change that drops one fails
loudly at the plugin instead of half-configuring a resource.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from botocore.exceptions import ClientError

from payinfra.plugins.aws import RegionalSessions, error_code, error_message
from payinfra.plugins.errors import MissingOutputError, PluginError, StackStateError

if TYPE_CHECKING:
    from payinfra.topology import Stack

# States a stack can be built upon (plugins, verify, an update).
STABLE_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


@dataclass(frozen=True)
class StackOutputs:
    """One stack's status and outputs."""

    stack_name: str
    region: str
    status: str
    values: dict[str, str] = field(default_factory=dict)
    status_reason: str = ""

    def require(self, key: str) -> str:
        value = self.values.get(key, "")
        if not value:
            raise MissingOutputError(
                f"stack {self.stack_name} ({self.region}) has no output {key!r} "
                f"(outputs: {', '.join(sorted(self.values)) or 'none'}); the outputs contract is in "
                "templates/README.md: re-render and redeploy that stack"
            )
        return value

    def optional(self, key: str) -> str | None:
        return self.values.get(key) or None

    def require_list(self, key: str) -> list[str]:
        """A comma-joined output (`PrivateRouteTableIds`, `AlarmNames`) as a list."""
        return [item.strip() for item in self.require(key).split(",") if item.strip()]


class OutputsProvider(Protocol):
    def existing(self, stack: Stack) -> StackOutputs | None: ...

    def deployed(self, stack: Stack) -> StackOutputs: ...


def ensure_stable(outputs: StackOutputs | None, stack: Stack) -> StackOutputs:
    """The outputs of a stack in a stable state, else a `StackStateError` saying what to do."""
    if outputs is None:
        raise StackStateError(
            f"stack {stack.name} does not exist in {stack.region}: deploy it first "
            f"(sam build --config-env {stack.config_env} && sam deploy --config-env {stack.config_env})"
        )
    if outputs.status in STABLE_STATES:
        return outputs
    reason = f" ({outputs.status_reason})" if outputs.status_reason else ""
    if "ROLLBACK" in outputs.status or outputs.status.endswith("FAILED"):
        advice = (
            "a stack that never completed must be deleted before it can be deployed again "
            "(python -m payinfra destroy)"
            if outputs.status in {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"}
            else "fix the cause shown in the CloudFormation events and deploy again"
        )
        raise StackStateError(f"stack {stack.name} ({stack.region}) is in {outputs.status}{reason}: {advice}")
    raise StackStateError(
        f"stack {stack.name} ({stack.region}) is in {outputs.status}{reason}: wait for it to finish"
    )


class CloudFormationOutputs:
    """`DescribeStacks` once per stack, cached for the run; `refresh()` after a deploy."""

    def __init__(self, sessions: RegionalSessions) -> None:
        self._sessions = sessions
        self._cache: dict[tuple[str, str], StackOutputs | None] = {}
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            self._cache.clear()

    def existing(self, stack: Stack) -> StackOutputs | None:
        key = (stack.name, stack.region)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        outputs = self._describe(stack)
        with self._lock:
            self._cache[key] = outputs
        return outputs

    def deployed(self, stack: Stack) -> StackOutputs:
        return ensure_stable(self.existing(stack), stack)

    def _describe(self, stack: Stack) -> StackOutputs | None:
        cfn = self._sessions.client("cloudformation", stack.region)
        try:
            found = cfn.describe_stacks(StackName=stack.name)["Stacks"]
        except ClientError as err:
            if error_code(err) == "ValidationError" and "does not exist" in str(err):
                return None
            raise PluginError(
                f"cannot read stack {stack.name} in {stack.region}: {error_message(err)}"
            ) from None
        if not found or found[0].get("StackStatus") == "DELETE_COMPLETE":
            return None
        described = found[0]
        return StackOutputs(
            stack_name=stack.name,
            region=stack.region,
            status=described["StackStatus"],
            values={o["OutputKey"]: o.get("OutputValue", "") for o in described.get("Outputs", [])},
            status_reason=described.get("StackStatusReason", ""),
        )


class StaticOutputs:
    """Outputs given by value: for tests, and for running plugins from recorded outputs."""

    def __init__(self, values: dict[str, dict[str, str]], status: dict[str, str] | None = None) -> None:
        self._values = values  # stack key (`Stack.key`) -> outputs
        self._status = status or {}

    def existing(self, stack: Stack) -> StackOutputs | None:
        if stack.key not in self._values:
            return None
        return StackOutputs(
            stack.name,
            stack.region,
            self._status.get(stack.key, "CREATE_COMPLETE"),
            self._values[stack.key],
        )

    def deployed(self, stack: Stack) -> StackOutputs:
        return ensure_stable(self.existing(stack), stack)
