"""The one command line: every command's --help shows an example, bad input is one line, the
old entry points (`render.py`, `python -m payinfra.gates`) are the same parser."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from payinfra.cli import build_parser, main
from payinfra.paths import ROOT

COMMANDS = [
    ["render"], ["preflight"], ["deploy"], ["verify"], ["destroy"], ["plugins"], ["plugins", "list"],
    ["plugins", "run"], ["local"], ["invoke"], ["gates"], ["emulator"],
]


def test_every_command_is_listed_with_its_help() -> None:
    top = build_parser().format_help()
    for name in {c[0] for c in COMMANDS}:
        assert re.search(rf"^ {{4}}{name}\b", top, re.MULTILINE), name
    assert "example:\n  python -m payinfra local --suffix pr42" in top


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_help_shows_an_example(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    example = out[out.index("example:\n") :].splitlines()[1]
    assert example.startswith(f"  python -m payinfra {' '.join(command)}"), out


@pytest.mark.parametrize("command", ["render", "preflight", "deploy", "verify", "destroy", "local"])
def test_every_context_command_takes_config_suffix_and_set(command: str) -> None:
    args = build_parser().parse_args([command, "--config", "x.toml", "--suffix", "pr42", "--set", "a=b"])
    assert (str(args.config), args.suffix, args.overrides) == ("x.toml", "pr42", ["a=b"])


@pytest.mark.parametrize("command", ["render", "deploy", "destroy", "local"])
def test_a_bad_set_is_one_line_and_exit_2(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--set", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert "--set 'nonsense': expected KEY=VALUE" in err


def test_a_bad_suffix_is_one_line_naming_the_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy", "--dry-run", "--suffix", "PR 42"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "suffix" in err and "Traceback" not in err


def test_an_unknown_command_is_argparse_usage_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["deploi"])
    assert done.value.code == 2
    assert "invalid choice: 'deploi'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("entry", "shown"),
    [
        ([str(ROOT / "render.py")], "usage: python -m payinfra render"),
        (["-m", "payinfra.gates"], "usage: python -m payinfra gates"),
        (["-m", "payinfra"], "usage: python -m payinfra [-h] COMMAND"),
    ],
)
def test_entry_points_share_the_parser(entry: list[str], shown: str) -> None:
    done = subprocess.run(
        [sys.executable, *entry, "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(shown)
