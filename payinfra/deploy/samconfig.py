"""Read the rendered samconfig.toml and check it deploys what the context says, where it says.

The orchestration runs exactly the commands a user types (`sam build --config-env X`, `sam
deploy --config-env X`), so every setting lives in samconfig.toml; this module only checks that
each stack's env names the right stack in the right region before anything is deployed, and
that no two envs build into the same directory (the secondaries build concurrently, and `sam
build` empties its build directory first).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payinfra.deploy.errors import OrchestrationError
from payinfra.topology import Stack


@dataclass(frozen=True)
class EnvSettings:
    config_env: str
    builds: bool  # has [env.build.parameters]: run `sam build` before `sam deploy`


def _parameters(env: dict[str, Any], command: str) -> dict[str, Any]:
    return dict(env.get(command, {}).get("parameters", {}))


def read_samconfig(path: Path, stacks: list[Stack]) -> dict[str, EnvSettings]:
    """Stack key -> settings; an `OrchestrationError` naming every mismatch."""
    try:
        document = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise OrchestrationError(f"{path} not found: run `python render.py`") from None
    except tomllib.TOMLDecodeError as err:
        raise OrchestrationError(f"{path} is not valid TOML: {err}") from None
    problems = []
    settings = {}
    build_dirs: dict[str, str] = {}  # build_dir -> the env that builds there
    for stack in stacks:
        env = document.get(stack.config_env)
        where = f"{path.name} [{stack.config_env}]"
        if not isinstance(env, dict) or not _parameters(env, "deploy"):
            problems.append(f"{where}: no deploy parameters for stack {stack.name} ({stack.region})")
            continue
        merged = {**_parameters(env, "global"), **_parameters(env, "deploy")}
        if merged.get("stack_name") != stack.name:
            problems.append(
                f"{where}: stack_name is {merged.get('stack_name')!r}, the context says {stack.name!r}"
            )
        if merged.get("region") != stack.region:
            problems.append(
                f"{where}: region is {merged.get('region')!r} but stack {stack.name} belongs in "
                f"{stack.region!r} (region mismatch)"
            )
        build = _parameters(env, "build")
        if build:
            build_dir = str(build.get("build_dir", ".aws-sam/build"))
            other = build_dirs.setdefault(build_dir, stack.config_env)
            if other != stack.config_env:
                problems.append(
                    f"{where}: build_dir {build_dir!r} is also [{other}]'s: concurrent builds would "
                    "empty each other's (one build_dir per env)"
                )
            built = f"{build_dir}/template.yaml"
            if merged.get("template_file") != built:
                problems.append(
                    f"{where}: deploy template_file is {merged.get('template_file')!r}; after `sam build` it "
                    f"must be the built template {built!r} (or the unbuilt code is deployed)"
                )
        settings[stack.key] = EnvSettings(stack.config_env, bool(build))
    if problems:
        raise OrchestrationError(
            "samconfig.toml does not match the context (run `python render.py`):\n  " + "\n  ".join(problems)
        )
    return settings
