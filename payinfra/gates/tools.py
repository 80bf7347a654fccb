"""Where the gate's external tools live, relative to the repository root.

Each is installed by `make setup` at a pinned version: sam (project venv), checkov (its own venv,
its pins conflict with aws-sam-cli's) and cfn-guard with the Control Tower rules (npm package
@cdklabs/cdk-validator-cfnguard, which ships static binaries per OS and CPU).
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path

from payinfra.gates.model import GateError

ROOT = Path(__file__).resolve().parents[2]
SETUP_HINT = "run `make setup` to install the pinned tools"
GUARD_PACKAGE = Path("node_modules/@cdklabs/cdk-validator-cfnguard")
GUARD_RULES = GUARD_PACKAGE / "rules/control-tower/cfn-guard"
_GUARD_OS = {"Linux": "ubuntu", "Darwin": "macos"}
_GUARD_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


@dataclass(frozen=True)
class Tools:
    sam: Path
    checkov: Path
    guard: Path
    guard_rules: Path


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise GateError(f"{what} not found at {path}: {SETUP_HINT}")
    return path


def guard_binary(root: Path = ROOT, system: str | None = None, machine: str | None = None) -> Path:
    """The cfn-guard binary for this OS and CPU (the npm package ships ubuntu/macos x x86_64/aarch64)."""
    system = system or platform.system()
    machine = (machine or platform.machine()).lower()
    os_dir, arch_dir = _GUARD_OS.get(system), _GUARD_ARCH.get(machine)
    if os_dir is None or arch_dir is None:
        raise GateError(f"cfn-guard: no binary shipped for {system}/{machine} in {GUARD_PACKAGE}")
    return root / GUARD_PACKAGE / "bin" / os_dir / arch_dir / "cfn-guard"


def locate(root: Path = ROOT) -> Tools:
    """All tools, or a GateError naming the first one missing and how to install it."""
    rules = _require(root / GUARD_RULES, "Control Tower guard rules")
    if not any(rules.rglob("*.guard")):
        raise GateError(f"no .guard rules under {rules}: {SETUP_HINT}")
    return Tools(
        sam=_require(root / ".venv/bin/sam", "sam (aws-sam-cli)"),
        checkov=_require(root / ".tools/checkov/bin/checkov", "checkov"),
        guard=_require(guard_binary(root), "cfn-guard"),
        guard_rules=rules,
    )
