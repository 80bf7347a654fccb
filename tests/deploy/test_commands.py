"""deploy/destroy/CLI: checks before changes, failures stop dependants, clear errors, no tracebacks."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from localaws.testing import mock_aws
from payinfra.__main__ import main
from payinfra.config import Context, load_context
from payinfra.deploy import commands
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.preflight import check_stack_states
from payinfra.deploy.sam import CommandResult
from payinfra.plugins.outputs import StaticOutputs
from payinfra.render.renderer import render_all, write_all
from payinfra.topology import stacks

# python3.11 is the interpreter running the tests: a runtime every machine running them has.
OVERRIDES = ["defaults.lambda.runtime=python3.11"]


class FakeSam:
    """Records `sam` invocations; fails the ones whose text contains a key of `fail`."""

    def __init__(self, fail: dict[str, CommandResult] | None = None) -> None:
        self.fail = fail or {}
        self.commands: list[str] = []

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        command = " ".join(["sam", *argv[1:]])
        self.commands.append(command)
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


def runtime(ctx: Context, root: Path, sam: FakeSam, lines: list[str]) -> commands.Runtime:
    environ = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    return commands.Runtime(ctx, echo=lines.append, command_runner=sam, environ=environ, root=root)


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
