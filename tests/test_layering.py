"""The one-way flow of docs/architecture.md, as a test: a payinfra module imports only from the
steps before its own, so no import runs back up the flow and no cycle can form between steps.

config -> topology -> model -> render -> gates -> plugins -> deploy -> local_job -> cli
"""

from __future__ import annotations

import ast
from pathlib import Path

from payinfra.paths import ROOT

# Each step may import itself and any step listed before it. `paths` and `cfn` are leaves.
FLOW = (
    "paths",
    "cfn",
    "config",
    "topology",
    "recovery",
    "model",
    "render",
    "gates",
    "plugins",
    "deploy",
    "local_job",
    "drill",
    "cli",
)
# The one import that runs back: the config validates a suffix against every name's AWS length
# limit, and `topology/names.py` imports nothing else of payinfra (a leaf).
ALLOWED_BACK = {("config", "payinfra.topology.names")}


def _step(path: Path, root: Path) -> str:
    relative = path.relative_to(root / "payinfra").with_suffix("")
    return relative.parts[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    """payinfra/localaws modules imported at run time (imports under `if TYPE_CHECKING:` skipped)."""
    tree = ast.parse(path.read_text(), str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            typing_only |= {id(inner) for inner in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, name) for line, name in found if name.split(".")[0] in ("payinfra", "localaws")]


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted((root / "payinfra").rglob("*.py")):
        if path.name == "__main__.py":  # entry points (`python -m payinfra[.gates]`) call the CLI
            continue
        step = _step(path, root)
        if step == "__init__":
            continue
        assert step in FLOW, f"{path}: new top-level step {step!r}: place it in FLOW (and in the docs)"
        for line, module in _imports(path):
            where = f"{path.relative_to(root)}:{line}"
            if module.split(".")[0] == "localaws":
                if step not in ("local_job", "drill", "cli"):
                    problems.append(
                        f"{where}: only the local job, the drill and the CLI use the local AWS ({module})"
                    )
                continue
            target = module.split(".")[1] if "." in module else "__init__"
            if target == "__init__" or (step, module) in ALLOWED_BACK:
                continue
            if FLOW.index(target) > FLOW.index(step):
                problems.append(f"{where}: {step} imports {module}, a later step of the flow")
    return problems


def test_imports_follow_the_flow() -> None:
    assert _violations() == []


def test_the_check_sees_a_backward_import(tmp_path: Path) -> None:
    """The rule is not vacuous: a later step imported by an earlier one is reported, a
    TYPE_CHECKING import and an import from an earlier step are not."""
    model = tmp_path / "payinfra" / "model"
    model.mkdir(parents=True)
    (model / "probe.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from payinfra.config import Context\n"
        "from payinfra.deploy import commands\n"
        "import localaws\n"
        "if TYPE_CHECKING:\n"
        "    from payinfra.plugins.api import PluginContext\n"
    )
    assert _violations(tmp_path) == [
        "payinfra/model/probe.py:3: model imports payinfra.deploy, a later step of the flow",
        "payinfra/model/probe.py:4: only the local job, the drill and the CLI use the local AWS (localaws)",
    ]
