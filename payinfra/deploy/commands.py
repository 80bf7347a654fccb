"""deploy, verify, destroy and the plugin commands: the orchestration a user runs.

Each command runs on one environment (`payinfra.render.environments`): the committed render in the
repository root, or another suffix's render, made fresh in its own folder.

deploy:  render check (or fresh render) -> samconfig check -> preflight (unless --skip-preflight)
         -> stack states -> `sam build` + `sam deploy` per stack in dependency order (the
         secondaries concurrently) -> after-deploy plugins -> retire the stacks of regions the
         context no longer lists (`retire.py`) -> verify -> summary.
verify:  every plugin's checks against live state; exit 1 when a promise is broken.
destroy: confirmation -> before-destroy plugins -> `sam delete` per stack in reverse order; only the
         environment's own stacks.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from payinfra.config import Context
from payinfra.deploy import report, retire
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.graph import StepFailed, StepResult, StepState, run_graph
from payinfra.deploy.plan import Node, deploy_plan, destroy_plan, waves
from payinfra.deploy.preflight import check_credentials, check_stack_states, environment_files
from payinfra.deploy.preflight import preflight as run_preflight
from payinfra.deploy.runtime import path_with_runtimes
from payinfra.deploy.sam import CommandRunner, SamCli, StreamingRunner, find_sam
from payinfra.deploy.samconfig import EnvSettings, read_samconfig
from payinfra.paths import ROOT
from payinfra.plugins.api import Check, Clock, Event, Hook, PluginContext, PluginReporter, Reporter, Status
from payinfra.plugins.aws import RegionalSessions, endpoint_description
from payinfra.plugins.outputs import CloudFormationOutputs
from payinfra.plugins.registry import default_plugins, select
from payinfra.plugins.runner import HookResult, run_hook, run_verify
from payinfra.render.environments import Environment, committed, render_into
from payinfra.topology import SAMCONFIG_OUTPUT, Role, Stack, stacks
from payinfra.topology.names import SHARED_LOG_GROUPS

LOG_DIR = Path(".aws-sam") / "payinfra-logs"  # under the environment's folder, next to its builds
RETIREMENT = "retirement"  # the reporter's name for what the plugins do to ready a removed region

# Readies a removed region for its stacks' deletion (payinfra.plugins.retirement).
PrepareRetirement = Callable[[PluginContext, str, PluginReporter], None]


def plugins_prepare_retirement(pc: PluginContext, region: str, out: PluginReporter) -> None:
    from payinfra.plugins.retirement import prepare_retirement

    prepare_retirement(pc, region, out)


# Readies a peering whose two regions both stay for its stack's deletion.
PreparePeeringRetirement = Callable[[PluginContext, str, str, PluginReporter], None]


def plugins_prepare_peering_retirement(
    pc: PluginContext, requester: str, accepter: str, out: PluginReporter
) -> None:
    from payinfra.plugins.retirement import prepare_peering_retirement

    prepare_peering_retirement(pc, requester, accepter, out)


@dataclass
class Runtime:
    """What the commands need from the outside world; tests substitute parts of it."""

    ctx: Context
    echo: Callable[[str], None] = print
    sessions: RegionalSessions = field(default_factory=RegionalSessions)
    command_runner: CommandRunner | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    root: Path = ROOT
    wait_timeout_s: float = 1800.0
    started: float = field(default_factory=time.monotonic)
    environment: Environment | None = None  # None: the committed render in `root`
    prepare_retirement: PrepareRetirement = plugins_prepare_retirement
    prepare_peering_retirement: PreparePeeringRetirement = plugins_prepare_peering_retirement

    @property
    def env(self) -> Environment:
        return self.environment or committed(self.ctx, self.root)

    @property
    def home(self) -> Path:
        """The folder holding this environment's templates and samconfig.toml; sam runs there."""
        return self.env.home

    def say(self, message: str) -> None:
        self.echo(f"[{report.duration(time.monotonic() - self.started)}] {message}")

    def plugin_context(self) -> PluginContext:
        return PluginContext(
            config=self.ctx,
            sessions=self.sessions,
            outputs=CloudFormationOutputs(self.sessions),
            reporter=Reporter(echo=self.echo),
            clock=Clock(),
            wait_timeout_s=self.wait_timeout_s,
        )


# -- deploy ------------------------------------------------------------------------------------


