"""cfn-guard with the AWS Control Tower proactive-control rules, over the expanded templates.

One run for all templates (the rules are parsed once). The structured JSON report is a tree of
clauses per rule; each failing clause names the property path it looked at, so a finding per
(rule, resource) comes from the `/Resources/<LogicalId>/...` paths under that rule. Rules are
named in the report by their guard rule name; the Control Tower id (`CT.S3.PR.9`) comes from the
rule file's name (`ct-s3-pr-9.guard`), and is what waivers use.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from payinfra.gates.model import GUARD, Finding, GateError

_RULE_FILE = re.compile(r"ct-(?P<service>.+)-pr-(?P<number>\d+)$")
_FIRST_RULE = re.compile(r"^rule\s+(\w+)", re.MULTILINE)
_RESOURCE = re.compile(r"^/Resources/([^/]+)")
_CT_PREFIX = re.compile(r"^\s*\[CT\.[A-Z0-9-]+\.PR\.\d+\]:\s*")


def rule_ids(rules_dir: Path) -> dict[str, str]:
    """Guard rule name -> Control Tower control id, for every rule file under `rules_dir`."""
    ids = {}
    for path in sorted(rules_dir.rglob("*.guard")):
        name, file_id = _FIRST_RULE.search(path.read_text()), _RULE_FILE.match(path.stem)
        if name and file_id:
            ids[name[1]] = f"CT.{file_id['service'].upper()}.PR.{file_id['number']}"
    return ids


def run(guard: Path, rules_dir: Path, files: list[Path], timeout_s: float = 300) -> str:
    command = [str(guard), "validate", "-r", str(rules_dir), "-o", "json", "-z", "--show-summary", "none"]
    for path in files:
        command += ["-d", str(path)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    if proc.returncode not in (0, 19):  # 19 = some rule failed; anything else is guard failing
        raise GateError(f"cfn-guard failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc.stdout


def parse(report: str, ids: dict[str, str]) -> dict[str, list[Finding]]:
    """File name -> findings, one per (control, resource)."""
    try:
        documents = json.loads(report) if report.strip() else []
    except json.JSONDecodeError as err:
        raise GateError(f"cfn-guard output is not JSON ({err}): {report[:300]!r}") from None
    by_file: dict[str, list[Finding]] = {}
    for document in documents if isinstance(documents, list) else [documents]:
        findings = by_file.setdefault(Path(document.get("name", "?")).name, [])
        for item in document.get("not_compliant", []):
            rule = item.get("Rule") if isinstance(item, dict) else None
            if rule:
                findings += _rule_findings(rule, ids)
    return by_file


def _rule_findings(rule: dict[str, Any], ids: dict[str, str]) -> list[Finding]:
    control = ids.get(rule.get("name", ""), rule.get("name", "?"))
    summary = _summary(rule) or rule.get("name", "")
    details: dict[str, tuple[int, str]] = {}  # resource -> (rank, error) of its most telling clause
    for rank, path, error in _failing_paths(rule):
        match = _RESOURCE.match(path)
        if match and (match[1] not in details or rank < details[match[1]][0]):
            details[match[1]] = (rank, error)
    if not details:  # the rule failed on the template as a whole (e.g. an unresolved reference)
        return [Finding(GUARD, control, "-", summary)]
    return [Finding(GUARD, control, resource, summary, error) for resource, (_, error) in details.items()]


def _summary(rule: dict[str, Any]) -> str:
    """The rule's custom message: `[CT.X.PR.n]: what is required [FIX]: how`, on one line."""
    for node in _walk(rule):
        message = (node.get("messages") or {}).get("custom_message") if isinstance(node, dict) else None
        if message and message.strip():
            return _CT_PREFIX.sub("", " ".join(message.split()))
    return ""


# A comparison with the expected value says more than "property missing" or "property exists".
_RANK = {"Resolved": 0, "InResolved": 0, "UnResolved": 1}


def _failing_paths(rule: dict[str, Any]) -> Iterator[tuple[int, str, str]]:
    """(rank, property path, guard's error) of every failing leaf clause under `rule`."""
    for node in _walk(rule):
        if not (isinstance(node, dict) and "Clause" in node):
            continue
        for shape, clause in node["Clause"].items():
            check = clause.get("check") or {}
            error = " ".join(((clause.get("messages") or {}).get("error_message") or "").split())
            for kind, body in check.items() if isinstance(check, dict) else ():
                path = _clause_path(kind, body)
                if path:
                    rank = _RANK.get(kind, 2) + (0 if shape == "Binary" else 1)
                    yield rank, path, _shorten(error)


def _clause_path(kind: str, body: Any) -> str | None:
    if not isinstance(body, dict):
        return None  # UnResolvedContext: a variable, no property path
    if kind == "UnResolved":
        return ((body.get("value") or {}).get("traversed_to") or {}).get("path")
    side = body.get("from") or body.get("value") or {}
    return side.get("path") if isinstance(side, dict) else None


def _shorten(error: str, limit: int = 240) -> str:
    error = re.sub(r"\[L:\d+,C:\d+\]", "", error)  # positions in the expanded file, not the source
    error = error.removeprefix("Check was not compliant as ")
    return error if len(error) <= limit else error[: limit - 3] + "..."


def _walk(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, dict):
            stack.extend(reversed(list(current.values())))
        elif isinstance(current, list):
            stack.extend(reversed(current))
