"""deploy/destroy/CLI: checks before changes, failures stop dependants, clear errors, no tracebacks."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path

import boto3
import pytest

from localaws.testing import mock_aws
from payinfra.__main__ import main
from payinfra.config import Context, load_context
from payinfra.deploy import commands
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.preflight import check_stack_states
from payinfra.deploy.sam import CommandResult
from payinfra.deploy.samconfig import read_samconfig
from payinfra.plugins.outputs import StaticOutputs
from payinfra.render.environments import ENVIRONMENTS_DIR, Environment
from payinfra.render.renderer import render_all, write_all
from payinfra.topology import stacks

# python3.11 is the interpreter running the tests: a runtime every machine running them has.
OVERRIDES = ["defaults.lambda.runtime=python3.11"]


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


def build(env: str) -> str:
    """`sam build` as the orchestration runs it: into its own build dir, never a user's."""
    return f"sam build --config-env {env} --build-dir .aws-sam/payinfra-build/{env}/build"


def deploy(env: str, root: Path) -> str:
    """`sam deploy` of that build; samconfig named absolutely (SAM looks beside the template)."""
    config = (root / "samconfig.toml").resolve()
    template = f".aws-sam/payinfra-build/{env}/build/template.yaml"
    return f"sam deploy --config-env {env} --config-file {config} --template-file {template}"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


@pytest.fixture
def ctx() -> Context:
    return load_context(overrides=OVERRIDES)


@pytest.fixture
def root(tmp_path: Path, ctx: Context) -> Path:
    write_all(render_all(ctx), tmp_path)
    return tmp_path


def runtime(
    ctx: Context, root: Path, sam: FakeSam, lines: list[str], environment: Environment | None = None
) -> commands.Runtime:
    environ = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return commands.Runtime(
        ctx, echo=lines.append, command_runner=sam, environ=environ, root=root, environment=environment
    )


def test_failed_primary_stops_secondary_peering_and_plugins(
    credentials: None, ctx: Context, root: Path
) -> None:
    sam = FakeSam(fail={"deploy --config-env default": CommandResult(1, "Error: Failed to create changeset")})
    lines: list[str] = []
    assert commands.deploy(runtime(ctx, root, sam, lines)) == 1
    assert sam.commands == [build("default"), deploy("default", root)]
    text = "\n".join(lines)
    assert "primary    failed" in text and "not run: primary failed" in text
    assert "] after-deploy plugins" not in text
    assert "Failed to create changeset" in text


def test_stacks_then_plugins_in_order(credentials: None, ctx: Context, root: Path) -> None:
    sam = FakeSam(
        fail={"deploy --config-env peering": CommandResult(1, "No changes to deploy. Stack is up to date")}
    )
    lines: list[str] = []
    code = commands.deploy(runtime(ctx, root, sam, lines))
    assert sam.commands == [
        build("default"),
        deploy("default", root),
        build("us-east-2"),
        deploy("us-east-2", root),
        build("peering"),
        deploy("peering", root),
    ]
    text = "\n".join(lines)
    assert "peering: no changes" in text
    # The fake sam created no stack: every plugin says so clearly, and the run fails.
    assert text.index("] after-deploy plugins") > text.index("peering: no changes")
    assert "FAILED: stack payments-primary-dev does not exist in us-east-1: deploy it first" in text
    assert code == 1


def test_stale_render_stops_before_any_command(credentials: None, ctx: Context, root: Path) -> None:
    (root / "template.peering.yaml").write_text("# edited by hand\n")
    sam = FakeSam()
    with pytest.raises(OrchestrationError, match=r"stale .*template.peering.yaml.*python render.py"):
        commands.deploy(runtime(ctx, root, sam, []))
    assert sam.commands == []


def test_blocking_stack_states_are_explained() -> None:
    ctx = load_context()
    outputs = StaticOutputs(
        {"primary": {}, "secondary": {}},
        status={"primary": "ROLLBACK_COMPLETE", "secondary": "UPDATE_IN_PROGRESS"},
    )
    with pytest.raises(OrchestrationError) as error:
        check_stack_states(outputs, stacks(ctx))
    assert "payments-primary-dev (us-east-1) is ROLLBACK_COMPLETE: its creation never completed" in str(
        error.value
    )
    assert "payments-secondary-dev (us-east-2) is UPDATE_IN_PROGRESS: wait" in str(error.value)