def describe_plan(rt: Runtime, nodes: list[Node], settings: dict[str, EnvSettings] | None, verb: str) -> None:
    mode = rt.ctx.project.database_mode
    where = "" if rt.env.committed else f", from {rt.env.shown()}"
    # In an environment's folder, the templates' CodeUri is relative to the repository.
    base_dir = "" if rt.env.committed else f" --base-dir {os.path.relpath(rt.root, rt.home)}"
    rt.echo(f"plan ({verb}, environment {rt.ctx.project.suffix}, database mode {mode}{where}):")
    for number, wave in enumerate(waves(nodes), start=1):
        together = ", ".join(f"{n.key} ({n.stack.role})" for n in wave)
        rt.echo(f"  step {number}: {together}" + ("  [concurrently]" if len(wave) > 1 else ""))
        for node in wave:
            env = node.stack.config_env
            commands = []
            if verb == "deploy":
                if settings is None or settings[node.key].builds:
                    commands.append(f"sam build --config-env {env}{base_dir}")
                commands.append(f"sam deploy --config-env {env}")
            else:
                commands.append(f"sam delete --config-env {env} --no-prompts")
            needs = f"  (after {', '.join(node.needs)})" if node.needs else ""
            rt.echo(f"    {node.stack.name}: {' && '.join(commands)}{needs}")
    if verb == "deploy":
        rt.echo(
            "  then: after-deploy plugins; retire the stacks of regions the context no longer lists "
            "(found in the partition's regions); verify"
        )


def sam_cli(rt: Runtime, settings: dict[str, EnvSettings]) -> SamCli:
    env = dict(rt.environ)
    building = {key for key, s in settings.items() if s.builds}
    runtimes = {
        rt.ctx.regions[s.region].function.runtime
        for s in stacks(rt.ctx)
        if s.key in building and s.role != Role.PEERING
    }
    if runtimes:
        env["PATH"] = path_with_runtimes(runtimes, env)
    return _sam(rt, env)


def _sam(rt: Runtime, environ: Mapping[str, str]) -> SamCli:
    """SAM CLI run in the environment's folder; `--base-dir` the repository outside the root.

    Telemetry is off unless the caller's environment sets it."""
    env = {"SAM_CLI_TELEMETRY": "0", **environ}
    return SamCli(
        find_sam(env),
        env=env,
        cwd=rt.home,
        log_dir=rt.home / LOG_DIR,
        runner=rt.command_runner or StreamingRunner(echo=rt.echo),
        echo=rt.echo,
        base_dir=None if rt.env.committed else rt.root,
    )


def _timed(rt: Runtime, verb: str, step: Callable[[Node], str]) -> Callable[[Node], str]:
    def run(node: Node) -> str:
        rt.say(f"{node.key}: {verb} {node.stack.name} ({node.stack.region}) started")
        began = time.monotonic()
        try:
            detail = step(node)
        except StepFailed as err:
            rt.say(f"{node.key}: {verb} FAILED after {report.duration(time.monotonic() - began)}")
            raise err from None
        rt.say(f"{node.key}: {detail} in {report.duration(time.monotonic() - began)}")
        return detail

    return run


def deploy_stacks(rt: Runtime, sam: SamCli, settings: dict[str, EnvSettings]) -> dict[str, StepResult]:
    def step(node: Node) -> str:
        env = settings[node.key]
        if env.builds:
            sam.run("build", env.config_env, node.key)
        outcome = sam.run("deploy", env.config_env, node.key)
        return "no changes" if outcome == "no changes" else "deployed"

    return run_graph(deploy_plan(rt.ctx), _timed(rt, "deploy", step))


@dataclass(frozen=True)
class Outcome:
    """What a deploy or destroy did: per-stack steps, plugin hooks and their events, checks."""

    stacks: dict[str, StepResult]
    hooks: list[HookResult] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    plugins_s: float = 0.0
    verify_s: float = 0.0
    retirement: retire.RetireOutcome | None = None  # deploy only

    @property
    def exit_code(self) -> int:
        failed = any(r.state != StepState.OK for r in self.stacks.values())
        failed = failed or any(not h.ok for h in self.hooks)
        failed = failed or (self.retirement is not None and not self.retirement.ok)
        return 1 if failed or any(c.status == Status.BROKEN for c in self.checks) else 0


