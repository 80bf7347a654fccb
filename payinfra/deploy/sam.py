"""The only place that runs SAM CLI: `sam build|deploy|delete --config-env <env>`.

The commands are what a user types in the environment's folder (the repository root for the
committed environment, `.aws-sam/environments/<suffix>/` for any other: `payinfra.render.environments`),
and every setting comes from that folder's samconfig.toml, with two exceptions. The orchestration
builds into a directory of its own under that folder (`--build-dir
.aws-sam/payinfra-build/<env>/build`, then `sam deploy --template-file` of that build): `sam
build` empties its build directory before it builds, so a user's failed `sam build --config-env
X` would otherwise delete the orchestration's build of X, and the reverse. And outside the root,
`sam build --base-dir <root>` resolves the templates' CodeUri against the repository, not the
folder (`--base-dir`:
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-cli-command-reference-sam-build.html).

Output goes to a log file per stack key and step (`us-west-2-build.log`: concurrent deploys
would interleave on the terminal, and several stacks share a role); the terminal gets a
heartbeat with the elapsed time and, on failure, the last lines of the log. Tests substitute
`CommandRunner`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.graph import StepFailed
from payinfra.topology import SAMCONFIG_OUTPUT

NO_CHANGES = "No changes to deploy"  # sam deploy's message for an empty change set
TAIL_LINES = 25
HEARTBEAT_S = 30.0
# The orchestration's builds, apart from the per-env build dirs that samconfig.toml gives users.
ORCHESTRATION_BUILD_ROOT = Path(".aws-sam") / "payinfra-build"


def orchestration_build_dir(config_env: str, root: Path = ORCHESTRATION_BUILD_ROOT) -> Path:
    """Where the orchestration builds one samconfig env (relative to the repository root)."""
    return root / config_env / "build"


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    tail: str  # the last lines of output


class CommandRunner(Protocol):
    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult: ...


def find_sam(env: Mapping[str, str]) -> str:
    """`sam` on PATH, else next to this Python (a venv that is not activated)."""
    found = shutil.which("sam", path=env.get("PATH"))
    if found:
        return found
    beside = Path(sys.executable).parent / "sam"
    if beside.exists():
        return str(beside)
    raise OrchestrationError(
        "SAM CLI (`sam`) was not found on PATH nor next to this Python: install it (pip install "
        "aws-sam-cli, pinned in requirements/) or activate the project's virtualenv"
    )


class StreamingRunner:
    """Runs a command, copies its output to `log_path`, prints a heartbeat while it runs."""

    def __init__(self, echo: Callable[[str], None] = print, heartbeat_s: float = HEARTBEAT_S) -> None:
        self._echo = echo
        self._heartbeat_s = heartbeat_s

    def __call__(
        self, argv: list[str], *, env: Mapping[str, str], cwd: Path, log_path: Path, label: str
    ) -> CommandResult:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        started = time.monotonic()
        stop = threading.Event()

        def heartbeat() -> None:
            while not stop.wait(self._heartbeat_s):
                self._echo(f"  {label}: still running ({_duration(time.monotonic() - started)})")

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            with (
                log_path.open("w") as log,
                subprocess.Popen(
                    argv,
                    cwd=cwd,
                    env=dict(env),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    errors="replace",
                ) as process,
            ):
                assert process.stdout is not None
                for line in process.stdout:
                    log.write(line)
                    tail.append(line.rstrip())
                returncode = process.wait()
        except OSError as err:
            raise StepFailed(f"cannot run {argv[0]}: {err}") from None
        finally:
            stop.set()
        return CommandResult(returncode, "\n".join(tail))


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


class SamCli:
    """`sam <verb> --config-env <env>` for one stack at a time."""

    def __init__(
        self,
        executable: str,
        *,
        env: Mapping[str, str],
        cwd: Path,
        log_dir: Path,
        runner: CommandRunner,
        echo: Callable[[str], None] = print,
        build_root: Path | None = ORCHESTRATION_BUILD_ROOT,
        base_dir: Path | None = None,
    ) -> None:
        self.executable = executable
        self.env = env
        self.cwd = cwd
        self.log_dir = log_dir
        self.runner = runner
        self.echo = echo
        self.build_root = build_root  # None: samconfig's build_dir, exactly as a user runs it
        self.base_dir = base_dir  # the repository root when `cwd` is an environment's folder
        self._built: set[str] = set()  # envs built by this instance: their deploy uses that build

    def command(self, verb: str, config_env: str) -> list[str]:
        argv = [self.executable, verb, "--config-env", config_env]
        if verb == "build" and self.base_dir is not None:
            argv += ["--base-dir", str(self.base_dir)]
        if self.build_root is not None:
            # Command-line options override samconfig.toml's scalar settings (only
            # parameter_overrides is special, aws-sam-cli#2380, and it is not used here).
            built = orchestration_build_dir(config_env, self.build_root)
            if verb == "build":
                return [*argv, "--build-dir", str(built)]
            if verb == "deploy" and config_env in self._built:
                # With --template-file, SAM CLI 1.170 looks for samconfig.toml next to that
                # template (options.py sets ctx.samconfig_dir) unless --config-file is absolute.
                config = (self.cwd / SAMCONFIG_OUTPUT).resolve()
                return [*argv, "--config-file", str(config), "--template-file", str(built / "template.yaml")]
        # `sam delete` reads its settings from [env.deploy.parameters] (SAM CLI 1.170:
        # delete_context.CONFIG_COMMAND = "deploy"), so a [env.delete.parameters] no_prompts is
        # never seen: destroy has asked for confirmation already, say it on the command line.
        return [*argv, "--no-prompts"] if verb == "delete" else argv

    @staticmethod
    def shown(argv: list[str]) -> str:
        return " ".join(["sam", *argv[1:]])

    def run(self, verb: str, config_env: str, key: str) -> str:
        """Run one command for the stack `key`; returns "ok" or "no changes"; raises `StepFailed`
        with the log tail."""
        if verb == "build":
            self._built.discard(config_env)  # a failed build leaves no build to deploy
        outcome = self._run(verb, self.command(verb, config_env), key)
        if verb == "build":
            self._built.add(config_env)
        return outcome

    def delete_stack(self, name: str, region: str, key: str) -> str:
        """`sam delete --stack-name NAME --region REGION --no-prompts`: a stack the context no
        longer lists, so samconfig.toml has no env for it. Command-line options take precedence
        over the folder's samconfig.toml (its `default` env):
        https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html#serverless-sam-cli-config-precedence
        """
        argv = [self.executable, "delete", "--stack-name", name, "--region", region, "--no-prompts"]
        return self._run("delete", argv, key)

    def _run(self, verb: str, argv: list[str], key: str) -> str:
        log_path = self.log_dir / f"{key}-{verb}.log"
        label = f"{key}: {self.shown(argv)}"
        if self.base_dir is not None and self.cwd.is_relative_to(self.base_dir):
            label += f"  (in {self.cwd.relative_to(self.base_dir)})"
        anchor = self.base_dir or self.cwd  # paths are shown from the repository root
        shown_log = log_path.relative_to(anchor) if log_path.is_relative_to(anchor) else log_path
        self.echo(f"  {label}  (log: {shown_log})")
        result = self.runner(argv, env=self.env, cwd=self.cwd, log_path=log_path, label=label)
        if verb == "deploy" and NO_CHANGES in result.tail:
            return "no changes"  # exit code 1 unless --no-fail-on-empty-changeset: still a success
        if result.returncode != 0:
            indented = "\n".join(f"      {line}" for line in result.tail.splitlines()[-12:])
            raise StepFailed(
                f"`{self.shown(argv)}` exited {result.returncode}; last lines of {log_path}:\n{indented}"
            )
        return "ok"
