"""The main job end to end on the embedded local AWS (selected with `-m e2e`).

Deploy both regions, the peering and the plugins with the real SAM CLI; verify; redeploy with no
change (no stack changes, no plugin writes). A short disaster-recovery drill loses us-east-1,
fails over and back (nothing lost, nothing charged twice; verify holds after). Add a third
region (us-west-2) to the running dev deployment, verify every promise for it and its pair;
remove it again, verify, and find nothing of it left. Then a second environment, pr42, rendered
into its own folder, is deployed beside dev, verified and destroyed alone: dev's stacks,
resources and data are still there. Destroy dev; nothing any of them created is left.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from localaws import LocalAws, StackInventory
from payinfra.config import Context, load_context
from payinfra.deploy import commands
from payinfra.deploy.graph import StepState
from payinfra.deploy.preflight import environment_files
from payinfra.deploy.runtime import find_interpreter
from payinfra.deploy.samconfig import EnvSettings, read_samconfig
from payinfra.drill.local import drill_scenario
from payinfra.drill.options import DrillOptions
from payinfra.local_job import (
    LocalRun,
    check_nothing_left,
    confirm_alarm_subscriptions,
    create_hosted_zone,
    environment,
    take_inventories,
)
from payinfra.paths import ROOT
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.registry import default_plugins
from payinfra.plugins.runner import run_verify
from payinfra.render.environments import ENVIRONMENTS_DIR, locate
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
            create_hosted_zone(aws, ctx, lambda _line: None)  # the operator's, before any deploy
            rt = commands.Runtime(ctx, echo=lambda _line: None, environ=env, root=ROOT)
            yield aws, rt, read_samconfig(ROOT / SAMCONFIG_OUTPUT, stacks(ctx))


def test_deploy_redeploy_destroy(
    ctx: Context, local: tuple[LocalAws, commands.Runtime, dict[str, EnvSettings]], tmp_path: Path
) -> None:
    aws, rt, settings = local

    first = commands.run_deploy(rt, settings)
    assert {r.key: r.detail for r in first.stacks.values()} == {
        "us-east-1": "deployed", "us-east-2": "deployed", "peering-us-east-2": "deployed",
        "global": "deployed",
    }
    assert first.retirement is not None and first.retirement.found.stacks == ()
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
    # The local AWS performs every promise (replicas, object replication, rotation, health checks):
    # none is "not performed", and the cross-region ones hold.
    not_performed = {c.promise for c in first.checks if c.status == Status.NOT_PERFORMED}
    assert not_performed == set(), not_performed
    assert "objects replicate to us-east-2" in holds
    assert any(p.startswith("sessions table replica") for p in holds), holds
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

    run_a_short_drill(aws, rt, ctx, tmp_path)

    ledger, uploads = write_data(ctx)
    pr42 = deploy_grow_shrink_destroy_pr42(aws, rt, ctx)
    assert pr42.exit_code == 0
    # dev is untouched by pr42's deploy and destroy: every stack, resource and datum still there.
    for inventory in take_inventories(aws, ctx):
        assert inventory.complete, inventory.render()
    assert data_present(ctx.project.primary_region, ledger, uploads)

    destroyed = commands.run_destroy(rt, settings)
    assert destroyed.exit_code == 0
    assert {r.detail for r in destroyed.stacks.values()} == {"deleted"}

    run = LocalRun(
        deploy=first, inventories=inventories + pr42.inventories, destroy=destroyed
    )
    check_nothing_left(aws, run, ctx, echo=lambda _line: None)
    assert run.stacks_left == []
    assert {name: left for name, left in run.leftovers.items() if left} == {}
    assert run.log_groups_left == []
    assert run.exit_code == 0


def run_a_short_drill(aws: LocalAws, rt: commands.Runtime, ctx: Context, tmp_path: Path) -> None:
    """The disaster-recovery drill on the running dev deployment (strongly consistent ledger):
    lose us-east-1, fail over to us-east-2 without calling us-east-1, fail back; nothing
    acknowledged is lost or charged twice, and verify holds on the original topology after."""
    report_file = tmp_path / "drill.json"
    options = DrillOptions(payments=40, rate=10.0, report=report_file)
    assert drill_scenario(ctx, options)(aws, rt) == 0
    report = json.loads(report_file.read_text())
    assert report["ledger_consistency"] == "strong" and report["passed"] is True
    assert report["lost"] == [] and report["duplicates"] == [] and report["double_recorded"] == []
    assert report["rpo_s"] == 0 and report["rpo_payments"] == []
    assert report["acknowledged"] == 40
    # One answer was in flight at t0 and resent: the ledger answered it as a duplicate.
    assert report["answers_lost"] >= 1 and report["resent_as_duplicate"] >= 1
    assert report["calls_to_lost_region_during_failover"] == 0
    assert 0 < report["rto_s"] < 600
    # A quarter of the payments went through the queues: those stranded in us-east-1's queue by the
    # outage are among the acknowledged payments the ledger holds at the end (`lost` is empty).
    assert {s["name"] for s in report["steps"]} >= {"failover: fence", "failback: redrive messages"}
    after = run_verify(default_plugins(), rt.plugin_context())
    assert [c for c in after if c.status == Status.BROKEN] == []
    assert not any("degraded" in c.reason for c in after)


THREE_REGIONS = ROOT / "examples" / "three-regions.toml"
ADDED = "us-west-2"
# pr42 runs the eventually consistent ledger: a strongly consistent one fixes its regions when the
# table becomes global (the witness is chosen then), so dev (strong) cannot grow in place.
# Its replication-latency promise allows 10 s: with no writes in the window, verify times a probe
# item, and on a loaded 2-CPU runner each emulator request can take a second (seen: 2.02 s
# against dev's 2 s), which measures the machine, not replication (modelled at 0.5 s).
EVENTUAL = ['recovery.ledger_consistency="eventual"', "defaults.alarms.dynamodb_replication_latency_ms=10000"]


def add_then_remove_a_region(
    aws: LocalAws, rt: commands.Runtime, settings: dict[str, EnvSettings], ctx: Context
) -> list[StackInventory]:
    """us-west-2 added to the running deployment `ctx`, verified, then removed: the issue's
    "adding a region converges, removing one converges too". Returns the inventories of what the
    region added, which `check_nothing_left` proves gone at the end."""
    suffix = ctx.project.suffix
    three = load_context(THREE_REGIONS, overrides=EVENTUAL, suffix=suffix)  # one region more
    where = locate(three, three, config=THREE_REGIONS)
    grown_rt = commands.Runtime(
        three, echo=lambda _line: None, environ=rt.environ, root=ROOT, environment=where
    )
    environment_files(where, three, lambda _line: None)
    grown = commands.run_deploy(
        grown_rt, read_samconfig(where.home / SAMCONFIG_OUTPUT, stacks(three)), run_verify_after=False
    )
    details = {key: r.detail for key, r in grown.stacks.items()}
    assert details["us-west-2"] == details["peering-us-west-2"] == "deployed", details
    assert all(h.ok for h in grown.hooks), grown.hooks
    assert confirm_alarm_subscriptions(aws, echo=lambda _line: None) == 1  # us-west-2's topic
    checks = run_verify(default_plugins(), grown_rt.plugin_context())
    assert [c for c in checks if c.status == Status.BROKEN] == []
    holds = {(c.promise, c.region) for c in checks if c.status == Status.HOLDS}
    for promise, where_ in [
        (f"stack payments-secondary-{suffix} complete", ADDED),
        ("WAF web ACL associated with the ALB", ADDED),
        ("default security group locked down", ADDED),
        (f"database secret replica in {ADDED} InSync with that region's key", ADDED),
        ("VPC peering active, seen from us-west-2", "us-east-1 <-> us-west-2"),
        ("replication configured as intended on the source bucket", "us-east-1 -> us-west-2"),
        # the pair that was already there still holds beside the new one
        ("replication configured as intended on the source bucket", "us-east-1 -> us-east-2"),
        ("VPC peering active, seen from us-east-2", "us-east-1 <-> us-east-2"),
    ]:
        assert (promise, where_) in holds, (promise, where_)
    assert any(
        c.promise.startswith(f"peering flow {ADDED} ECS service -> us-east-1 database writer")
        for c in checks if c.status == Status.HOLDS
    )
    added = [i for i in take_inventories(aws, three) if i.region == ADDED or i.stack_name.endswith(ADDED)]
    assert sorted(i.stack_name for i in added) == [
        f"payments-peering-{suffix}-us-west-2", f"payments-secondary-{suffix}"
    ]
    assert all(i.complete for i in added), [i.render() for i in added]

    environment_files(rt.env, ctx, lambda _line: None)  # the two-region render again
    shrunk = commands.run_deploy(rt, settings, run_verify_after=False)
    assert shrunk.retirement is not None
    assert {key: r.detail for key, r in shrunk.retirement.stacks.items()} == {
        "peering-us-west-2": "deleted", ADDED: "deleted"
    }
    assert shrunk.exit_code == 0, shrunk
    checks = run_verify(default_plugins(), rt.plugin_context())
    assert [c for c in checks if c.status == Status.BROKEN] == []
    assert not any(ADDED in c.region or ADDED in c.promise for c in checks)
    for inventory in added:
        assert aws.leftovers(inventory) == [], inventory.stack_name
    # SAM CLI's own aws-sam-cli-managed-default stack (its artifact bucket) stays, as after any
    # `sam deploy` in a region: it is shared by every SAM app of the account (docs/operations.md).
    live = boto3.client("cloudformation", region_name=ADDED).list_stacks(
        StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_FAILED"]
    )["StackSummaries"]
    assert [s["StackName"] for s in live] == ["aws-sam-cli-managed-default"]
    again = commands.run_deploy(rt, settings, run_verify_after=False)
    assert again.retirement is not None and again.retirement.found.stacks == ()  # converged
    return added


def write_data(ctx: Context) -> tuple[tuple[str, str], tuple[str, str]]:
    """A ledger item and an uploaded object in dev: what pr42's destroy must never touch."""
    region = ctx.project.primary_region
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    table = ctx.names.concrete("ledger_table")
    bucket = ctx.names.concrete("uploads_bucket", region=region, account=account)
    boto3.client("dynamodb", region_name=region).put_item(
        TableName=table, Item={"payment_id": {"S": "kept-by-dev"}}
    )
    boto3.client("s3", region_name=region).put_object(Bucket=bucket, Key="kept-by-dev.txt", Body=b"dev")
    return (table, "kept-by-dev"), (bucket, "kept-by-dev.txt")


