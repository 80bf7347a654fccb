"""`sam validate --lint`: SAM's own validation plus cfn-lint, on the SAM source; any match fails.

sam prints cfn-lint matches as one Python list repr, `[[W3005: title] (message) matched 42, ...]`,
with line numbers but no resource; the parser maps each line back to the logical id that spans it.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from payinfra.gates.model import LINT, Finding

# `[RULE: title] (message) matched [file:]LINE`, followed by the next match or the list's end.
_MATCH = re.compile(
    r"\[(?P<rule>[EWI]\d{4}): [^\]]*\] \((?P<message>.*?)\) matched (?:\S+:)?(?P<line>\d+)"
    r"(?=, \[[EWI]\d{4}: |\]\s*$)",
    re.DOTALL | re.MULTILINE,
)
_VALID = "is a valid SAM Template"


@dataclass(frozen=True)
class LintRun:
    returncode: int
    output: str  # stdout + stderr


def run(sam: Path, template: Path, region: str, timeout_s: float = 300) -> LintRun:
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": region}
    proc = subprocess.run(
        [str(sam), "validate", "--lint", "--region", region, "-t", str(template)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout_s,
        check=False,
    )
    return LintRun(proc.returncode, proc.stdout + proc.stderr)


def parse(run: LintRun, template_text: str) -> list[Finding]:
    """Findings from sam's output; a failure the parser cannot read becomes one finding with the text."""
    spans = resource_spans(template_text)
    findings = [
        Finding(
            LINT,
            m["rule"],
            _resource_at(spans, int(m["line"])),
            " ".join(m["message"].split()),
            f"line {m['line']}",
        )
        for m in _MATCH.finditer(run.output)
    ]
    if run.returncode != 0 and not findings:
        findings.append(Finding(LINT, "SAM", "-", _last_lines(run.output) or f"exit code {run.returncode}"))
    elif run.returncode == 0 and _VALID not in run.output:
        findings.append(Finding(LINT, "SAM", "-", f"unexpected output: {_last_lines(run.output)}"))
    return findings


def resource_spans(template_text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of each entry of each top-level section, 1-based lines.

    Resources are named by logical id, other sections as `Section/Name` (e.g. `Outputs/VpcId`).
    """
    try:
        root = yaml.compose(template_text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    spans = []
    for section_key, section in root.value:
        if not isinstance(section, yaml.MappingNode):
            continue
        for key, value in section.value:
            name = key.value if section_key.value == "Resources" else f"{section_key.value}/{key.value}"
            # A block node ends where the next key starts (at or left of this key's column): the
            # line before; a flow node ends mid-line: that line.
            end = value.end_mark
            last = end.line + (1 if end.column > key.start_mark.column else 0)
            spans.append((key.start_mark.line + 1, last, name))
    return spans


def _resource_at(spans: list[tuple[int, int, str]], line: int) -> str:
    for first, last, name in spans:
        if first <= line <= last:
            return name
    return "-"


def _last_lines(text: str, count: int = 5) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " | ".join(lines[-count:])