def deploy(
    rt: Runtime,
    *,
    dry_run: bool = False,
    run_verify_after: bool = True,
    preflight: bool = True,
    retire_named: Sequence[str] = (),
) -> int:
    """`retire_named`: the removed regions (`--retire`) a protected environment may retire."""
    retire.check_names(rt.ctx, retire_named)
    environment_files(rt.env, rt.ctx, rt.echo)
    settings = read_samconfig(rt.home / SAMCONFIG_OUTPUT, stacks(rt.ctx))
    describe_plan(rt, deploy_plan(rt.ctx), settings, "deploy")
    if dry_run:
        rt.echo("dry run: nothing deployed (rendered files and samconfig.toml checked)")
        return 0
    if preflight:
        run_preflight(rt.ctx, rt.sessions, rt.echo)  # raises (exit 2) on any problem: nothing created
    else:
        rt.echo("preflight skipped (--skip-preflight)")
    return run_deploy(rt, settings, run_verify_after=run_verify_after, retire_named=retire_named).exit_code


def run_deploy(
    rt: Runtime,
    settings: dict[str, EnvSettings],
    *,
    run_verify_after: bool = True,
    retire_named: Sequence[str] = (),
) -> Outcome:
    """Credentials, stack states, build + deploy per stack, after-deploy plugins, retirement,
    verify, summary."""
    sam = sam_cli(rt, settings)
    account = check_credentials(rt.sessions, rt.ctx.project.primary_region)
    rt.say(f"account {account}, {endpoint_description()}")
    check_stack_states(CloudFormationOutputs(rt.sessions), stacks(rt.ctx))
    results = deploy_stacks(rt, sam, settings)
    hook_results: list[HookResult] = []
    events: list[Event] = []
    checks: list[Check] = []
    plugins_s = verify_s = 0.0
    retirement: retire.RetireOutcome | None = None
    if all(r.state == StepState.OK for r in results.values()):
        rt.say("after-deploy plugins")
        began = time.monotonic()
        pc = rt.plugin_context()
        hook_results = run_hook(select(default_plugins(), Hook.AFTER_DEPLOY), Hook.AFTER_DEPLOY, pc)
        events = list(pc.reporter.events)
        if all(h.ok for h in hook_results):
            retirement = retire_stacks(rt, sam, pc, retire_named)
            events = list(pc.reporter.events)
        else:
            rt.say("retirement skipped: an after-deploy plugin failed (the plugins unlink removed regions)")
        plugins_s = time.monotonic() - began
        if run_verify_after:
            rt.say("verify")
            began = time.monotonic()
            checks = run_verify(default_plugins(), rt.plugin_context())
            verify_s = time.monotonic() - began
    report.summary(rt.echo, "deploy", results, hook_results, checks)
    if retirement is not None and retirement.found.stacks:
        report.retirement(rt.echo, retirement)
    return Outcome(results, hook_results, events, checks, plugins_s, verify_s, retirement)


def retire_stacks(rt: Runtime, sam: SamCli, pc: PluginContext, named: Sequence[str]) -> retire.RetireOutcome:
    """Find this deployment's stacks the context no longer lists; retire what may be retired."""
    rt.say("retire: looking for stacks of regions the context no longer lists")
    found = retire.discover(rt.ctx, rt.sessions)
    if found.unreachable:
        rt.echo(f"  not enabled for this account (nothing there): {', '.join(found.unreachable)}")
    for name in (n for n in named if n not in found.names):
        rt.echo(f"  --retire {name}: nothing of this deployment is left there")
    if not found.stacks:
        rt.echo("  none found")
        return retire.RetireOutcome(found)
    rt.echo("  found, no longer in the context:")
    for retired in found.stacks:
        rt.echo(f"    {retired.line()}")
    allowed, refused = retire.authorised(rt.ctx, found, named)
    if refused:
        environment = rt.ctx.project.environment
        flags = " ".join(f"--retire {name}" for name in refused)
        rt.echo(
            f"  environment {environment!r} is protected: {', '.join(refused)} not retired (its data "
            f"stores are kept even then); to retire: python -m payinfra deploy {flags}"
        )
    regions = [region for region in found.regions if any(region in r.ends for r in allowed)]
    out = pc.reporter.for_plugin(RETIREMENT)

    def delete(node: Node) -> str:
        stack = node.stack
        return _delete_confirmed(rt, stack, lambda: sam.delete_stack(stack.name, stack.region, stack.key))

    results, failures = retire.retire(
        allowed,
        regions,
        prepare=lambda region: rt.prepare_retirement(pc, region, out),
        delete=_timed(rt, "retire", delete),
        prepare_peering=lambda requester, accepter: rt.prepare_peering_retirement(
            pc, requester, accepter, out
        ),
    )
    for region, error in failures.items():
        rt.say(f"retire: preparing {region} FAILED: {error}")
    return retire.RetireOutcome(found, results, failures, refused)


