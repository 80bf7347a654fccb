"""Stand-ins the deploy tests share: a recording `sam`, one that deletes as SAM CLI does, and a
runtime that runs them."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import boto3

from payinfra.config import Context
from payinfra.deploy import commands
from payinfra.deploy.sam import CommandResult
from payinfra.render.environments import Environment
from payinfra.topology import Stack, stacks

SIMPLE_TEMPLATE = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'


class FakeSam:
    """Records `sam` invocations; fails the ones whose text contains a key of `fail`."""

    def __init__(self, fail: dict[str, CommandResult] | None = None) -> None:
        self.fail = fail or {}
        self.commands: list[str] = []
        self.cwds: set[Path] = set()  # where each command ran

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        command = " ".join(["sam", *argv[1:]])
        self.commands.append(command)
        self.cwds.add(cwd)
        return next((r for key, r in self.fail.items() if key in command), CommandResult(0, "done"))


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


class DeletingSam(FakeSam):
    """`sam delete` as SAM CLI does it: `--stack-name`/`--region` when given, else the stack named
    in cwd's samconfig.toml env. A failed command deletes nothing."""

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        result = super().__call__(argv, env=env, cwd=cwd, log_path=log_path, label=label)
        if argv[1] != "delete" or result.returncode != 0:
            return result
        name, region = _option(argv, "--stack-name"), _option(argv, "--region")
        if name is None or region is None:
            envs = tomllib.loads((cwd / "samconfig.toml").read_text())
            where = envs[_option(argv, "--config-env") or "default"]["global"]["parameters"]
            name, region = where["stack_name"], where["region"]
        boto3.client("cloudformation", region_name=region).delete_stack(StackName=name)
        return result


def runtime(
    ctx: Context, root: Path, sam: FakeSam, lines: list[str], environment: Environment | None = None
) -> commands.Runtime:
    environ = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return commands.Runtime(
        ctx, echo=lines.append, command_runner=sam, environ=environ, root=root, environment=environment
    )


def create_stacks(all_stacks: list[Stack]) -> None:
    """Each stack as a one-topic stack in its region (under mock_aws)."""
    for stack in all_stacks:
        boto3.client("cloudformation", region_name=stack.region).create_stack(
            StackName=stack.name, TemplateBody=SIMPLE_TEMPLATE
        )


def existing(ctx: Context) -> list[str]:
    """The context's stacks that exist and are not deleted."""
    return [f"{s.name} ({s.region})" for s in stacks(ctx) if is_live(s.name, s.region)]


def is_live(name: str, region: str) -> bool:
    cfn = boto3.client("cloudformation", region_name=region)
    found = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == name]
    return any(s["StackStatus"] != "DELETE_COMPLETE" for s in found)
