"""The sam wrapper (commands as typed, empty change sets), runtime discovery, samconfig checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest

from payinfra.config import load_context
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.graph import StepFailed
from payinfra.deploy.runtime import (
    find_interpreter,
    path_with_runtimes,
    pyenv_file_versions,
    versions_missing_from_file,
)
from payinfra.deploy.sam import ORCHESTRATION_BUILD_ROOT, CommandResult, SamCli, StreamingRunner
from payinfra.deploy.samconfig import read_samconfig
from payinfra.paths import ROOT
from payinfra.render.renderer import render_all
from payinfra.topology import stacks


class FakeRunner:
    def __init__(self, results: list[CommandResult]) -> None:
        self.results = results
        self.argv: list[list[str]] = []

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        self.argv.append(argv)
        return self.results.pop(0)


def sam(tmp_path: Path, runner: FakeRunner, build_root: Path | None = None) -> SamCli:
    return SamCli(
        "/opt/bin/sam",
        env={},
        cwd=tmp_path,
        log_dir=tmp_path / "logs",
        runner=runner,
        echo=lambda _: None,
        build_root=build_root,
    )


def test_commands_are_the_ones_a_user_types(tmp_path: Path) -> None:
    runner = FakeRunner([CommandResult(0, ""), CommandResult(0, "Successfully created/updated stack")])
    cli = sam(tmp_path, runner)
    assert cli.run("build", "us-east-2", "us-east-2") == "ok"
    assert cli.run("deploy", "us-east-2", "us-east-2") == "ok"
    assert runner.argv == [
        ["/opt/bin/sam", "build", "--config-env", "us-east-2"],
        ["/opt/bin/sam", "deploy", "--config-env", "us-east-2"],
    ]


def test_the_orchestration_builds_and_deploys_from_its_own_build_dir(tmp_path: Path) -> None:
    runner = FakeRunner([CommandResult(0, ""), CommandResult(0, "Successfully created/updated stack")])
    cli = sam(tmp_path, runner, build_root=ORCHESTRATION_BUILD_ROOT)
    cli.run("build", "us-east-2", "us-east-2")
    cli.run("deploy", "us-east-2", "us-east-2")
    assert runner.argv == [
        ["/opt/bin/sam", "build", "--config-env", "us-east-2", "--build-dir",
         ".aws-sam/payinfra-build/us-east-2/build"],
        ["/opt/bin/sam", "deploy", "--config-env", "us-east-2", "--config-file",
         str((tmp_path / "samconfig.toml").resolve()), "--template-file",
         ".aws-sam/payinfra-build/us-east-2/build/template.yaml"],
    ]


def test_a_deploy_without_a_build_of_its_own_uses_samconfig(tmp_path: Path) -> None:
    """After a failed build (or none), never point sam deploy at a build that did not happen."""
    runner = FakeRunner([CommandResult(1, "Build Failed"), CommandResult(0, "done")])
    cli = sam(tmp_path, runner, build_root=ORCHESTRATION_BUILD_ROOT)
    with pytest.raises(StepFailed):
        cli.run("build", "peering-us-east-2", "peering-us-east-2")
    cli.run("deploy", "peering-us-east-2", "peering-us-east-2")
    assert runner.argv[-1] == ["/opt/bin/sam", "deploy", "--config-env", "peering-us-east-2"]


def test_delete_says_no_prompts_on_the_command_line(tmp_path: Path) -> None:
    runner = FakeRunner([CommandResult(0, "Deleted successfully")])
    assert sam(tmp_path, runner).run("delete", "peering-us-east-2", "peering-us-east-2") == "ok"
    assert runner.argv == [["/opt/bin/sam", "delete", "--config-env", "peering-us-east-2", "--no-prompts"]]


def test_a_stack_without_an_env_is_deleted_by_name_and_region(tmp_path: Path) -> None:
    """A removed region's stack: samconfig.toml has no env for it any more."""
    runner = FakeRunner([CommandResult(0, "Deleted successfully")])
    lines: list[str] = []
    cli = SamCli(
        "/opt/bin/sam", env={}, cwd=tmp_path, log_dir=tmp_path / "logs", runner=runner, echo=lines.append
    )
    assert cli.delete_stack("payments-secondary-dev", "us-west-2", "us-west-2") == "ok"
    assert runner.argv == [
        ["/opt/bin/sam", "delete", "--stack-name", "payments-secondary-dev", "--region", "us-west-2",
         "--no-prompts"]
    ]
    assert lines[0].endswith("(log: logs/us-west-2-delete.log)")


