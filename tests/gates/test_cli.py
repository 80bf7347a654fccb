"""The gate as a user runs it: finding tools, regions, exit codes, messages instead of tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from payinfra.cli import main
from payinfra.gates import runner
from payinfra.gates import tools as gate_tools
from payinfra.gates.model import GateError
from payinfra.gates.tools import Tools

pytestmark = pytest.mark.gates


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [
        ("Linux", "x86_64", "bin/ubuntu/x86_64/cfn-guard"),
        ("Linux", "aarch64", "bin/ubuntu/aarch64/cfn-guard"),
        ("Darwin", "arm64", "bin/macos/aarch64/cfn-guard"),
        ("Darwin", "x86_64", "bin/macos/x86_64/cfn-guard"),
    ],
)
def test_guard_binary_is_picked_by_os_and_cpu(system: str, machine: str, expected: str) -> None:
    path = gate_tools.guard_binary(Path("/repo"), system, machine)
    assert str(path).endswith("node_modules/@cdklabs/cdk-validator-cfnguard/" + expected)


def test_no_guard_binary_for_an_unsupported_platform_is_a_clear_error() -> None:
    with pytest.raises(GateError, match="no binary shipped for Windows/amd64"):
        gate_tools.guard_binary(Path("/repo"), "Windows", "amd64")


def test_missing_tools_name_the_make_target(tmp_path: Path) -> None:
    with pytest.raises(GateError, match=r"make setup"):
        gate_tools.locate(tmp_path)


def test_cli_reports_a_missing_tool_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runner, "locate", lambda: gate_tools.locate(tmp_path))
    assert main(["gates"]) == 2
    err = capsys.readouterr().err
    assert "gates: cannot run:" in err and "make setup" in err
    assert "Traceback" not in err


def test_cli_reports_a_missing_template_without_a_traceback(
    tools: Tools, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gates", str(tmp_path / "nope.yaml"), "--region", "us-east-1"]) == 2
    assert "no such template" in capsys.readouterr().err


def test_regions_come_from_the_context() -> None:
    assert runner.region_for(Path("template.primary.yaml"), None) == "us-east-1"
    assert runner.region_for(Path("/any/dir/template.secondary.yaml"), None) == "us-east-2"
    assert runner.region_for(Path("template.peering.yaml"), None) == "us-east-1"
    assert runner.region_for(Path("template.global.yaml"), None) == "us-east-1"
    assert runner.region_for(Path("other.yaml"), "eu-west-1") == "eu-west-1"
    with pytest.raises(GateError, match="pass --region"):
        runner.region_for(Path("other.yaml"), None)


def test_default_targets_are_the_four_rendered_templates() -> None:
    assert [(p.name, r) for p, r in runner.default_targets()] == [
        ("template.primary.yaml", "us-east-1"),
        ("template.secondary.yaml", "us-east-2"),
        ("template.peering.yaml", "us-east-1"),
        ("template.global.yaml", "us-east-1"),
    ]


def test_installed_guard_package_ships_both_linux_cpus() -> None:
    for machine in ("x86_64", "aarch64"):
        binary = gate_tools.guard_binary(gate_tools.ROOT, "Linux", machine)
        if not binary.exists():
            pytest.fail(f"{binary} missing: {gate_tools.SETUP_HINT}", pytrace=False)
