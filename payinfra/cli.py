"""`python -m payinfra <command>`: one command line for everything the project does.

render, preflight, deploy, verify, destroy, plugins, local and invoke read the context: they share
one definition of --config, --suffix and --set. A --suffix or --set that changes the context is
another environment, rendered into its own folder beside the committed one (`payinfra.render.environments`).
gates and emulator take files and ports instead. `python render.py` is `python -m payinfra render`.

Exit codes: expected failures (bad config or arguments, stale render, missing credentials, a stack
in a bad state, a missing output) print one clear message and exit 2; a broken promise or failed
step exits 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from payinfra.config import ConfigError, Context, load_context
from payinfra.config.loader import DEFAULT_PATH
from payinfra.deploy import commands
from payinfra.deploy.errors import OrchestrationError
from payinfra.gates import cli as gates_cli
from payinfra.gates import runner as gates_runner
from payinfra.plugins.api import Hook
from payinfra.plugins.aws import error_message
from payinfra.plugins.errors import PluginError
from payinfra.render import cli as render_cli
from payinfra.render.environments import Environment, locate
from payinfra.render.renderer import RenderError

EXPECTED_FAILURE = 2
PROG = "python -m payinfra"
EMULATOR = "serve the local AWS until Ctrl-C (the options of `python -m localaws`)"
EMULATOR_EXAMPLES = ["python -m payinfra emulator --port 4566", "python -m payinfra emulator --list-rules"]


def context_options() -> argparse.ArgumentParser:
    """--config, --suffix, --set: defined once, shared by every command that reads the context."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=DEFAULT_PATH, help="context file (TOML)")
    common.add_argument(
        "--suffix",
        help="the environment (project.suffix); one other than the committed render's is rendered "
        "into .aws-sam/environments/SUFFIX/",
    )
    common.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one context key, e.g. us-east-2.alarms.latency_p99_ms=250 (repeatable)",
    )
    return common


def aws_options() -> argparse.ArgumentParser:
    """Options of the commands that talk to AWS (or the local AWS)."""
    aws = argparse.ArgumentParser(add_help=False)
    aws.add_argument(
        "--wait-timeout",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="bound on every plugin wait (replica ACTIVE, peering active); default 1800",
    )
    return aws


