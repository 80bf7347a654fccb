"""Which stack waits for which, read from the topology (`Topology.needs`), keyed by stack key.

- primary: depends on nothing.
- each secondary: in `replica` database mode its database is a cross-region read replica of the
  primary's, so it waits for the primary; the secondaries never wait for each other, so they
  deploy concurrently. In `independent` mode every region deploys at once.
- each peering: reads both of its VPCs (Fn::GetStackOutput), so it waits for both of its ends
  and nothing else: a failed region stops only its own peerings.
Destroy runs the same graph with the edges reversed.
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.config import Context
from payinfra.topology import Stack, Topology

# Concurrent steps at most: each is a `sam build`/`sam deploy` process (a few hundred MB and a
# CPU while it packages), and CloudFormation itself does the waiting.
MAX_PARALLEL = 4


@dataclass(frozen=True)
class Node:
    stack: Stack
    needs: tuple[str, ...]  # keys of the stacks that must succeed first

    @property
    def key(self) -> str:
        return self.stack.key


def deploy_plan(ctx: Context) -> list[Node]:
    topology = Topology.from_context(ctx)
    return [Node(stack, topology.needs(stack)) for stack in topology.stacks]


def reverse(forward: list[Node]) -> list[Node]:
    """The same nodes with the edges reversed: each waits for every node that needed it."""
    return [
        Node(node.stack, tuple(other.key for other in forward if node.key in other.needs))
        for node in reversed(forward)
    ]


def destroy_plan(ctx: Context) -> list[Node]:
    """A stack is deleted after every stack that depended on it."""
    return reverse(deploy_plan(ctx))


def waves(nodes: list[Node]) -> list[list[Node]]:
    """Nodes grouped by depth: each wave may run concurrently once the previous one is done."""
    done: set[str] = set()
    remaining = list(nodes)
    result = []
    while remaining:
        ready = [n for n in remaining if set(n.needs) <= done]
        if not ready:
            raise ValueError(f"dependency cycle among {[n.key for n in remaining]}")
        result.append(ready)
        done.update(n.key for n in ready)
        remaining = [n for n in remaining if n not in ready]
    return result


def parallelism(nodes: list[Node], limit: int = MAX_PARALLEL) -> int:
    """Workers for a plan: its widest wave (the concurrency it is shaped for), at most `limit`."""
    widest = max((len(wave) for wave in waves(nodes)), default=1)
    return max(1, min(widest, limit))
