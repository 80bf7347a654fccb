"""Benchmark of the whole pipeline on the embedded local AWS (a script that prints figures).

    .venv/bin/python bench/pipeline_bench.py

Prints the wall time of each phase (render, sam build per stack, sam deploy per stack, plugins,
verify, destroy), then the ratio of concurrent to sequential regional deploys measured in the
same run. It uses the `independent` database mode (the mode in which the two regions may deploy
concurrently), rendered into a scratch copy of the project so the repository is not touched.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from localaws import LocalAws  # noqa: E402
from payinfra.config import Context, load_context  # noqa: E402
from payinfra.deploy import commands  # noqa: E402
from payinfra.deploy.graph import StepState, run_graph  # noqa: E402
from payinfra.deploy.plan import Node, deploy_plan  # noqa: E402
from payinfra.deploy.samconfig import read_samconfig  # noqa: E402
from payinfra.local_job import environment  # noqa: E402
from payinfra.plugins.api import Hook  # noqa: E402
from payinfra.plugins.registry import default_plugins, select  # noqa: E402
from payinfra.plugins.runner import run_hook, run_verify  # noqa: E402
from payinfra.render.renderer import render_all, write_all  # noqa: E402
from payinfra.topology import SAMCONFIG_OUTPUT, Role, stacks  # noqa: E402

PROJECT_FILES = ("functions", "templates", "context.toml")


def timed(label: str, figures: dict[str, float], action: Callable[[], object]) -> object:
    began = time.perf_counter()
    result = action()
    figures[label] = time.perf_counter() - began
    print(f"  {label:<32} {figures[label]:7.1f} s", flush=True)
    return result


def scratch_project(ctx: Context) -> Path:
    """A copy of the project's sources with the independent-mode render written into it."""
    root = Path(tempfile.mkdtemp(prefix="pipeline-bench-"))
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            shutil.copy2(source, root / name)
    write_all(render_all(ctx), root)
    return root


def main() -> int:
    overrides = ["project.database_mode=independent"]
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    figures: dict[str, float] = {}
    ctx = load_context(overrides=overrides)
    print("phases (independent database mode; each stack's sam commands as a user types them)")
    timed("render (4 files)", figures, lambda: render_all(ctx))
    root = scratch_project(ctx)
    try:
        with LocalAws(primary_region=ctx.project.primary_region) as aws:
            env = aws.subprocess_env(os.environ)
            with environment(env):
                rt = commands.Runtime(ctx, echo=lambda _line: None, environ=env, root=root)
                settings = read_samconfig(root / SAMCONFIG_OUTPUT, stacks(ctx))
                sam = commands.sam_cli(rt, settings)  # the same SamCli (and PATH) the deploy uses
                regional = [n for n in deploy_plan(ctx) if n.stack.role != Role.PEERING]
                for stack in stacks(ctx):
                    env_name = settings[stack.key].config_env
                    timed(f"sam build {stack.key}", figures,
                          lambda e=env_name, k=stack.key: sam.run("build", e, k))
                for node in regional:
                    env_name = settings[node.key].config_env
                    timed(f"sam deploy {node.key} (sequential)", figures,
                          lambda e=env_name, k=node.key: sam.run("deploy", e, k))
                for stack in stacks(ctx):
                    if stack.role == Role.PEERING:
                        env_name = settings[stack.key].config_env
                        timed(f"sam deploy {stack.key}", figures,
                              lambda e=env_name, k=stack.key: sam.run("deploy", e, k))
                pc = rt.plugin_context()
                timed("plugins (after deploy)", figures,
                      lambda: run_hook(select(default_plugins(), Hook.AFTER_DEPLOY), Hook.AFTER_DEPLOY, pc))
                checks = timed("verify", figures, lambda: run_verify(default_plugins(), rt.plugin_context()))
                timed("destroy (plugins + sam delete x3)", figures,
                      lambda: commands.run_destroy(rt, settings))

                # The same regional deploys again, concurrently, on the emptied emulator.
                assert all(not n.needs for n in regional), "independent mode: no regional dependency"

                def deploy(node: Node) -> str:
                    return sam.run("deploy", settings[node.key].config_env, node.key)

                results = timed("sam deploy both (concurrent)", figures, lambda: run_graph(regional, deploy))
                failed = [r for r in results.values() if r.state != StepState.OK]
                commands.run_destroy(rt, settings)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    sequential = sum(v for k, v in figures.items() if k.endswith("(sequential)"))
    concurrent = figures["sam deploy both (concurrent)"]
    total = sum(v for k, v in figures.items() if "concurrent" not in k)
    print(f"\nregional deploys: sequential {sequential:.1f} s, concurrent {concurrent:.1f} s, "
          f"ratio concurrent/sequential {concurrent / sequential:.2f}")
    print(f"pipeline total (render, builds, deploys, plugins, verify, destroy): {total:.1f} s")
    print(f"verify: {len(checks)} promises checked")
    if failed:
        print(f"FAILED concurrent deploys: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
