"""Inline waivers: read them from each resource's Metadata, insist on a reason, apply them.

One shape per tool, each entry carrying its reason next to the rule it silences:

    Metadata:
      checkov:  {skip: [{id: CKV_AWS_18, comment: "why"}]}           # checkov applies these itself
      guard:    {SuppressedRules: [{id: CT.S3.PR.9, comment: "why"}]} # the gate applies these
      payinfra: {skip: [{id: PRJ.KMS.CMK, comment: "why"}]}          # the gate's own checks
      cfn-lint: {config: {ignore_checks: [W3005]}, comments: {W3005: "why"}}  # cfn-lint applies these

Control Tower guard rules ignore Metadata, so the gate matches `guard` waivers to findings itself.
A waiver without a reason is a finding of its own: a suppression nobody can justify later is a
hole, not a decision. Waivers on a SAM resource also cover the resources SAM generates from it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from payinfra.gates.expand import origin_of
from payinfra.gates.model import CHECKOV, GUARD, LINT, PROJECT, WAIVERS, Finding, Template, Waiver

TEMPLATE_LEVEL = "(template)"
# tool -> (Metadata key, list key) for the `[{id, comment}]` shape.
_ID_COMMENT_LISTS = {
    CHECKOV: ("checkov", "skip"),
    GUARD: ("guard", "SuppressedRules"),
    PROJECT: ("payinfra", "skip"),
}
_EXAMPLE = {
    CHECKOV: 'checkov: {skip: [{id: RULE, comment: "why"}]}',
    GUARD: 'guard: {SuppressedRules: [{id: RULE, comment: "why"}]}',
    PROJECT: 'payinfra: {skip: [{id: RULE, comment: "why"}]}',
    LINT: 'cfn-lint: {config: {ignore_checks: [RULE]}, comments: {RULE: "why"}}',
}


def collect(template: Template) -> tuple[list[Waiver], list[Finding]]:
    """Every waiver declared in `template`, and a finding for each one that lacks a reason or shape."""
    waivers: list[Waiver] = []
    problems: list[Finding] = []
    owners: list[tuple[str, Any]] = [(TEMPLATE_LEVEL, template.get("Metadata"))]
    owners += [(lid, r.get("Metadata")) for lid, r in template["Resources"].items() if isinstance(r, dict)]
    for owner, metadata in owners:
        if not isinstance(metadata, dict):
            continue
        for tool, (key, list_key) in _ID_COMMENT_LISTS.items():
            block = metadata.get(key)
            if block is None:
                continue
            if owner == TEMPLATE_LEVEL:  # checkov reads only resource Metadata; keep one rule for all
                problems.append(_malformed(tool, owner, "put the waiver on the resource it concerns"))
            else:
                found, bad = _read_id_comment_list(tool, owner, block, list_key)
                waivers += found
                problems += bad
        if metadata.get("cfn-lint") is not None:
            _read_lint(owner, metadata["cfn-lint"], waivers, problems)
    problems += [_no_reason(w) for w in waivers if not w.reason]
    return waivers, problems


def _read_id_comment_list(
    tool: str, owner: str, block: Any, list_key: str
) -> tuple[list[Waiver], list[Finding]]:
    entries = block.get(list_key) if isinstance(block, dict) else None
    if not isinstance(entries, list):
        return [], [_malformed(tool, owner, f"expected {_EXAMPLE[tool]}")]
    waivers: list[Waiver] = []
    problems: list[Finding] = []
    for entry in entries:
        if isinstance(entry, str):  # the bare-id form other tools accept: valid id, no reason
            waivers.append(Waiver(tool, entry, owner, None))
        elif isinstance(entry, dict) and isinstance(entry.get("id"), str):
            waivers.append(Waiver(tool, entry["id"], owner, _reason(entry.get("comment"))))
        else:
            problems.append(_malformed(tool, owner, f"entry {entry!r} has no id; expected {_EXAMPLE[tool]}"))
    return waivers, problems


def _read_lint(owner: str, block: Any, waivers: list[Waiver], problems: list[Finding]) -> None:
    config = block.get("config") if isinstance(block, dict) else None
    ignored = config.get("ignore_checks", []) if isinstance(config, dict) else None
    comments = block.get("comments", {}) if isinstance(block, dict) else None
    if not isinstance(ignored, list) or not isinstance(comments, dict):
        problems.append(_malformed(LINT, owner, f"expected {_EXAMPLE[LINT]}"))
        return
    waivers += [Waiver(LINT, str(rule), owner, _reason(comments.get(rule))) for rule in ignored]


def _reason(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _no_reason(waiver: Waiver) -> Finding:
    return Finding(
        WAIVERS,
        "WAIVER.NO_REASON",
        waiver.resource,
        f"{waiver.tool} waiver for {waiver.rule} has no reason: write {_EXAMPLE[waiver.tool]}".replace(
            "RULE", waiver.rule
        ),
    )


def _malformed(tool: str, owner: str, detail: str) -> Finding:
    return Finding(WAIVERS, "WAIVER.MALFORMED", owner, f"{tool} waiver Metadata unreadable: {detail}")


def owner_of(logical_id: str, expanded: Template) -> str:
    """The resource whose Metadata governs `logical_id`: itself, or the SAM resource it came from."""
    resource = expanded["Resources"].get(logical_id)
    return (origin_of(resource) if isinstance(resource, dict) else None) or logical_id


def apply(
    findings: Iterable[Finding], waivers: Iterable[Waiver], expanded: Template
) -> tuple[list[Finding], set[Waiver]]:
    """Mark findings a waiver covers as waived; return them and the waivers that were used."""
    by_key = {(w.tool, w.rule, w.resource): w for w in waivers}
    out: list[Finding] = []
    used: set[Waiver] = set()
    for finding in findings:
        owner = owner_of(finding.resource, expanded)
        waiver = by_key.get((finding.tool, finding.rule, owner))
        if waiver is not None:
            used.add(waiver)
        waived = finding.waived or waiver is not None  # checkov reports its own skips as waived
        source = owner if owner != finding.resource else None
        out.append(dataclasses.replace(finding, waived=waived, source=source))
    return out, used
