"""render.py (`python -m payinfra render`) as a user runs it: writes, checks, refuses bad input
without writing, and renders any environment but the committed one into its own folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from payinfra import cli
from payinfra.config import load_context
from payinfra.paths import ROOT
from payinfra.render import cli as render_cli
from payinfra.render.environments import ENVIRONMENTS_DIR, locate

OUTPUTS = [
    "template.primary.yaml", "template.secondary.yaml", "template.peering.yaml", "template.global.yaml",
    "samconfig.toml",
]


def main(argv: list[str]) -> int:
    return cli.main(["render", *argv])


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


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


def test_another_environment_renders_into_its_own_folder_never_over_the_committed_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = load_context()
    assert render_cli.run(dev, locate(dev, dev, tmp_path), out=None, check=False) == 0
    committed = snapshot(tmp_path)
    assert sorted(committed) == sorted(OUTPUTS)
    pr42 = load_context(suffix="pr42")
    assert render_cli.run(pr42, locate(pr42, dev, tmp_path), out=None, check=False) == 0
    assert snapshot(tmp_path) == committed
    home = tmp_path / ENVIRONMENTS_DIR / "pr42"
    assert sorted(p.name for p in home.iterdir()) == sorted(OUTPUTS)
    assert 'stack_name = "payments-primary-pr42"' in (home / "samconfig.toml").read_text()
    assert "(environment pr42, .aws-sam/environments/pr42/)" in capsys.readouterr().out
    assert render_cli.run(pr42, locate(pr42, dev, tmp_path), out=None, check=True) == 0


def test_a_suffix_or_set_that_changes_nothing_is_the_committed_environment(tmp_path: Path) -> None:
    dev = load_context()
    assert locate(load_context(suffix="dev"), dev, tmp_path).home == tmp_path
    changed = load_context(overrides=["us-east-2.alarms.latency_p99_ms=250"])
    assert locate(changed, dev, tmp_path).home == tmp_path / ENVIRONMENTS_DIR / "dev"
