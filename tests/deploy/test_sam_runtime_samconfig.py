"""The sam wrapper (commands as typed, empty change sets), runtime discovery, samconfig checks."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from payinfra.config import load_context
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.graph import StepFailed
from payinfra.deploy.runtime import find_interpreter, path_with_runtimes
from payinfra.deploy.sam import CommandResult, SamCli, StreamingRunner
from payinfra.deploy.samconfig import read_samconfig
from payinfra.render.renderer import render_all, stacks


class FakeRunner:
    def __init__(self, results: list[CommandResult]) -> None:
        self.results = results
        self.argv: list[list[str]] = []

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        self.argv.append(argv)
        return self.results.pop(0)


def sam(tmp_path: Path, runner: FakeRunner) -> SamCli:
    return SamCli(
        "/opt/bin/sam", env={}, cwd=tmp_path, log_dir=tmp_path / "logs", runner=runner, echo=lambda _: None
    )


def test_commands_are_the_ones_a_user_types(tmp_path: Path) -> None:
    runner = FakeRunner([CommandResult(0, ""), CommandResult(0, "Successfully created/updated stack")])
    cli = sam(tmp_path, runner)
    assert cli.run("build", "us-east-2", "secondary") == "ok"
    assert cli.run("deploy", "us-east-2", "secondary") == "ok"
    assert runner.argv == [
        ["/opt/bin/sam", "build", "--config-env", "us-east-2"],
        ["/opt/bin/sam", "deploy", "--config-env", "us-east-2"],
    ]


def test_delete_says_no_prompts_on_the_command_line(tmp_path: Path) -> None:
    runner = FakeRunner([CommandResult(0, "Deleted successfully")])
    assert sam(tmp_path, runner).run("delete", "peering", "peering") == "ok"
    assert runner.argv == [["/opt/bin/sam", "delete", "--config-env", "peering", "--no-prompts"]]


def test_an_empty_change_set_is_success_even_with_exit_1(tmp_path: Path) -> None:
    tail = "Error: No changes to deploy. Stack payments-primary-dev is up to date"
    assert (
        sam(tmp_path, FakeRunner([CommandResult(1, tail)])).run("deploy", "default", "primary")
        == "no changes"
    )


def test_a_failed_command_reports_its_last_lines(tmp_path: Path) -> None:
    tail = "\n".join(f"line {i}" for i in range(30)) + "\nError: Failed to create changeset"
    with pytest.raises(StepFailed, match=r"`sam deploy --config-env default` exited 1") as failure:
        sam(tmp_path, FakeRunner([CommandResult(1, tail)])).run("deploy", "default", "primary")
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


def test_missing_runtime_says_what_to_install(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "PYENV_ROOT": str(tmp_path / "nothing")}
    with pytest.raises(OrchestrationError, match=r"sam build needs python3\.13 .*pyenv install 3\.13"):
        path_with_runtimes({"python3.13"}, env, probe=lambda p: None)


# -- samconfig ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def samconfig_text() -> str:
    return render_all(load_context())["samconfig.toml"]


def test_rendered_samconfig_matches_the_context(tmp_path: Path, samconfig_text: str) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text(samconfig_text)
    settings = read_samconfig(path, stacks(load_context()))
    assert {role: s.config_env for role, s in settings.items()} == {
        "primary": "default",
        "secondary": "us-east-2",
        "peering": "peering",
    }
    assert all(s.builds for s in settings.values())


def test_region_and_name_mismatches_are_named(tmp_path: Path, samconfig_text: str) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text(samconfig_text.replace('region = "us-east-2"', 'region = "us-west-2"', 1))
    with pytest.raises(OrchestrationError, match=r"\[us-east-2\]: region is 'us-west-2' .*region mismatch"):
        read_samconfig(path, stacks(load_context()))
    path.write_text(
        samconfig_text.replace(
            'template_file = ".aws-sam/build-primary/template.yaml"',
            'template_file = "template.primary.yaml"',
            1,
        )
    )
    with pytest.raises(OrchestrationError, match="must be the built template"):
        read_samconfig(path, stacks(load_context()))


def test_missing_samconfig_env(tmp_path: Path) -> None:
    path = tmp_path / "samconfig.toml"
    path.write_text("version = 0.1\n")
    with pytest.raises(OrchestrationError, match=r"\[peering\]: no deploy parameters for the peering stack"):
        read_samconfig(path, stacks(load_context()))
