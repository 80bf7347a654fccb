"""Run steps over a dependency graph, concurrently where the graph allows.

A failed step stops its dependants (reported as skipped, naming the failure) but not the
independent steps already running or still to come: a failing us-east-2 deploy skips the
peerings that need it, while us-west-2 and its peering go on. Results are keyed by stack key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum

from payinfra.deploy.plan import Node, parallelism


class StepState(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class StepResult:
    key: str  # the stack's key (a region name, or a peering's config env)
    state: StepState
    detail: str
    elapsed_s: float = 0.0


class StepFailed(Exception):
    """A step failed in an expected way (a command exited non-zero); the message is the reason."""


def run_graph(
    nodes: list[Node],
    step: Callable[[Node], str],
    *,
    max_parallel: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, StepResult]:
    """Run `step(node)` for each node once its needs succeeded; returns results by key.

    `step` returns a short detail ("deployed", "no changes") or raises; any exception fails
    the node (expected ones as `StepFailed`, others with their type so bugs stay visible).
    `max_parallel` defaults to the plan's widest wave, bounded (`plan.parallelism`).
    """
    workers = max_parallel if max_parallel is not None else parallelism(nodes)
    results: dict[str, StepResult] = {}
    pending = list(nodes)
    running: dict[Future[str], tuple[Node, float]] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while pending or running:
            progressed = False
            for node in list(pending):
                blocked = [k for k in node.needs if k in results and results[k].state != StepState.OK]
                if blocked:
                    pending.remove(node)
                    first = results[blocked[0]]
                    why = "failed" if first.state == StepState.FAILED else "was not run"
                    results[node.key] = StepResult(node.key, StepState.SKIPPED, f"not run: {first.key} {why}")
                    progressed = True
                elif all(k in results for k in node.needs):
                    pending.remove(node)
                    running[pool.submit(step, node)] = (node, clock())
                    progressed = True
            if not running:
                if pending and not progressed:  # nothing runs, nothing can start: a cycle or unknown key
                    raise ValueError(f"unsatisfiable needs: {[(n.key, n.needs) for n in pending]}")
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                node, started = running.pop(future)
                elapsed = clock() - started
                try:
                    detail = future.result()
                    results[node.key] = StepResult(node.key, StepState.OK, detail, elapsed)
                except StepFailed as err:
                    results[node.key] = StepResult(node.key, StepState.FAILED, str(err), elapsed)
                except Exception as err:  # reported like a failure; dependants are skipped
                    detail = f"{type(err).__name__}: {err}"
                    results[node.key] = StepResult(node.key, StepState.FAILED, detail, elapsed)
    return {n.key: results[n.key] for n in nodes}
