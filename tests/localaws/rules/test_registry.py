"""The rule registry: every rule is documented, tested, listed by the CLI and on by default."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from localaws import LocalAws
from localaws.__main__ import main
from localaws.rules import RULE_IDS, RULES, apply_rules, describe_rules
from localaws.server import EmulatorError

SERVICE_TESTS = Path(__file__).parents[1] / "services"


def test_every_rule_has_a_unique_id_a_title_and_an_aws_doc_url() -> None:
    assert len(set(RULE_IDS)) == len(RULES) >= 7
    for rule in RULES:
        assert re.fullmatch(r"[A-Z0-9]+[0-9]{3}", rule.ID), rule.__name__
        assert rule.TITLE and "\n" not in rule.TITLE and len(rule.TITLE) <= 100, rule.ID
        assert rule.DOC_URL.startswith("https://docs.aws.amazon.com/"), rule.ID
        assert rule.__doc__ and rule.ID in rule.__doc__.splitlines()[0], rule.ID
        assert callable(rule.apply)


def test_every_rule_is_exercised_by_its_service_tests() -> None:
    """A rule in localaws/services/<service>/rules/ is tested in tests/localaws/services/<service>/."""
    untested = []
    for rule in RULES:
        service = rule.__name__.split(".")[2]
        tests = "".join(path.read_text() for path in (SERVICE_TESTS / service).glob("test_*.py"))
        if rule.ID not in tests:
            untested.append(rule.ID)
    assert untested == []


def test_unknown_rules_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown strict-AWS rule"):
        apply_rules(skip={"NOPE001"})
    with pytest.raises(EmulatorError, match="NOPE001"):
        LocalAws(skip_rules={"NOPE001"})


def test_cli_lists_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-rules"]) == 0
    listed = capsys.readouterr().out
    assert listed.strip() == "\n".join(describe_rules()).strip()
    for rule in RULES:
        assert rule.ID in listed and rule.DOC_URL in listed


def test_cli_with_a_port_serves_with_the_rules_on() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "localaws", "--port", "0", "--skip-rule", "SM001"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline()  # type: ignore[union-attr]
        assert "at http://127.0.0.1:" in first
        output = ""
        while "Ctrl-C" not in output:
            output += process.stdout.readline()  # type: ignore[union-attr]
        on = next(line for line in output.splitlines() if "strict-AWS rules on" in line)
        assert "KMS001" in on and "SM001" not in on
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
        assert process.returncode == 0 and "stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