def _epilog(examples: list[str]) -> str:
    return "example:\n" + "\n".join(f"  {line}" for line in examples)


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],  # argparse's own type for add_parser
    name: str,
    summary: str,
    examples: list[str],
    parents: list[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        parents=parents,
        help=summary,
        description=summary,
        epilog=_epilog(examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def recovery_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    """`failover` and `failback` (payinfra.recovery)."""
    failover = _command(
        sub, "failover",
        "move payments to REGION, run from that region (resumable: rerun after an interruption)",
        ["python -m payinfra failover --to us-east-2 --yes           # the active region is lost",
         "python -m payinfra failover --to us-east-2 --planned --yes # drain and fence it first"],
        parents,
    )
    failover.add_argument("--to", required=True, metavar="REGION", help="the region that takes over")
    failover.add_argument(
        "--planned", action="store_true", help="the active region answers: fence it, wait out its cache"
    )
    failover.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    failback = _command(
        sub, "failback",
        "back to the context's primary: redrive, rebuild its database, copy uploads, planned switch",
        ["python -m payinfra failback --yes"], parents,
    )
    failback.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def build_parser() -> argparse.ArgumentParser:
    ctx, aws = context_options(), aws_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="example:\n  python -m payinfra local --suffix pr42\n\n`python -m payinfra COMMAND --help` "
        "describes each command.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = _command(
        sub, "render", "render templates/ and the context into the SAM templates and samconfig.toml",
        ["python -m payinfra render --check     # the committed files are current",
         "python -m payinfra render --suffix pr42  # into .aws-sam/environments/pr42/"],
        [ctx],
    )
    render.add_argument("--out", type=Path, help="output directory (default: the environment's folder)")
    render.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 naming files a render would change"
    )

    _command(
        sub, "preflight",
        "read-only account checks: what a deploy would fail on (quotas, names, versions, states)",
        ["python -m payinfra preflight --suffix pr42"], [ctx, aws],
    )
    deploy = _command(
        sub, "deploy",
        "render check (or fresh render), sam build/deploy per stack, plugins, retire removed regions, verify",
        ["python -m payinfra deploy --dry-run", "python -m payinfra deploy --suffix pr42",
         "python -m payinfra deploy --retire us-west-2  # protected: us-west-2 left the context"],
        [ctx, aws],
    )
    deploy.add_argument(
        "--dry-run", action="store_true", help="check the render and samconfig, print the plan"
    )
    deploy.add_argument("--no-verify", action="store_true", help="skip verify after the plugins")
    deploy.add_argument(
        "--skip-preflight", action="store_true", help="do not run the read-only account checks first"
    )
    deploy.add_argument(
        "--retire",
        action="append",
        default=[],
        metavar="REGION",
        help="a region removed from the context whose stacks a protected environment may delete "
        "(development environments retire them without it; repeatable)",
    )
    _command(
        sub, "verify", "check every cross-region promise against live state",
        ["python -m payinfra verify --suffix pr42"], [ctx, aws],
    )
    destroy = _command(
        sub, "destroy", "before-destroy plugins, then sam delete per stack (this environment's only)",
        ["python -m payinfra destroy --suffix pr42 --yes"], [ctx, aws],
    )
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation (development only)")
    destroy.add_argument(
        "--confirm-environment",
        metavar="NAME",
        help="confirm by naming the environment; the only way to destroy a protected one without a prompt",
    )
    destroy.add_argument("--dry-run", action="store_true", help="print the plan only")

    plugins = _command(
        sub, "plugins", "list the plugins, or run one hook",
        ["python -m payinfra plugins list", "python -m payinfra plugins run --after-deploy --suffix pr42"],
        [ctx, aws],
    )
    plugin_sub = plugins.add_subparsers(dest="plugins_command", metavar="list|run")
    _command(
        plugin_sub, "list", "list plugins and their hooks (default)", ["python -m payinfra plugins list"],
        [ctx, aws],
    )
    run = _command(
        plugin_sub, "run", "run one hook, e.g. after a plain `sam deploy`",
        ["python -m payinfra plugins run --after-deploy --only dynamodb-replica"], [ctx, aws],
    )
    hook = run.add_mutually_exclusive_group(required=True)
    hook.add_argument("--after-deploy", dest="hook", action="store_const", const=Hook.AFTER_DEPLOY)
    hook.add_argument("--before-destroy", dest="hook", action="store_const", const=Hook.BEFORE_DESTROY)
    hook.add_argument("--verify", dest="hook", action="store_const", const=Hook.VERIFY)
    run.add_argument("--only", action="append", metavar="PLUGIN", help="run only this plugin (repeatable)")

    local = _command(
        sub, "local", "deploy, verify and destroy on the embedded local AWS",
        ["python -m payinfra local", "python -m payinfra local --suffix pr42 --keep"], [ctx, aws],
    )
    local.add_argument(
        "--keep",
        action="store_true",
        help="after deploy, keep the emulator running with the stacks and print its endpoint (Ctrl-C ends)",
    )
    drill = local.add_argument_group(
        "disaster-recovery drill (--drill): after verify, lose the primary region, fail over, fail back, "
        "reconcile, report RTO and RPO, then destroy"
    )
    drill.add_argument("--drill", action="store_true", help="run the drill between verify and destroy")
    drill.add_argument("--payments", type=int, default=120, metavar="N", help="payments to send (120)")
    drill.add_argument("--rate", type=float, default=10.0, metavar="R", help="payments per second (10)")
    drill.add_argument(
        "--lag-ms", type=int, default=2000, metavar="L",
        help="replication lag of eventually consistent tables, ms (default 2000)",
    )
    drill.add_argument("--to", metavar="REGION", help="the secondary to fail over to (default: the first)")
    drill.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report here")
    invoke = _command(
        sub, "invoke",
        "run the payment handler in-process with the deployed function's environment, against a "
        "local AWS (AWS_ENDPOINT_URL); no Docker",
        ["python -m payinfra invoke --event events/sqs-batch.json --endpoint-url http://127.0.0.1:4566"],
        [ctx, aws],
    )
    invoke.add_argument("--event", type=Path, required=True, help="event file (JSON): see events/")
    invoke.add_argument("--region", help="the region whose deployed function to use (default: the primary)")
    invoke.add_argument("--endpoint-url", help="the local AWS (default: $AWS_ENDPOINT_URL)")

    gates = _command(
        sub, "gates",
        "static security gates: sam validate --lint, checkov and the Control Tower cfn-guard rules on the "
        "SAM-expanded template, and the project's own checks",
        ["python -m payinfra gates", "python -m payinfra gates other.yaml --region eu-west-1"], [],
    )
    gates.add_argument(
        "templates",
        nargs="*",
        type=Path,
        help="templates to gate (default: the three rendered templates, each in its stack's region)",
    )
    gates.add_argument(
        "--region", help="region of the templates given (needed for any but the rendered ones)"
    )
    gates.add_argument("--jobs", type=int, default=2, help="tool processes at a time (default 2)")
    gates.add_argument(
        "--build-dir", type=Path, default=gates_runner.BUILD_DIR, help="where expanded templates are written"
    )
    recovery_commands(sub, [ctx, aws])
    _command(sub, "emulator", EMULATOR, EMULATOR_EXAMPLES, [])  # parsed by `python -m localaws`
    return parser