def _delete_confirmed(rt: Runtime, stack: Stack, delete: Callable[[], object]) -> str:
    """Delete a stack unless it is gone already, then check that it is."""
    if CloudFormationOutputs(rt.sessions).existing(stack) is None:
        return "already deleted"
    delete()
    left = CloudFormationOutputs(rt.sessions).existing(stack)
    if left is not None:
        raise StepFailed(f"{stack.name} is still {left.status} after sam delete: {left.status_reason}")
    return "deleted"


def preflight(rt: Runtime) -> int:
    """`python -m payinfra preflight`: read-only; a problem raises (one line each, exit 2)."""
    run_preflight(rt.ctx, rt.sessions, rt.echo)
    return 0


# -- verify and plugins ------------------------------------------------------------------------


def verify(rt: Runtime) -> int:
    account = check_credentials(rt.sessions, rt.ctx.project.primary_region)
    rt.say(f"verify: account {account}, {endpoint_description()}")
    checks = run_verify(default_plugins(), rt.plugin_context())
    report.checks_table(rt.echo, checks)
    return 1 if any(c.status == Status.BROKEN for c in checks) else 0


def run_plugins(rt: Runtime, hook: Hook, only: list[str] | None) -> int:
    """`python -m payinfra plugins run --after-deploy`: the hooks alone, e.g. after a plain `sam deploy`."""
    try:
        plugins = select(default_plugins(), hook, only)
    except ValueError as err:
        raise OrchestrationError(str(err)) from None
    account = check_credentials(rt.sessions, rt.ctx.project.primary_region)
    rt.say(f"{hook} plugins: account {account}, {endpoint_description()}")
    if hook == Hook.VERIFY:
        checks = run_verify(plugins, rt.plugin_context())
        report.checks_table(rt.echo, checks)
        return 1 if any(c.status == Status.BROKEN for c in checks) else 0
    results = run_hook(plugins, hook, rt.plugin_context(), stop_on_error=hook == Hook.BEFORE_DESTROY)
    report.hooks_table(rt.echo, results)
    return 0 if all(r.ok for r in results) else 1


def list_plugins(echo: Callable[[str], None]) -> int:
    rows = [[p.name, ", ".join(p.hooks), p.summary] for p in default_plugins()]
    report.table(echo, ["plugin", "hooks", "what it does"], rows)
    return 0


# -- destroy -----------------------------------------------------------------------------------


def confirm_destroy(
    rt: Runtime,
    *,
    yes: bool,
    stdin_is_tty: bool,
    confirm_environment: str | None = None,
    ask: Callable[[str], str] = input,
) -> None:
    """Refuse to destroy without confirmation; a protected environment must be named explicitly.

    Development: `--yes`, or the suffix typed at the prompt. Protected (production): `--yes` is not
    enough; `--confirm-environment NAME` or the environment's name typed at the prompt. Its data
    stores survive even then (Retain policies, deletion protection): see docs/operations.md.
    """
    project = rt.ctx.project
    names = ", ".join(s.name for s in stacks(rt.ctx))
    if project.protected:
        if confirm_environment is not None:
            if confirm_environment != project.environment:
                raise OrchestrationError(
                    f"--confirm-environment {confirm_environment!r} does not name this environment "
                    f"({project.environment!r}): nothing was deleted"
                )
            return
        if not stdin_is_tty:
            raise OrchestrationError(
                f"environment {project.environment!r} is protected: --yes is not enough; pass "
                f"--confirm-environment {project.environment} to delete its stacks (data stores are kept)"
            )
        prompt = (
            f"Environment {project.environment!r} is protected. This deletes {names}; its databases, "
            "tables, keys and buckets are kept. Type the environment name to confirm: "
        )
        if ask(prompt).strip() != project.environment:
            raise OrchestrationError("not confirmed: nothing was deleted")
        return
    if yes or confirm_environment == project.environment:
        return
    if not stdin_is_tty:
        raise OrchestrationError(
            "destroy needs confirmation and stdin is not a terminal: pass --yes to confirm"
        )
    prompt = f"This deletes {names} and empties their buckets. Type the suffix {project.suffix!r}: "
    answer = ask(prompt)
    if answer.strip() != project.suffix:
        raise OrchestrationError("not confirmed: nothing was deleted")


