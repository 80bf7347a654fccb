"""The main job on the embedded local AWS: deploy, verify, summarise, destroy, prove nothing is left.

The pipeline is the unchanged one (`sam build`/`sam deploy --config-env ...`, the plugins,
`verify`, `sam delete`): the only local part is `AWS_ENDPOINT_URL` pointing at the in-process
emulator. What the emulator cannot do at all is said in the summary, never pretended.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from localaws import LocalAws, ResourceCheck, StackInventory
from payinfra.config import Context
from payinfra.deploy import commands, report
from payinfra.deploy.plan import deploy_plan
from payinfra.deploy.preflight import environment_files, preflight
from payinfra.deploy.samconfig import read_samconfig
from payinfra.plugins.traffic import ROUTE53_REGION, hosted_zones
from payinfra.render.environments import Environment
from payinfra.topology import SAMCONFIG_OUTPUT, stacks
from payinfra.topology.names import SHARED_LOG_GROUPS

# Promises the emulator accepts but cannot perform; `verify` reports them as "not performed".
EMULATOR_LIMITS = (
    "no code runs in the local AWS: Lambda invocations, ECS tasks and the PostgreSQL engine are "
    "described, not executed (the drill runs the payment handler in this process instead)",
    "AWS Backup runs no backup or copy job: vaults, plans and selections exist, recovery points never",
    "bucket-policy statements with a Condition are stored but not enforced",
)


@dataclass
class LocalRun:
    """What one run of the main job found (the e2e test and the benchmark read it)."""

    deploy: commands.Outcome | None = None
    inventories: list[StackInventory] = field(default_factory=list)
    destroy: commands.Outcome | None = None
    leftovers: dict[str, list[ResourceCheck]] = field(default_factory=dict)
    stacks_left: list[str] = field(default_factory=list)
    # Log groups still there after destroy: "<name> (<region>)". Shared ones are left on purpose.
    log_groups_left: list[str] = field(default_factory=list)
    shared_left: list[str] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)
    # What a scenario run between verify and destroy (the drill) returned: 0 = it passed.
    scenario_exit: int = 0

    @property
    def property_problems(self) -> list[str]:
        """Every declared security-relevant property that did not read back as declared."""
        return [f"{inv.stack_name}: {p.line()}" for inv in self.inventories for p in inv.property_problems()]

    @property
    def exit_code(self) -> int:
        codes = [o.exit_code for o in (self.deploy, self.destroy) if o is not None]
        if self.deploy is None or any(codes) or self.property_problems or self.scenario_exit:
            return 1
        return 1 if self.stacks_left or self.log_groups_left or any(self.leftovers.values()) else 0


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Replace os.environ for the block: boto3 sessions in this process see the emulator too."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def take_inventories(aws: LocalAws, ctx: Context) -> list[StackInventory]:
    """Each deployed stack's resources, checked through their own service APIs."""
    found = []
    for stack in stacks(ctx):
        try:
            found.append(aws.inventory(stack.name, stack.region))
        except (ClientError, BotoCoreError):
            continue  # not deployed (a failed deploy is reported by the deploy summary)
    return found


def print_summary(run: LocalRun, echo: Callable[[str], None]) -> None:
    echo("\nlocal AWS summary: resources per stack, each described through its own service API")
    rows = [
        [inv.stack_name, inv.region, str(len(inv.checks)), str(inv.created), str(inv.count("describable")),
         str(inv.count("missing") + inv.count("unchecked")), str(inv.count("not_materialised"))]
        for inv in run.inventories
    ]
    report.table(
        echo, ["stack", "region", "declared", "created", "describable", "missing", "not materialised"], rows
    )
    not_made: dict[str, list[str]] = {}
    for inv in run.inventories:
        for resource_type, ids in inv.not_materialised().items():
            not_made.setdefault(resource_type, []).extend(f"{inv.stack_name}:{i}" for i in ids)
    if not_made:
        echo("resource types the emulator could not materialise:")
        for resource_type, ids in sorted(not_made.items()):
            echo(f"  {resource_type}: {', '.join(ids)}")
    else:
        echo("every resource type the templates use was materialised and is describable")
    for inv in run.inventories:
        for problem in inv.problems():
            echo(f"  ! {inv.stack_name}: {problem.status} {problem.logical_id} ({problem.resource_type}) "
                 f"{problem.detail}".rstrip())
    print_readback(run, echo)
    echo("what the emulator cannot do at all:")
    for limit in EMULATOR_LIMITS:
        echo(f"  - {limit}")


