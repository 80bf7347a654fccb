"""Which stack waits for which, read from the topology (`Topology.needs`).

- primary: depends on nothing.
- secondary: in `replica` database mode its database is a cross-region read replica of the
  primary's, so it waits for the primary; in `independent` mode the regions deploy concurrently.
- peering: reads both VPCs (Fn::GetStackOutput), so it waits for both.
Destroy runs the same graph with the edges reversed.
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.config import Context
from payinfra.topology import Stack, Topology


@dataclass(frozen=True)
class Node:
    stack: Stack
    needs: tuple[str, ...]  # roles that must succeed first

    @property
    def role(self) -> str:
        return self.stack.role


def deploy_plan(ctx: Context) -> list[Node]:
    topology = Topology.from_context(ctx)
    return [Node(stack, topology.needs(stack)) for stack in topology.stacks]


def destroy_plan(ctx: Context) -> list[Node]:
    """Reverse edges: a stack is deleted after every stack that depended on it."""
    forward = deploy_plan(ctx)
    return [
        Node(node.stack, tuple(other.role for other in forward if node.role in other.needs))
        for node in reversed(forward)
    ]


def waves(nodes: list[Node]) -> list[list[Node]]:
    """Nodes grouped by depth: each wave may run concurrently once the previous one is done."""
    done: set[str] = set()
    remaining = list(nodes)
    result = []
    while remaining:
        ready = [n for n in remaining if set(n.needs) <= done]
        if not ready:
            raise ValueError(f"dependency cycle among {[n.role for n in remaining]}")
        result.append(ready)
        done.update(n.role for n in ready)
        remaining = [n for n in remaining if n not in ready]
    return result