def test_destroy_confirmation(ctx: Context, root: Path) -> None:
    rt = runtime(ctx, root, FakeSam(), [])
    with pytest.raises(OrchestrationError, match="stdin is not a terminal: pass --yes"):
        commands.confirm_destroy(rt, yes=False, stdin_is_tty=False)
    with pytest.raises(OrchestrationError, match="not confirmed: nothing was deleted"):
        commands.confirm_destroy(rt, yes=False, stdin_is_tty=True, ask=lambda _: "prod")
    commands.confirm_destroy(rt, yes=False, stdin_is_tty=True, ask=lambda _: "dev")
    commands.confirm_destroy(rt, yes=True, stdin_is_tty=False)


PROD = [
    "project.environment=prod",
    "us-east-1.certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "us-east-2.certificate_arn=arn:aws:acm:us-east-2:123456789012:certificate/abc",
]


def test_a_protected_environment_is_destroyed_only_when_named(root: Path) -> None:
    from payinfra.config import load_context

    rt = runtime(load_context(overrides=PROD), root, FakeSam(), [])
    with pytest.raises(OrchestrationError, match="protected: --yes is not enough"):
        commands.confirm_destroy(rt, yes=True, stdin_is_tty=False)
    with pytest.raises(OrchestrationError, match="does not name this environment"):
        commands.confirm_destroy(rt, yes=True, stdin_is_tty=False, confirm_environment="dev")
    with pytest.raises(OrchestrationError, match="not confirmed"):
        commands.confirm_destroy(rt, yes=False, stdin_is_tty=True, ask=lambda _: "dev")  # the suffix
    commands.confirm_destroy(rt, yes=False, stdin_is_tty=True, ask=lambda _: "prod")
    commands.confirm_destroy(rt, yes=False, stdin_is_tty=False, confirm_environment="prod")


def test_a_refused_protected_destroy_deletes_nothing(credentials: None, root: Path) -> None:
    from payinfra.config import load_context

    sam = FakeSam()
    rt = runtime(load_context(overrides=PROD), root, sam, [])
    with pytest.raises(OrchestrationError):
        commands.destroy(rt, yes=True, stdin_is_tty=False)
    assert sam.commands == []


def test_destroy_of_nothing_converges_without_sam(credentials: None, ctx: Context, root: Path) -> None:
    sam = FakeSam()
    lines: list[str] = []
    assert commands.destroy(runtime(ctx, root, sam, lines), yes=True) == 0
    assert sam.commands == []
    summary = lines[lines.index("destroy summary") :]
    assert [line.split()[:2] for line in summary if "already deleted" in line] == [
        ["peering", "ok"],
        ["secondary", "ok"],
        ["primary", "ok"],
    ]


# -- the CLI: expected failures are one message and exit 2 --------------------------------------


def test_cli_missing_credentials(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no AWS credentials found") and "Traceback" not in err


def test_cli_config_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--dry-run", "--set", "project.database_mode=mirror"]) == 2
    assert "project.database_mode" in capsys.readouterr().err


def test_cli_lists_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "dynamodb-replica" in out and "after-deploy, before-destroy, verify" in out


def test_cli_destroy_without_tty_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["destroy"]) == 2
    assert "pass --yes" in capsys.readouterr().err


# -- environments side by side ------------------------------------------------------------------


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}