def print_readback(run: LocalRun, echo: Callable[[str], None]) -> None:
    """Per stack: the declared security-relevant properties read back; every one that differs."""
    echo("security-relevant properties (keys, tracing, logging, public access, deletion protection, "
         "replication) read back through each resource's own API:")
    for inv in run.inventories:
        echo(f"  {inv.stack_name} ({inv.region}): {inv.readback_summary()}")
    if run.property_problems:
        echo(f"{len(run.property_problems)} declared properties do not read back as declared:")
        for line in run.property_problems:
            echo(f"  ! {line}")
    elif run.inventories:
        echo("every declared security-relevant property reads back as declared")


def check_nothing_left(aws: LocalAws, run: LocalRun, ctx: Context, echo: Callable[[str], None]) -> None:
    """After destroy: no project stack, and no resource any stack created still describable."""
    for stack in stacks(ctx):
        cfn = aws.client("cloudformation", stack.region)
        try:
            status = cfn.describe_stacks(StackName=stack.name)["Stacks"][0]["StackStatus"]
        except ClientError:
            continue  # does not exist: deleted
        if status != "DELETE_COMPLETE":
            run.stacks_left.append(f"{stack.name} ({status})")
    for inv in run.inventories:
        run.leftovers[inv.stack_name] = aws.leftovers(inv)
    check_log_groups_left(aws, run, ctx)
    for name in run.shared_left:
        echo(f"  shared, left on purpose: log group {name}")
    left = [c for checks in run.leftovers.values() for c in checks]
    if not left and not run.stacks_left and not run.log_groups_left:
        echo("nothing the project created is left")
        return
    for name in run.stacks_left:
        echo(f"  left: stack {name}")
    for name in run.log_groups_left:
        echo(f"  left: log group {name} (created outside the templates, or not deleted with its stack)")
    for c in left:
        echo(f"  left: {c.logical_id} ({c.resource_type}) {c.physical_id or ''} {c.detail}".rstrip())


def check_log_groups_left(aws: LocalAws, run: LocalRun, ctx: Context) -> None:
    """Every log group still in the project's regions after destroy.

    The emulator starts empty, so any group left was created by this run: one AWS created
    implicitly (not declared in a template) or one a stack failed to delete. The account-wide
    groups of `SHARED_LOG_GROUPS` are never deleted and are listed apart, as left on purpose.
    """
    for region in sorted(ctx.regions):
        logs = aws.client("logs", region)
        for page in logs.get_paginator("describe_log_groups").paginate():
            for group in page.get("logGroups", []):
                name = str(group["logGroupName"])
                (run.shared_left if name in SHARED_LOG_GROUPS else run.log_groups_left).append(
                    f"{name} ({region})"
                )


