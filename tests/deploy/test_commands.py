"""deploy/destroy/CLI: checks before changes, failures stop dependants, clear errors, no tracebacks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
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
from payinfra.paths import ROOT
from payinfra.plugins.outputs import StaticOutputs
from payinfra.plugins.traffic import ROUTE53_REGION
from payinfra.render.environments import ENVIRONMENTS_DIR, Environment
from payinfra.render.renderer import render_all, write_all
from payinfra.topology import stacks
from tests.deploy.fakes import DeletingSam, FakeSam, create_stacks, existing, runtime

# python3.11 is the interpreter running the tests: a runtime every machine running them has.
OVERRIDES = ["defaults.lambda.runtime=python3.11"]


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
        # An account ready for deploy has the context's hosted zone (the preflight refuses without
        # it; the project never creates it on AWS): as the local job does, create it first.
        zone = load_context(overrides=OVERRIDES).recovery.hosted_zone.rstrip(".") + "."
        boto3.client("route53", region_name=ROUTE53_REGION).create_hosted_zone(
            Name=zone, CallerReference="test-commands"
        )
        yield


@pytest.fixture
def ctx() -> Context:
    return load_context(overrides=OVERRIDES)


@pytest.fixture
def root(tmp_path: Path, ctx: Context) -> Path:
    write_all(render_all(ctx), tmp_path)
    return tmp_path


def test_failed_primary_stops_secondary_peering_and_plugins(
    credentials: None, ctx: Context, root: Path
) -> None:
    sam = FakeSam(fail={"deploy --config-env default": CommandResult(1, "Error: Failed to create changeset")})
    lines: list[str] = []
    assert commands.deploy(runtime(ctx, root, sam, lines)) == 1
    assert sam.commands == [build("default"), deploy("default", root)]
    text = "\n".join(lines)
    assert ["us-east-1", "failed"] in [line.split()[:2] for line in lines]
    assert "not run: us-east-1 failed" in text
    assert "] after-deploy plugins" not in text
    assert "Failed to create changeset" in text


def test_stacks_then_plugins_in_order(credentials: None, ctx: Context, root: Path) -> None:
    no_changes = CommandResult(1, "No changes to deploy. Stack is up to date")
    sam = FakeSam(fail={"deploy --config-env peering-us-east-2": no_changes})
    lines: list[str] = []
    code = commands.deploy(runtime(ctx, root, sam, lines))
    assert sam.commands[:4] == [
        build("default"),
        deploy("default", root),
        build("us-east-2"),
        deploy("us-east-2", root),
    ]
    # The peering and the global stack both need every regional stack, not each other: they run
    # concurrently after the secondary, each built before it is deployed.
    last = sam.commands[4:]
    envs = ("peering-us-east-2", "global")
    assert sorted(last) == sorted(command for env in envs for command in (build(env), deploy(env, root)))
    assert all(last.index(build(env)) < last.index(deploy(env, root)) for env in envs)
    assert "  step 3: peering-us-east-2 (peering), global (global)  [concurrently]" in lines
    text = "\n".join(lines)
    assert "peering-us-east-2: no changes" in text
    # The fake sam created no stack: every plugin says so clearly, and the run fails.
    plugins = text.index("] after-deploy plugins")
    assert plugins > text.index("peering-us-east-2: no changes")
    assert plugins > text.index("global: deployed")
    assert "retirement skipped: an after-deploy plugin failed" in text
    assert "FAILED: stack payments-primary-dev does not exist in us-east-1: deploy it first" in text
    assert code == 1


def test_stale_render_stops_before_any_command(credentials: None, ctx: Context, root: Path) -> None:
    (root / "template.peering.yaml").write_text("# edited by hand\n")
    sam = FakeSam()
    with pytest.raises(OrchestrationError, match=r"stale .*template.peering.yaml.*python render.py"):
        commands.deploy(runtime(ctx, root, sam, []))
    assert sam.commands == []


def test_blocking_stack_states_are_explained() -> None:
    ctx = load_context(ROOT / "examples" / "three-regions.toml")
    outputs = StaticOutputs(
        {"us-east-1": {}, "us-east-2": {}, "us-west-2": {}},
        status={"us-east-1": "ROLLBACK_COMPLETE", "us-west-2": "UPDATE_IN_PROGRESS"},
    )
    with pytest.raises(OrchestrationError) as error:
        check_stack_states(outputs, stacks(ctx))
    assert "payments-primary-dev (us-east-1) is ROLLBACK_COMPLETE: its creation never completed" in str(
        error.value
    )
    assert "payments-secondary-dev (us-west-2) is UPDATE_IN_PROGRESS: wait" in str(error.value)
    assert "us-east-2" not in str(error.value)


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
    deleted = [line.split()[:2] for line in summary if "already deleted" in line]
    # The global stack and the peering go first (concurrently: either may finish first), then
    # the secondary, then the primary.
    assert sorted(deleted[:2]) == [["global", "ok"], ["peering-us-east-2", "ok"]]
    assert deleted[2:] == [["us-east-2", "ok"], ["us-east-1", "ok"]]


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


def test_destroying_another_environment_deletes_only_its_stacks(credentials: None, root: Path) -> None:
    dev, pr42 = load_context(overrides=OVERRIDES), load_context(overrides=OVERRIDES, suffix="pr42")
    create_stacks(stacks(dev))
    create_stacks(stacks(pr42))
    sam = DeletingSam()
    environment = Environment("pr42", committed=False, root=root)
    rt = runtime(pr42, root, sam, [], environment)
    environment.home.mkdir(parents=True)
    write_all(render_all(pr42), environment.home)
    settings = read_samconfig(environment.home / "samconfig.toml", stacks(pr42))
    results = commands.delete_stacks(rt, commands.sam_cli(rt, settings), settings)
    assert {r.detail for r in results.values()} == {"deleted"}
    assert sam.cwds == {environment.home}
    assert existing(pr42) == []
    assert existing(dev) == [
        "payments-primary-dev (us-east-1)",
        "payments-secondary-dev (us-east-2)",
        "payments-peering-dev-us-east-2 (us-east-1)",
        "payments-global-dev (us-east-1)",
    ]


def test_destroy_of_another_environment_renders_it_first_on_a_fresh_clone(
    credentials: None, root: Path
) -> None:
    lines: list[str] = []
    pr42 = load_context(overrides=OVERRIDES, suffix="pr42")
    rt = runtime(pr42, root, FakeSam(), lines, Environment("pr42", committed=False, root=root))
    assert commands.destroy(rt, yes=True, dry_run=True) == 0
    assert (root / ENVIRONMENTS_DIR / "pr42" / "samconfig.toml").is_file()
    delete = "    payments-peering-pr42-us-east-2: sam delete --config-env peering-us-east-2 --no-prompts"
    assert delete in lines


# -- three regions -----------------------------------------------------------------------------

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"


def test_three_regions_deploy_every_env_each_after_what_it_needs(credentials: None, tmp_path: Path) -> None:
    ctx = load_context(THREE_REGIONS, OVERRIDES)
    write_all(render_all(ctx), tmp_path)
    sam = FakeSam()
    lines: list[str] = []
    commands.deploy(runtime(ctx, tmp_path, sam, lines))
    assert "  step 2: us-east-2 (secondary), us-west-2 (secondary)  [concurrently]" in lines
    done = {env: sam.commands.index(deploy(env, tmp_path)) for env in
            ("default", "us-east-2", "us-west-2", "peering-us-east-2", "peering-us-west-2", "global")}
    for env in ("us-east-2", "us-west-2"):  # each secondary builds into its own dir, after the primary
        assert sam.commands.index(build(env)) > done["default"]
    assert done["peering-us-east-2"] > max(done["default"], done["us-east-2"])
    assert done["peering-us-west-2"] > max(done["default"], done["us-west-2"])
    assert done["global"] > max(done["default"], done["us-east-2"], done["us-west-2"])  # every region's ALB
    assert sam.commands.index(build("global")) > max(done["default"], done["us-east-2"], done["us-west-2"])
    assert len(sam.commands) == 12


def test_retire_may_not_name_a_listed_region(credentials: None, ctx: Context, root: Path) -> None:
    sam = FakeSam()
    with pytest.raises(OrchestrationError, match="--retire us-east-2: the context still lists it"):
        commands.deploy(runtime(ctx, root, sam, []), retire_named=["us-east-2"])
    assert sam.commands == []


def test_another_config_file_is_never_the_committed_environment(tmp_path: Path) -> None:
    """Even with the committed file's exact content: it may be edited to list other regions."""
    from payinfra.cli import build_parser, load

    copy = tmp_path / "context.toml"
    copy.write_text((ROOT / "context.toml").read_text())
    for config in (str(THREE_REGIONS), str(copy)):
        _ctx, env = load(build_parser().parse_args(["deploy", "--config", config]))
        assert not env.committed and env.home == ROOT / ENVIRONMENTS_DIR / "dev"
    _ctx, env = load(build_parser().parse_args(["deploy"]))
    assert env.committed and env.home == ROOT