def load(args: argparse.Namespace) -> tuple[Context, Environment]:
    """The context with --suffix/--set applied, and the environment it renders to."""
    ctx = load_context(args.config, args.overrides, args.suffix)
    changed = args.overrides or args.suffix is not None
    return ctx, locate(ctx, load_context(args.config) if changed else ctx, config=args.config)


def _render(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    return render_cli.run(ctx, env, out=args.out, check=args.check)


def _local(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    from payinfra.local_job import run_local  # imports the local AWS: only for this command

    scenario = None
    if args.drill:
        from payinfra.drill.local import drill_scenario
        from payinfra.drill.options import DrillOptionError, DrillOptions

        try:
            options = DrillOptions(
                payments=args.payments, rate=args.rate, lag_ms=args.lag_ms, to=args.to, report=args.report
            )
            scenario = drill_scenario(ctx, options)
        except DrillOptionError as exc:
            print(f"{PROG} local: {exc}", file=sys.stderr)
            return EXPECTED_FAILURE
    return run_local(
        ctx, files=env, keep=args.keep, wait_timeout_s=args.wait_timeout, scenario=scenario
    ).exit_code


def _invoke(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    from payinfra.deploy import invoke

    return invoke.run(ctx, args.event, region=args.region, endpoint_url=args.endpoint_url)


def _runtime(args: argparse.Namespace, ctx: Context, env: Environment) -> commands.Runtime:
    return commands.Runtime(ctx, wait_timeout_s=args.wait_timeout, environment=env)


def _deploy(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    return commands.deploy(
        _runtime(args, ctx, env),
        dry_run=args.dry_run,
        run_verify_after=not args.no_verify,
        preflight=not args.skip_preflight,
        retire_named=args.retire,
    )


def _destroy(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    return commands.destroy(
        _runtime(args, ctx, env),
        yes=args.yes,
        dry_run=args.dry_run,
        confirm_environment=args.confirm_environment,
    )


def _plugins(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    return commands.run_plugins(_runtime(args, ctx, env), args.hook, args.only)


def _recovery(args: argparse.Namespace, ctx: Context, env: Environment) -> int:
    from payinfra.deploy import recovery_commands

    to, planned = getattr(args, "to", None), getattr(args, "planned", False)
    return recovery_commands.run(ctx, args.command, to=to, planned=planned, yes=args.yes)


Handler = Callable[[argparse.Namespace, Context, Environment], int]
HANDLERS: dict[str, Handler] = {
    "render": _render,
    "preflight": lambda args, ctx, env: commands.preflight(_runtime(args, ctx, env)),
    "deploy": _deploy,
    "verify": lambda args, ctx, env: commands.verify(_runtime(args, ctx, env)),
    "destroy": _destroy,
    "plugins": _plugins,
    "local": _local,
    "invoke": _invoke,
    "failover": _recovery,
    "failback": _recovery,
}


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "gates":
        return gates_cli.run(args.templates, region=args.region, jobs=args.jobs, build_dir=args.build_dir)
    if args.command == "plugins" and args.plugins_command in (None, "list"):
        return commands.list_plugins(print)
    ctx, env = load(args)
    return HANDLERS[args.command](args, ctx, env)


def emulator(argv: list[str]) -> int:
    """`emulator ARGS`: `python -m localaws ARGS`; its --help follows this command's example."""
    from localaws.__main__ import main as localaws_main  # moto loads only for this command

    if {"-h", "--help"} & set(argv):
        print(f"{PROG} emulator: {EMULATOR}\n\n{_epilog(EMULATOR_EXAMPLES)}\n")
    return localaws_main(argv)


def report_config_error(args: argparse.Namespace, err: ConfigError) -> None:
    """One line for one problem (e.g. a bad --set); a list otherwise."""
    written = " (nothing was written)" if args.command == "render" else ""
    if len(err.problems) == 1:
        print(f"config error in {args.config}: {err.problems[0]}{written}", file=sys.stderr)
        return
    print(f"config error in {args.config}{written}:", file=sys.stderr)
    for problem in err.problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["emulator"]:
        return emulator(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return dispatch(args)
    except ConfigError as err:
        report_config_error(args, err)
    except RenderError as err:
        print(f"render error: {err}; nothing was written", file=sys.stderr)
    except (OrchestrationError, PluginError) as err:
        print(f"error: {err}", file=sys.stderr)
    except ClientError as err:
        print(f"AWS error: {error_message(err)}", file=sys.stderr)
    except BotoCoreError as err:
        print(f"AWS client error: {err}", file=sys.stderr)
    except ResponseParserError as err:  # e.g. an endpoint answering HTML: not a BotoCoreError
        print(f"AWS client error: unreadable response from the endpoint: {str(err).splitlines()[0]}",
              file=sys.stderr)
    except KeyboardInterrupt:
        print(
            "\ninterrupted: every step is idempotent, run the same command again to converge", file=sys.stderr
        )
        return 130
    return EXPECTED_FAILURE