def test_an_environment_folder_builds_with_the_repositorys_code_and_its_own_build_dir(tmp_path: Path) -> None:
    """Outside the root, sam runs in the environment's folder; CodeUri resolves against the repository."""
    home = tmp_path / ".aws-sam/environments/pr42"
    runner = FakeRunner([CommandResult(0, ""), CommandResult(0, "done"), CommandResult(0, "Deleted")])
    lines: list[str] = []
    cli = SamCli(
        "/opt/bin/sam", env={}, cwd=home, log_dir=home / "logs", runner=runner, echo=lines.append,
        base_dir=tmp_path,
    )
    cli.run("build", "default", "us-east-1")
    cli.run("deploy", "default", "us-east-1")
    cli.run("delete", "default", "us-east-1")
    assert runner.argv == [
        ["/opt/bin/sam", "build", "--config-env", "default", "--base-dir", str(tmp_path), "--build-dir",
         ".aws-sam/payinfra-build/default/build"],
        ["/opt/bin/sam", "deploy", "--config-env", "default", "--config-file",
         str((home / "samconfig.toml").resolve()), "--template-file",
         ".aws-sam/payinfra-build/default/build/template.yaml"],
        ["/opt/bin/sam", "delete", "--config-env", "default", "--no-prompts"],
    ]
    assert lines[0] == (
        f"  us-east-1: sam build --config-env default --base-dir {tmp_path} --build-dir "
        ".aws-sam/payinfra-build/default/build  (in .aws-sam/environments/pr42)  "
        "(log: .aws-sam/environments/pr42/logs/us-east-1-build.log)"
    )


def test_an_empty_change_set_is_success_even_with_exit_1(tmp_path: Path) -> None:
    tail = "Error: No changes to deploy. Stack payments-primary-dev is up to date"
    assert (
        sam(tmp_path, FakeRunner([CommandResult(1, tail)])).run("deploy", "default", "us-east-1")
        == "no changes"
    )


def test_a_failed_command_reports_its_last_lines(tmp_path: Path) -> None:
    tail = "\n".join(f"line {i}" for i in range(30)) + "\nError: Failed to create changeset"
    with pytest.raises(StepFailed, match=r"`sam deploy --config-env default` exited 1") as failure:
        sam(tmp_path, FakeRunner([CommandResult(1, tail)])).run("deploy", "default", "us-east-1")
    assert "Failed to create changeset" in str(failure.value) and "line 5\n" not in str(failure.value)


