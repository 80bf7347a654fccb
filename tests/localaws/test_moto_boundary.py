"""Who may import moto: `localaws/_moto.py` only, so that a moto upgrade is one file to review.

Everything else, payinfra, bench and the tests outside tests/localaws included, reaches moto
through localaws (`localaws.testing` for `mock_aws` and moto state). And localaws imports nothing
from payinfra: it is a product of its own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "localaws"
MOTO_MODULE = PACKAGE / "_moto.py"
# Outside the package, only tests of the package itself may use moto directly.
OUTSIDE = ("payinfra", "bench", "functions", "tests")
TESTS_OF_THE_PACKAGE = REPO / "tests" / "localaws"


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import statement in `path`, in functions too."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def imports_of(paths: list[Path], top: str) -> list[str]:
    return [
        f"{path.relative_to(REPO)}:{line} imports {module}"
        for path in paths
        for line, module in imported_modules(path)
        if module == top or module.startswith(f"{top}.")
    ]


def python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if ".venv" not in p.parts and "__pycache__" not in p.parts)


def test_only_the_moto_module_imports_moto_inside_localaws() -> None:
    others = [path for path in python_files(PACKAGE) if path != MOTO_MODULE]
    assert imports_of(others, "moto") == []
    assert imports_of([MOTO_MODULE], "moto"), "the moto module should be where moto is imported"


@pytest.mark.parametrize("folder", OUTSIDE)
def test_nothing_outside_localaws_imports_moto(folder: str) -> None:
    paths = [p for p in python_files(REPO / folder) if TESTS_OF_THE_PACKAGE not in p.parents]
    assert imports_of(paths, "moto") == []


def test_localaws_imports_nothing_from_payinfra() -> None:
    assert imports_of(python_files(PACKAGE), "payinfra") == []


def test_the_checker_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from moto.s3.models import s3_backends\n    import moto\n")
    assert [m for _, m in imported_modules(module)] == ["moto.s3.models", "moto"]
