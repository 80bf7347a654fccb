"""The main job end to end on the embedded local AWS (selected with `-m e2e`).

Deploy both regions, the peering and the plugins with the real SAM CLI; verify; redeploy with no
change (no stack changes, no plugin writes); destroy; nothing the project created is left.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest

from localaws import LocalAws
from payinfra.config import Context, load_context
from payinfra.deploy import commands
from payinfra.deploy.graph import StepState
from payinfra.deploy.runtime import find_interpreter
from payinfra.deploy.samconfig import EnvSettings, read_samconfig
from payinfra.local_job import (
    LocalRun,
    check_nothing_left,
    confirm_alarm_subscriptions,
    environment,
    take_inventories,
)
from payinfra.paths import ROOT
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.registry import default_plugins
from payinfra.plugins.runner import run_verify
from payinfra.topology import SAMCONFIG_OUTPUT, stacks

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ctx() -> Context:
    context = load_context()
    version = context.primary.function.runtime.removeprefix("python")
    if find_interpreter(version, os.environ) is None:
        pytest.skip(f"sam build needs Python {version} (the function runtime) on PATH or under pyenv")
    return context


@pytest.fixture(scope="module")
def local(ctx: Context) -> Iterator[tuple[LocalAws, commands.Runtime, dict[str, EnvSettings]]]:
    with LocalAws(primary_region=ctx.project.primary_region) as aws:
        env = aws.subprocess_env(os.environ)
        with environment(env):
            rt = commands.Runtime(ctx, echo=lambda _line: None, environ=env, root=ROOT)
            yield aws, rt, read_samconfig(ROOT / SAMCONFIG_OUTPUT, stacks(ctx))


def test_deploy_redeploy_destroy(
    ctx: Context, local: tuple[LocalAws, commands.Runtime, dict[str, EnvSettings]]
) -> None:
    aws, rt, settings = local

    first = commands.run_deploy(rt, settings)
    assert {r.role: r.detail for r in first.stacks.values()} == {
        "primary": "deployed", "secondary": "deployed", "peering": "deployed"
    }
    assert all(h.ok for h in first.hooks), first.hooks
    assert any(e.kind == EventKind.CHANGED for e in first.events)  # the plugins wired something
    # Until the recipients confirm, AWS and the emulator keep alarm subscriptions pending: broken.
    pending = [c for c in first.checks if c.status == Status.BROKEN]
    assert {(c.promise, c.region) for c in pending} == {
        ("alarm topic has a confirmed subscriber", region) for region in ctx.regions
    }, pending
    assert all("pending confirmation: email payments-oncall@example.com" in c.reason for c in pending)
    assert confirm_alarm_subscriptions(aws, echo=lambda _line: None) == 2
    first = replace(first, checks=run_verify(default_plugins(), rt.plugin_context()))
    broken = [c for c in first.checks if c.status == Status.BROKEN]
    assert broken == []
    holds = {c.promise for c in first.checks if c.status == Status.HOLDS}
    assert "alarm topic has a confirmed subscriber" in holds
    assert len(holds) >= 10, holds
    # What moto cannot perform is reported as such, never as holding.
    not_performed = {c.promise for c in first.checks if c.status == Status.NOT_PERFORMED}
    assert any(p.startswith("sessions table replica") for p in not_performed), not_performed
    assert "objects replicate to us-east-2" in not_performed
    assert "replication configured as intended on the source bucket" in holds

    inventories = take_inventories(aws, ctx)
    assert [i.stack_name for i in inventories] == [s.name for s in stacks(ctx)]
    for inventory in inventories:
        assert inventory.complete, inventory.render()
        assert inventory.not_materialised() == {}

    second = commands.run_deploy(rt, settings)
    assert all(r.state == StepState.OK and r.detail == "no changes" for r in second.stacks.values()), (
        second.stacks
    )
    assert [e for e in second.events if e.kind == EventKind.CHANGED] == []
    assert any(e.kind == EventKind.NO_CHANGE for e in second.events)
    assert [c for c in second.checks if c.status == Status.BROKEN] == []

    destroyed = commands.run_destroy(rt, settings)
    assert destroyed.exit_code == 0
    assert {r.detail for r in destroyed.stacks.values()} == {"deleted"}

    run = LocalRun(deploy=first, inventories=inventories, destroy=destroyed)
    check_nothing_left(aws, run, ctx, echo=lambda _line: None)
    assert run.stacks_left == []
    assert {name: left for name, left in run.leftovers.items() if left} == {}
    assert run.exit_code == 0