def test_streaming_runner_logs_everything_and_keeps_a_tail(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "primary-build.log"
    script = "import sys\nfor i in range(40): print('out', i)\nprint('err', file=sys.stderr)\nsys.exit(3)"
    result = StreamingRunner(echo=lambda _: None)(
        [sys.executable, "-u", "-c", script], env={}, cwd=tmp_path, log_path=log, label="primary: build"
    )
    assert result.returncode == 3
    assert log.read_text().count("\n") == 41
    assert result.tail.splitlines()[-1] == "err" and "out 14" not in result.tail


# -- runtime discovery --------------------------------------------------------------------------


def _fake_python(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_interpreter_on_path_wins(tmp_path: Path) -> None:
    on_path = _fake_python(tmp_path / "bin", "python3.13")
    env = {"PATH": str(tmp_path / "bin"), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert find_interpreter("3.13", env, probe=lambda p: "3.13") == on_path


def test_pyenv_versions_are_searched_newest_first_and_shims_rejected(tmp_path: Path) -> None:
    shim = _fake_python(tmp_path / "shims", "python3.13")  # exists but fails when run
    _fake_python(tmp_path / "pyenv/versions/3.13.2/bin", "python3.13")
    newest = _fake_python(tmp_path / "pyenv/versions/3.13.10/bin", "python3.13")
    env = {"PATH": str(tmp_path / "shims"), "PYENV_ROOT": str(tmp_path / "pyenv")}
    found = find_interpreter("3.13", env, probe=lambda p: None if p == shim else "3.13")
    assert found == newest
    path = path_with_runtimes({"python3.13"}, env, probe=lambda p: None if p == shim else "3.13")
    assert path.split(":")[0] == str(newest.parent)


def test_python_version_file_selects_every_lambda_runtime_of_the_context() -> None:
    """pyenv shims read .python-version, so a plain `sam build` finds the runtime's Python."""
    ctx = load_context()
    runtimes = {region.function.runtime for region in ctx.regions.values()}
    assert versions_missing_from_file(runtimes, ROOT) == []
    # The project's own Python stays first (`make setup` runs python3 here); missing ones are skipped.
    assert pyenv_file_versions(ROOT)[:2] == ["3.11", "system"]


def test_versions_missing_from_file_names_the_runtime(tmp_path: Path) -> None:
    (tmp_path / ".python-version").write_text("3.11\n3.13.0\n")
    assert versions_missing_from_file({"python3.13"}, tmp_path) == []
    assert versions_missing_from_file({"python3.12", "python3.13"}, tmp_path) == ["3.12"]
    assert versions_missing_from_file({"python3.1"}, tmp_path) == ["3.1"]  # 3.11 is not 3.1
    assert versions_missing_from_file({"python3.13"}, tmp_path / "none") == ["3.13"]


def test_missing_runtime_says_what_to_install(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path / "nothing")}
    with pytest.raises(OrchestrationError, match=r"sam build needs python3\.13 .*pyenv install 3\.13"):
        path_with_runtimes({"python3.13"}, env, probe=lambda p: None)


# -- samconfig ---------------------------------------------------------------------------------


THREE_REGIONS = ROOT / "examples" / "three-regions.toml"


@pytest.fixture(scope="module")
def samconfig_text() -> str:
    return render_all(load_context())["samconfig.toml"]


@pytest.fixture(scope="module")
def three_regions_samconfig() -> str:
    return render_all(load_context(THREE_REGIONS))["samconfig.toml"]


def test_rendered_samconfig_matches_the_context(tmp_path: Path, samconfig_text: str) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text(samconfig_text)
    settings = read_samconfig(path, stacks(load_context()))
    assert {key: s.config_env for key, s in settings.items()} == {
        "us-east-1": "default",
        "us-east-2": "us-east-2",
        "peering-us-east-2": "peering-us-east-2",
        "global": "global",
    }
    assert all(s.builds for s in settings.values())


def test_every_stack_of_three_regions_has_its_own_env(tmp_path: Path, three_regions_samconfig: str) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text(three_regions_samconfig)
    settings = read_samconfig(path, stacks(load_context(THREE_REGIONS)))
    assert {key: s.config_env for key, s in settings.items()} == {
        "us-east-1": "default",
        "us-east-2": "us-east-2",
        "us-west-2": "us-west-2",
        "peering-us-east-2": "peering-us-east-2",
        "peering-us-west-2": "peering-us-west-2",
        "global": "global",
    }


def test_two_envs_sharing_a_build_dir_are_refused(tmp_path: Path, three_regions_samconfig: str) -> None:
    """The secondaries build concurrently: `sam build` empties its build dir before it builds."""
    path = tmp_path / "samconfig.toml"
    path.write_text(three_regions_samconfig.replace(".aws-sam/us-west-2/build", ".aws-sam/us-east-2/build"))
    shared = r"\[us-west-2\]: build_dir '.aws-sam/us-east-2/build' is also \[us-east-2\]'s"
    with pytest.raises(OrchestrationError, match=shared):
        read_samconfig(path, stacks(load_context(THREE_REGIONS)))


def test_region_and_name_mismatches_are_named(tmp_path: Path, samconfig_text: str) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text(samconfig_text.replace('region = "us-east-2"', 'region = "us-west-2"', 1))
    with pytest.raises(OrchestrationError, match=r"\[us-east-2\]: region is 'us-west-2' .*region mismatch"):
        read_samconfig(path, stacks(load_context()))
    path.write_text(
        samconfig_text.replace(
            'template_file = ".aws-sam/default/build/template.yaml"',
            'template_file = "template.primary.yaml"',
            1,
        )
    )
    with pytest.raises(OrchestrationError, match="must be the built template"):
        read_samconfig(path, stacks(load_context()))


def test_missing_samconfig_env(tmp_path: Path) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text("version = 0.1\n")
    with pytest.raises(
        OrchestrationError,
        match=r"\[peering-us-east-2\]: no deploy parameters for stack payments-peering-dev-us-east-2 "
        r"\(us-east-1\)",
    ):
        read_samconfig(path, stacks(load_context()))


def test_each_env_builds_into_its_own_dir_outside_the_orchestrations(samconfig_text: str) -> None:
    document = tomllib.loads(samconfig_text)
    build_dirs = {env: table["build"]["parameters"]["build_dir"] for env, table in document.items()
                  if isinstance(table, dict)}
    envs = ("default", "us-east-2", "peering-us-east-2", "global")
    assert build_dirs == {env: f".aws-sam/{env}/build" for env in envs}
    for env, build_dir in build_dirs.items():
        built = f"{build_dir}/template.yaml"
        assert document[env]["deploy"]["parameters"]["template_file"] == built
        assert document[env]["local_invoke"]["parameters"]["template_file"] == built
        assert not Path(build_dir).is_relative_to(ORCHESTRATION_BUILD_ROOT)
        # The cached strategy shares and prunes .aws-sam/deps across envs.
        assert document[env]["build"]["parameters"]["cached"] is False


# -- the documented command, run for real --------------------------------------------------------


def _repo_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("samconfig.toml", "template.secondary.yaml", ".python-version"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "functions", copy / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _sam_build(cwd: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "SAM_CLI_TELEMETRY": "0"}
    env.pop("PYENV_VERSION", None)  # would override .python-version
    return subprocess.run(
        [str(Path(sys.executable).with_name("sam")), "build", "--config-env", "us-east-2"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240, check=False,
    )


def test_documented_sam_build_works_as_written_and_spares_the_orchestrations_build(tmp_path: Path) -> None:
    """`sam build --config-env us-east-2` in the repository root, as docs/operations.md says (~5 s).

    First with no runnable python3.13 (the reported `Binary validation failed`): the failure
    empties only the user's build dir. Then with the PATH this shell has: the runtime's Python
    must be found, through pyenv's shims and .python-version when that is where it lives.
    """
    if not Path(sys.executable).with_name("sam").exists():
        pytest.skip("SAM CLI is not installed next to this Python")
    repo = _repo_copy(tmp_path)
    probe = subprocess.run(["python3.13", "--version"], cwd=repo, capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip("no python3.13 on PATH, nor selectable by pyenv: see docs/operations.md#prerequisites")
    theirs = repo / ".aws-sam/payinfra-build/us-east-2/build/template.yaml"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("# the orchestration's build\n")
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "python3.13").write_text("#!/bin/sh\nexit 1\n")
    (fake / "python3.13").chmod(0o755)

    failed = _sam_build(repo, os.pathsep.join([str(fake), str(Path(sys.executable).parent), "/usr/bin:/bin"]))
    assert failed.returncode != 0 and "Binary validation failed" in failed.stdout + failed.stderr
    assert theirs.read_text() == "# the orchestration's build\n"

    built = _sam_build(repo, os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    assert (repo / ".aws-sam/us-east-2/build/template.yaml").is_file()
    assert (repo / ".aws-sam/us-east-2/build/PaymentFunction/app.py").is_file()
    assert theirs.read_text() == "# the orchestration's build\n"
