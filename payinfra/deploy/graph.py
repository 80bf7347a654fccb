"""Run steps over a dependency graph, concurrently where the graph allows.

A failed step stops its dependants (reported as skipped, naming the failure) but not the
independent steps already running: in `independent` mode a failing us-east-2 deploy does not
abort the us-east-1 deploy half-way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum

from payinfra.deploy.plan import Node


class StepState(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepResult:
    role: str
    state: StepState
    detail: str
    elapsed_s: float = 0.0


class StepFailed(Exception):
    """A step failed in an expected way (a command exited non-zero); the message is the reason."""


def run_graph(
    nodes: list[Node],
    step: Callable[[Node], str],
    *,
    max_parallel: int = 2,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, StepResult]:
    """Run `step(node)` for each node once its needs succeeded; returns results by role.

    `step` returns a short detail ("deployed", "no changes") or raises; any exception fails
    the node (expected ones as `StepFailed`, others with their type so bugs stay visible).
    """
    results: dict[str, StepResult] = {}
    pending = list(nodes)
    running: dict[Future[str], tuple[Node, float]] = {}
    with ThreadPoolExecutor(max_workers=max_parallel) as pool:
        while pending or running:
            for node in list(pending):
                blocked = [r for r in node.needs if r in results and results[r].state != StepState.OK]
                if blocked:
                    pending.remove(node)
                    first = results[blocked[0]]
                    why = "failed" if first.state == StepState.FAILED else "was not run"
                    reason = f"not run: {first.role} {why}"
                    results[node.role] = StepResult(node.role, StepState.SKIPPED, reason)
                elif all(r in results for r in node.needs):
                    pending.remove(node)
                    running[pool.submit(step, node)] = (node, clock())
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                node, started = running.pop(future)
                elapsed = clock() - started
                try:
                    detail = future.result()
                    results[node.role] = StepResult(node.role, StepState.OK, detail, elapsed)
                except StepFailed as err:
                    results[node.role] = StepResult(node.role, StepState.FAILED, str(err), elapsed)
                except Exception as err:  # reported like a failure; dependants are skipped
                    detail = f"{type(err).__name__}: {err}"
                    results[node.role] = StepResult(node.role, StepState.FAILED, detail, elapsed)
    return {n.role: results[n.role] for n in nodes}