def wait_for_interrupt(aws: LocalAws, ctx: Context, echo: Callable[[str], None]) -> None:
    """--keep: leave the emulator up with the stacks deployed until Ctrl-C."""
    echo(f"\nthe emulator keeps running at {aws.endpoint_url} with the stacks deployed; Ctrl-C stops it")
    echo("explore it with any AWS SDK or the AWS CLI:")
    echo(f"  export AWS_ENDPOINT_URL={aws.endpoint_url} AWS_ACCESS_KEY_ID=testing "
         "AWS_SECRET_ACCESS_KEY=testing")
    for stack in stacks(ctx):
        echo(f"  aws cloudformation describe-stack-resources --region {stack.region} "
             f"--stack-name {stack.name}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        echo("stopping the emulator (everything in it is discarded)")


def confirm_alarm_subscriptions(aws: LocalAws, echo: Callable[[str], None]) -> int:
    """Do what each alarm subscriber does on AWS after a deploy: follow the link in the confirmation
    message SNS sent (ConfirmSubscription with its token). The emulator keeps email and HTTPS
    subscriptions pending until then, as AWS does (emulator fix `sns_subscriptions`), so without
    this step `verify` reports the alarm topics broken, naming the pending subscribers."""
    from localaws import confirmation_messages

    messages = confirmation_messages()
    for message in messages:
        sns = aws.client("sns", message.region)
        sns.confirm_subscription(TopicArn=message.topic_arn, Token=message.token)
        echo(f"  recipient confirmed: {message.protocol} {message.endpoint} ({message.region})")
    return len(messages)


def verify_after_recipients(
    aws: LocalAws, rt: commands.Runtime, deployed: commands.Outcome, echo: Callable[[str], None]
) -> commands.Outcome:
    """After a deploy run without its verify: recipients confirm their subscriptions, then verify."""
    from dataclasses import replace

    from payinfra.plugins.registry import default_plugins
    from payinfra.plugins.runner import run_verify

    if deployed.exit_code != 0:  # a stack or plugin failed: nothing to verify, as in run_deploy
        return deployed
    echo("alarm subscribers confirm their subscriptions (as recipients do on AWS)")
    confirm_alarm_subscriptions(aws, echo)
    echo("verify")
    began = time.monotonic()
    checks = run_verify(default_plugins(), rt.plugin_context())
    report.checks_table(echo, checks)
    return replace(deployed, checks=checks, verify_s=time.monotonic() - began)


def create_hosted_zone(aws: LocalAws, ctx: Context, echo: Callable[[str], None]) -> str:
    """The context's hosted zone, which an account must have before deploy (the preflight checks
    it; the global stack finds it by name): here the local job creates it, as an operator would."""
    route53 = aws.client("route53", ROUTE53_REGION)
    name = ctx.recovery.hosted_zone.rstrip(".") + "."
    found = hosted_zones(route53, name)
    if found:
        zone_id = str(found[0]["Id"]).split("/")[-1]
        echo(f"hosted zone {name} already exists in the local AWS ({zone_id})")
        return zone_id
    created = route53.create_hosted_zone(Name=name, CallerReference=f"payinfra-local-{ctx.project.suffix}")
    zone_id = str(created["HostedZone"]["Id"]).split("/")[-1]
    echo(f"hosted zone {name} created in the local AWS ({zone_id}); on AWS it must exist before deploy")
    return zone_id


def run_local(
    ctx: Context,
    *,
    files: Environment | None = None,
    keep: bool = False,
    wait_timeout_s: float = 1800.0,
    echo: Callable[[str], None] = print,
    scenario: Callable[[LocalAws, commands.Runtime], int] | None = None,
) -> LocalRun:
    """Start the emulator, then the same deploy/verify/destroy a real account gets.

    `files`: the environment whose render to deploy (default: the committed render in the root).
    `scenario`: run after verify and before destroy when the deploy succeeded (the drill); its
    exit code joins the job's.
    """
    run = LocalRun()
    with LocalAws(primary_region=ctx.project.primary_region) as aws:
        env = aws.subprocess_env(os.environ)
        echo(f"local AWS emulator (moto, in-process) at {aws.endpoint_url}")
        with environment(env):
            rt = commands.Runtime(
                ctx, echo=echo, environ=env, wait_timeout_s=wait_timeout_s, environment=files
            )
            began = time.monotonic()
            environment_files(rt.env, ctx, echo)
            create_hosted_zone(aws, ctx, echo)
            settings = read_samconfig(rt.home / SAMCONFIG_OUTPUT, stacks(ctx))
            # The same read-only account checks `deploy` starts with; what the local AWS cannot
            # answer is listed as "not checked", never as passed.
            preflight(ctx, rt.sessions, echo)
            commands.describe_plan(rt, deploy_plan(ctx), settings, "deploy")
            deployed = commands.run_deploy(rt, settings, run_verify_after=False)
            run.deploy = verify_after_recipients(aws, rt, deployed, echo)
            run.phases["deploy (build, deploy, plugins, verify)"] = time.monotonic() - began
            run.inventories = take_inventories(aws, ctx)
            print_summary(run, echo)
            if scenario is not None and run.deploy.exit_code == 0:
                began = time.monotonic()
                run.scenario_exit = scenario(aws, rt)
                run.phases["drill"] = time.monotonic() - began
            if keep:
                wait_for_interrupt(aws, ctx, echo)
                return run
            began = time.monotonic()
            run.destroy = commands.run_destroy(rt, settings)
            run.phases["destroy"] = time.monotonic() - began
            check_nothing_left(aws, run, ctx, echo)
    if run.property_problems:
        echo(f"\nlocal job: {len(run.property_problems)} declared properties do not read back as declared "
             "(listed above)")
    echo(f"\nlocal job: {'OK' if run.exit_code == 0 else 'FAILED'} "
         f"({', '.join(f'{k} {report.duration(v)}' for k, v in run.phases.items())})")
    return run