def delete_stacks(rt: Runtime, sam: SamCli | None, settings: dict[str, EnvSettings]) -> dict[str, StepResult]:
    def step(node: Node) -> str:
        def delete() -> str:
            if sam is None:
                raise StepFailed("SAM CLI unavailable")
            return sam.run("delete", settings[node.key].config_env, node.key)

        return _delete_confirmed(rt, node.stack, delete)

    return run_graph(destroy_plan(rt.ctx), _timed(rt, "delete", step))


def destroy(
    rt: Runtime,
    *,
    yes: bool,
    dry_run: bool = False,
    stdin_is_tty: bool | None = None,
    confirm_environment: str | None = None,
) -> int:
    if not rt.env.committed:  # a fresh clone has no render of it yet: sam delete reads samconfig
        render_into(rt.env, rt.ctx)
    settings = read_samconfig(rt.home / SAMCONFIG_OUTPUT, stacks(rt.ctx))
    describe_plan(rt, destroy_plan(rt.ctx), settings, "destroy")
    rt.echo("  before: before-destroy plugins (replica, replication, routes, bucket contents)")
    if dry_run:
        rt.echo("dry run: nothing deleted")
        return 0
    confirm_destroy(
        rt,
        yes=yes,
        stdin_is_tty=sys.stdin.isatty() if stdin_is_tty is None else stdin_is_tty,
        confirm_environment=confirm_environment,
    )
    return run_destroy(rt, settings).exit_code


def left_on_purpose(ctx: Context) -> list[str]:
    """What destroy never deletes because other environments share it (docs/operations.md, Teardown)."""
    regions = sorted(r for r, settings in ctx.regions.items() if settings.database.monitoring_interval_s)
    if not regions:
        return []
    return [
        f"shared, left on purpose: log group {name} in {', '.join(regions)} "
        f"({why}; docs/operations.md#teardown)"
        for name, why in SHARED_LOG_GROUPS.items()
    ]


def warn_retired(rt: Runtime) -> None:
    """destroy deletes the context's stacks only: say which of this deployment's are left elsewhere."""
    try:
        found = retire.discover(rt.ctx, rt.sessions)
    except OrchestrationError as err:
        rt.echo(f"could not look for stacks of regions the context no longer lists: {err}")
        return
    for retired in found.stacks:
        rt.echo(
            f"left: {retired.line()}: the context no longer lists {retired.retires}; list it again "
            "and destroy, or deploy first (it retires what the context no longer lists)"
        )


def run_destroy(rt: Runtime, settings: dict[str, EnvSettings]) -> Outcome:
    """Before-destroy plugins (stop at the first failure), then `sam delete` in reverse order."""
    account = check_credentials(rt.sessions, rt.ctx.project.primary_region)
    rt.say(f"account {account}, {endpoint_description()}")
    sam = _sam(rt, rt.environ)
    rt.say("before-destroy plugins")
    began = time.monotonic()
    pc = rt.plugin_context()
    hook_results = run_hook(
        select(default_plugins(), Hook.BEFORE_DESTROY), Hook.BEFORE_DESTROY, pc, stop_on_error=True
    )
    plugins_s = time.monotonic() - began
    if not all(h.ok for h in hook_results):
        report.hooks_table(rt.echo, hook_results)
        raise OrchestrationError(
            "a before-destroy plugin failed: no stack was deleted (stack deletion would fail on what it "
            "left); fix the cause and run destroy again"
        )
    results = delete_stacks(rt, sam, settings)
    report.summary(rt.echo, "destroy", results, hook_results, [])
    for line in left_on_purpose(rt.ctx):
        rt.echo(line)
    warn_retired(rt)
    return Outcome(results, hook_results, list(pc.reporter.events), [], plugins_s)