def test_another_environment_is_rendered_into_its_folder_and_deployed_from_there(
    credentials: None, root: Path
) -> None:
    committed = snapshot(root)
    pr42 = load_context(overrides=OVERRIDES, suffix="pr42")
    home = root / ENVIRONMENTS_DIR / "pr42"
    sam = FakeSam(fail={"deploy --config-env default": CommandResult(1, "stop here")})
    lines: list[str] = []
    rt = runtime(pr42, root, sam, lines, Environment("pr42", committed=False, root=root))
    assert commands.deploy(rt) == 1
    assert "rendered environment pr42 into .aws-sam/environments/pr42/" in lines
    assert "plan (deploy, environment pr42, database mode replica, from .aws-sam/environments/pr42):" in lines
    assert (  # the commands a user types in that folder
        "    payments-primary-pr42: sam build --config-env default --base-dir ../../.. "
        "&& sam deploy --config-env default" in lines
    )
    assert snapshot(root) == committed  # the committed environment's files are never written
    assert 'stack_name = "payments-primary-pr42"' in (home / "samconfig.toml").read_text()
    assert sam.cwds == {home}  # sam reads the folder's samconfig.toml, builds and logs under it
    assert sam.commands == [
        f"sam build --config-env default --base-dir {root} --build-dir .aws-sam/payinfra-build/default/build",
        f"sam deploy --config-env default --config-file {(home / 'samconfig.toml').resolve()} "
        "--template-file .aws-sam/payinfra-build/default/build/template.yaml",
    ]


def test_the_committed_environment_runs_in_the_root_without_a_render(credentials: None, root: Path) -> None:
    sam = FakeSam(fail={"deploy --config-env default": CommandResult(1, "stop here")})
    lines: list[str] = []
    commands.deploy(runtime(load_context(overrides=OVERRIDES), root, sam, lines))
    assert sam.cwds == {root}
    assert not (root / ENVIRONMENTS_DIR).exists()
    assert not any(line.startswith("rendered environment") for line in lines)


class DeletingSam(FakeSam):
    """`sam delete --config-env X` as SAM CLI does it: the stack named in cwd's samconfig.toml."""

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        result = super().__call__(argv, env=env, cwd=cwd, log_path=log_path, label=label)
        config = tomllib.loads((cwd / "samconfig.toml").read_text())[argv[argv.index("--config-env") + 1]]
        where = config["global"]["parameters"]
        cfn = boto3.client("cloudformation", region_name=where["region"])
        cfn.delete_stack(StackName=where["stack_name"])
        return result


def _create_stacks(ctx: Context) -> None:
    body = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
    for stack in stacks(ctx):
        boto3.client("cloudformation", region_name=stack.region).create_stack(
            StackName=stack.name, TemplateBody=body
        )


def _existing(ctx: Context) -> list[str]:
    names = []
    for stack in stacks(ctx):
        cfn = boto3.client("cloudformation", region_name=stack.region)
        found = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == stack.name]
        if found and found[0]["StackStatus"] != "DELETE_COMPLETE":
            names.append(stack.name)
    return names


def test_destroying_another_environment_deletes_only_its_stacks(credentials: None, root: Path) -> None:
    dev, pr42 = load_context(overrides=OVERRIDES), load_context(overrides=OVERRIDES, suffix="pr42")
    _create_stacks(dev)
    _create_stacks(pr42)
    sam = DeletingSam()
    environment = Environment("pr42", committed=False, root=root)
    rt = runtime(pr42, root, sam, [], environment)
    environment.home.mkdir(parents=True)
    write_all(render_all(pr42), environment.home)
    settings = read_samconfig(environment.home / "samconfig.toml", stacks(pr42))
    results = commands.delete_stacks(rt, commands.sam_cli(rt, settings), settings)
    assert {r.detail for r in results.values()} == {"deleted"}
    assert sam.cwds == {environment.home}
    assert _existing(pr42) == []
    assert _existing(dev) == ["payments-primary-dev", "payments-secondary-dev", "payments-peering-dev"]


def test_destroy_of_another_environment_renders_it_first_on_a_fresh_clone(
    credentials: None, root: Path
) -> None:
    lines: list[str] = []
    pr42 = load_context(overrides=OVERRIDES, suffix="pr42")
    rt = runtime(pr42, root, FakeSam(), lines, Environment("pr42", committed=False, root=root))
    assert commands.destroy(rt, yes=True, dry_run=True) == 0
    assert (root / ENVIRONMENTS_DIR / "pr42" / "samconfig.toml").is_file()
    assert "    payments-peering-pr42: sam delete --config-env peering --no-prompts" in lines
