"""`python -m payinfra failover/failback`: bad input is one line and exit 2, before any AWS call."""

from __future__ import annotations

import pytest

from payinfra.cli import main


def test_unknown_region_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["failover", "--to", "eu-west-9", "--yes"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --to eu-west-9: not a region of this context (us-east-1, us-east-2)"]


def test_without_yes_and_no_terminal_nothing_is_done(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["failback"]) == 2
    assert "pass --yes" in capsys.readouterr().err
