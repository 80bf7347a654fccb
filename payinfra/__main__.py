"""`python -m payinfra deploy|preflight|verify|destroy|plugins|local`: the orchestration's command line.

Expected failures (bad config, stale render, missing credentials, a stack in a bad state, a
missing output) print one clear message and exit 2; a broken promise or failed step exits 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from payinfra.config import ConfigError, Context, load_context
from payinfra.config.loader import DEFAULT_PATH
from payinfra.deploy import commands
from payinfra.deploy.errors import OrchestrationError
from payinfra.plugins.api import Hook
from payinfra.plugins.aws import error_message
from payinfra.plugins.errors import PluginError

EXPECTED_FAILURE = 2


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, default=DEFAULT_PATH, help="context file (TOML)")
    common.add_argument("--suffix", help="override project.suffix (must match the rendered files)")
    common.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one context key, as for render.py (repeatable)",
    )
    common.add_argument(
        "--wait-timeout",
        type=float,
        default=1800.0,
        metavar="SECONDS",
        help="bound on every plugin wait (replica ACTIVE, peering active); default 1800",
    )
    return common


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    common = _common()
    parser = argparse.ArgumentParser(prog="python -m payinfra", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    deploy = sub.add_parser(
        "deploy", parents=[common], help="render check, sam build/deploy per stack, plugins, verify"
    )
    deploy.add_argument(
        "--dry-run", action="store_true", help="check the render and samconfig, print the plan"
    )
    deploy.add_argument("--no-verify", action="store_true", help="skip verify after the plugins")
    deploy.add_argument(
        "--skip-preflight", action="store_true", help="do not run the read-only account checks first"
    )
    sub.add_parser(
        "preflight",
        parents=[common],
        help="read-only account checks: what a deploy would fail on (quotas, names, versions, states)",
    )
    sub.add_parser("verify", parents=[common], help="check every cross-region promise against live state")
    destroy = sub.add_parser(
        "destroy", parents=[common], help="before-destroy plugins, then sam delete per stack"
    )
    destroy.add_argument("--yes", action="store_true", help="do not ask for confirmation (development only)")
    destroy.add_argument(
        "--confirm-environment",
        metavar="NAME",
        help="confirm by naming the environment; the only way to destroy a protected one without a prompt",
    )
    destroy.add_argument("--dry-run", action="store_true", help="print the plan only")
    plugins = sub.add_parser("plugins", parents=[common], help="list the plugins, or run one hook")
    plugin_sub = plugins.add_subparsers(dest="plugins_command")
    plugin_sub.add_parser("list", parents=[common], help="list plugins and their hooks (default)")
    run = plugin_sub.add_parser("run", parents=[common], help="run one hook, e.g. after a plain `sam deploy`")
    hook = run.add_mutually_exclusive_group(required=True)
    hook.add_argument("--after-deploy", dest="hook", action="store_const", const=Hook.AFTER_DEPLOY)
    hook.add_argument("--before-destroy", dest="hook", action="store_const", const=Hook.BEFORE_DESTROY)
    hook.add_argument("--verify", dest="hook", action="store_const", const=Hook.VERIFY)
    run.add_argument("--only", action="append", metavar="PLUGIN", help="run only this plugin (repeatable)")
    local = sub.add_parser(
        "local", parents=[common], help="deploy, verify and destroy on the embedded local AWS"
    )
    local.add_argument(
        "--keep",
        action="store_true",
        help="after deploy, keep the emulator running with the stacks and print its endpoint (Ctrl-C ends)",
    )
    invoke = sub.add_parser(
        "invoke",
        parents=[common],
        help="run the payment handler in-process with the deployed function's environment, against a "
        "local AWS (AWS_ENDPOINT_URL); no Docker",
    )
    invoke.add_argument("--event", type=Path, required=True, help="event file (JSON): see events/")
    invoke.add_argument("--region", help="the region whose deployed function to use (default: the primary)")
    invoke.add_argument("--endpoint-url", help="the local AWS (default: $AWS_ENDPOINT_URL)")
    return parser.parse_args(argv)


def run_local(args: argparse.Namespace, ctx: Context) -> int:
    """The main job: the same deploy/verify/destroy against the in-process emulator."""
    from payinfra.local_job import run_local as local_job

    return local_job(ctx, keep=args.keep, wait_timeout_s=args.wait_timeout).exit_code


def run_invoke(args: argparse.Namespace, ctx: Context) -> int:
    """The payment handler in-process against a local AWS, with its deployed environment."""
    from payinfra.deploy import invoke

    return invoke.run(ctx, args.event, region=args.region, endpoint_url=args.endpoint_url)


def dispatch(args: argparse.Namespace) -> int:
    if args.command == "plugins" and args.plugins_command in (None, "list"):
        return commands.list_plugins(print)
    ctx = load_context(args.config, args.overrides, args.suffix)
    if args.command in ("local", "invoke"):
        return run_local(args, ctx) if args.command == "local" else run_invoke(args, ctx)
    rt = commands.Runtime(ctx, wait_timeout_s=args.wait_timeout)
    if args.command == "deploy":
        return commands.deploy(
            rt, dry_run=args.dry_run, run_verify_after=not args.no_verify, preflight=not args.skip_preflight
        )
    if args.command in ("verify", "preflight"):
        return commands.verify(rt) if args.command == "verify" else commands.preflight(rt)
    if args.command == "destroy":
        return commands.destroy(
            rt, yes=args.yes, dry_run=args.dry_run, confirm_environment=args.confirm_environment
        )
    return commands.run_plugins(rt, args.hook, args.only)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return dispatch(args)
    except ConfigError as err:
        print(f"config error in {args.config}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
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


if __name__ == "__main__":
    sys.exit(main())
