"""The whole gate over the rendered templates, as CI runs it: every finding waived with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from payinfra.cli import main
from payinfra.gates.tools import Tools

pytestmark = pytest.mark.gates


def test_gate_passes_on_the_rendered_templates(
    tools: Tools, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["gates", "--build-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, f"gate failed; its report:\n{out}"
    verdicts = [line for line in out.splitlines() if line.startswith("== template.")]
    assert len(verdicts) == 4 and all(line.endswith(": PASS") for line in verdicts), verdicts
