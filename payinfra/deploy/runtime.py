"""Find the Lambda runtime's Python for `sam build` (which refuses to build without it on PATH).

Looked up on PATH first, then under pyenv (`pyenv root`/versions/X.Y.*), each candidate run once
to confirm its version (a pyenv shim on PATH exists but fails when the version is not active).
Never a hard-coded path; when nothing fits, the error says what to install.

A user typing `sam build --config-env X` gets no such help: SAM CLI takes the first `python3.13`
on PATH that runs. Under pyenv that is a shim, which runs only when the version is selected, so
the repository's `.python-version` selects the project's Python (3.11, for `make setup`), then
`system`, then every Lambda runtime's version (a missing version is skipped by pyenv).
`versions_missing_from_file` keeps that file in step with the context's runtimes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Set
from pathlib import Path

from payinfra.deploy.errors import OrchestrationError

VersionProbe = Callable[[Path], str | None]
PYTHON_VERSION_FILE = ".python-version"  # read by pyenv's shims in this directory and below


def probe_version(executable: Path) -> str | None:
    """'3.13' for a working Python 3.13 interpreter, else None."""
    try:
        done = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Python (\d+)\.(\d+)", done.stdout + done.stderr)
    return f"{match.group(1)}.{match.group(2)}" if done.returncode == 0 and match else None


def pyenv_root(env: Mapping[str, str]) -> Path | None:
    if env.get("PYENV_ROOT"):
        return Path(env["PYENV_ROOT"])
    pyenv = shutil.which("pyenv", path=env.get("PATH"))
    if pyenv:
        try:
            done = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    default = Path.home() / ".pyenv"
    return default if default.is_dir() else None


def _patch(path: Path) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", path.parent.parent.name))


def find_interpreter(
    version: str, env: Mapping[str, str], probe: VersionProbe = probe_version
) -> Path | None:
    """The first working `python<version>`: PATH, then pyenv's versions (newest patch first)."""
    name = f"python{version}"
    on_path = shutil.which(name, path=env.get("PATH"))
    if on_path and probe(Path(on_path)) == version:
        return Path(on_path)
    root = pyenv_root(env)
    if root is None:
        return None
    candidates = sorted((root / "versions").glob(f"{version}.*/bin/{name}"), key=_patch, reverse=True)
    return next((c for c in candidates if probe(c) == version), None)


def path_with_runtimes(
    runtimes: Set[str], env: Mapping[str, str], probe: VersionProbe = probe_version
) -> str:
    """PATH with each runtime's interpreter directory in front; error naming what is missing."""
    path = env.get("PATH", os.defpath)
    missing = []
    for runtime in sorted(runtimes):
        version = runtime.removeprefix("python")
        found = find_interpreter(version, env, probe)
        if found is None:
            missing.append(version)
        elif str(found.parent) not in path.split(os.pathsep):
            path = os.pathsep.join([str(found.parent), path])
    if missing:
        wanted = ", ".join(f"python{v}" for v in missing)
        raise OrchestrationError(
            f"sam build needs {wanted} (the Lambda runtime set in context.toml [lambda].runtime) and none "
            f"was found on PATH or under pyenv. Install it, e.g. `pyenv install {missing[0]}` (pyenv is "
            f"found via PYENV_ROOT, `pyenv root` or ~/.pyenv), or put a python{missing[0]} on PATH"
        )
    return path


def runtime_versions(runtimes: set[str]) -> set[str]:
    """{'python3.13'} -> {'3.13'}; non-Python runtimes need no interpreter on PATH."""
    return {r.removeprefix("python") for r in runtimes if r.startswith("python")}


def pyenv_file_versions(root: Path) -> list[str]:
    """The versions a `.python-version` in `root` selects, in order (empty when there is none)."""
    try:
        text = (root / PYTHON_VERSION_FILE).read_text()
    except FileNotFoundError:
        return []
    return text.split()


def versions_missing_from_file(runtimes: set[str], root: Path) -> list[str]:
    """Runtime versions that `.python-version` does not select, so `python3.X` shims would fail."""
    listed = pyenv_file_versions(root)

    def selected(version: str) -> bool:
        return any(v == version or v.startswith(f"{version}.") for v in listed)

    return sorted(v for v in runtime_versions(runtimes) if not selected(v))
