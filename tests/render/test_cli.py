"""render.py as a user runs it: writes, checks, and refuses bad input without writing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from payinfra.paths import ROOT
from payinfra.render.cli import main

OUTPUTS = ["template.primary.yaml", "template.secondary.yaml", "template.peering.yaml", "samconfig.toml"]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_render_writes_all_files_then_check_passes(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert main(["--out", str(out), "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_render_is_byte_identical_across_runs(out: Path) -> None:
    main(["--out", str(out)])
    first = snapshot(out)
    for path in out.iterdir():
        path.unlink()
    main(["--out", str(out)])
    assert snapshot(out) == first


def test_check_names_stale_and_missing_files(out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--out", str(out)])
    (out / "template.secondary.yaml").write_text("stale\n")
    (out / "samconfig.toml").unlink()
    capsys.readouterr()
    assert main(["--out", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert "template.secondary.yaml" in err and "samconfig.toml" in err
    assert "template.primary.yaml" not in err


def test_invalid_config_writes_nothing_and_names_the_key(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["--out", str(out)])
    before = snapshot(out)
    code = main(["--out", str(out), "--set", "us-east-2.vpc_cidr=10.0.0.0/16", "--suffix", "pr42"])
    assert code == 2
    err = capsys.readouterr().err
    assert "us-east-2.vpc_cidr" in err and "overlaps" in err and "nothing was written" in err
    assert snapshot(out) == before


def test_suffix_override_reaches_every_rendered_file(out: Path) -> None:
    assert main(["--out", str(out), "--suffix", "pr42"]) == 0
    samconfig = (out / "samconfig.toml").read_text()
    assert 'stack_name = "payments-primary-pr42"' in samconfig
    assert 'EnvironmentSuffix=\\"pr42\\"' in samconfig
    for name in OUTPUTS[:3]:
        assert "Default: pr42" in (out / name).read_text()


def test_committed_rendered_files_are_current() -> None:
    """The same gate as CI's `python render.py --check`, on the repository itself."""
    assert main(["--check"]) == 0


def test_render_py_entry_point_reports_errors_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "render.py"), "--out", str(tmp_path), "--set", "nonsense"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "expected KEY=VALUE" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_missing_output_dir_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
