"""Verify: every stack of the project exists and is in a completed, stable state."""

from __future__ import annotations

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.outputs import STABLE_STATES


class StackStatusPlugin(Plugin):
    name = "stack-status"
    summary = "verify: every stack (each region's, each peering's) is complete"
    hooks = (Hook.VERIFY,)

    def verify(self, pc: PluginContext) -> list[Check]:
        checks = []
        for stack in pc.stacks.values():
            outputs = pc.outputs.existing(stack)
            promise = f"stack {stack.name} complete"
            if outputs is None:
                checks.append(Check(promise, Status.BROKEN, "stack does not exist", stack.region))
            elif outputs.status in STABLE_STATES:
                checks.append(Check(promise, Status.HOLDS, outputs.status, stack.region))
            else:
                reason = outputs.status + (f": {outputs.status_reason}" if outputs.status_reason else "")
                checks.append(Check(promise, Status.BROKEN, reason, stack.region))
        return checks