def data_present(region: str, ledger: tuple[str, str], uploads: tuple[str, str]) -> bool:
    dynamodb = boto3.client("dynamodb", region_name=region)
    item = dynamodb.get_item(TableName=ledger[0], Key={"payment_id": {"S": ledger[1]}}).get("Item")
    listed = boto3.client("s3", region_name=region).list_objects_v2(Bucket=uploads[0])
    return item is not None and uploads[1] in [o["Key"] for o in listed.get("Contents", [])]


def deploy_grow_shrink_destroy_pr42(aws: LocalAws, dev_rt: commands.Runtime, dev: Context) -> LocalRun:
    """`--suffix pr42` beside dev (eventually consistent ledger): its own folder and stacks,
    verified, grown by a region and shrunk again, then destroyed alone."""
    ctx = load_context(suffix="pr42", overrides=EVENTUAL)
    where = locate(ctx, dev)
    assert where.home == ROOT / ENVIRONMENTS_DIR / "pr42"
    lines: list[str] = []
    rt = commands.Runtime(ctx, echo=lines.append, environ=dev_rt.environ, root=ROOT, environment=where)
    environment_files(where, ctx, lines.append)
    assert "rendered environment pr42 into .aws-sam/environments/pr42/" in lines
    settings = read_samconfig(where.home / SAMCONFIG_OUTPUT, stacks(ctx))

    deployed = commands.run_deploy(rt, settings, run_verify_after=False)
    assert {r.detail for r in deployed.stacks.values()} == {"deployed"}, deployed.stacks
    assert all(h.ok for h in deployed.hooks), deployed.hooks
    assert confirm_alarm_subscriptions(aws, echo=lambda _line: None) == 2  # pr42's two topics
    checks = run_verify(default_plugins(), rt.plugin_context())
    assert [c for c in checks if c.status == Status.BROKEN] == []
    inventories = take_inventories(aws, ctx)
    assert [i.stack_name for i in inventories] == [s.name for s in stacks(ctx)]
    assert all(i.complete for i in inventories), [i.render() for i in inventories]
    assert (where.home / ".aws-sam" / "payinfra-build" / "default" / "build" / "template.yaml").is_file()
    inventories += add_then_remove_a_region(aws, rt, settings, ctx)

    destroyed = commands.run_destroy(rt, settings)
    assert {r.detail for r in destroyed.stacks.values()} == {"deleted"}, destroyed.stacks
    run = LocalRun(deploy=replace(deployed, checks=checks), inventories=inventories, destroy=destroyed)
    run.leftovers = {inv.stack_name: aws.leftovers(inv) for inv in inventories}
    assert {name: left for name, left in run.leftovers.items() if left} == {}
    assert stacks_present(aws, ctx) == []
    assert stacks_present(aws, dev) == [s.name for s in stacks(dev)]
    return run


def stacks_present(aws: LocalAws, ctx: Context) -> list[str]:
    """The environment's stacks that exist and are not deleted."""
    present = []
    for stack in stacks(ctx):
        cfn = aws.client("cloudformation", stack.region)
        found = cfn.list_stacks()["StackSummaries"]
        if any(s["StackName"] == stack.name and s["StackStatus"] != "DELETE_COMPLETE" for s in found):
            present.append(stack.name)
    return present
