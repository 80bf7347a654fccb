"""Plain-text report: per template, a count table, every unwaived finding, every waiver."""

from __future__ import annotations

from pathlib import Path

from payinfra.gates.model import CHECKOV, GUARD, LINT, PROJECT, TOOLS, Finding, TemplateReport, Waiver

# Tools that report what they suppress, so a waiver that silenced nothing can be named as unused.
_USAGE_KNOWN = {CHECKOV, GUARD, PROJECT}


def render(reports: list[TemplateReport], root: Path | None = None) -> str:
    return "\n".join(render_one(report, root) for report in reports)


def render_one(report: TemplateReport, root: Path | None = None) -> str:
    name = _display(report.path, root)
    unwaived = report.unwaived()
    verdict = "PASS" if not unwaived else f"FAIL ({len(unwaived)} unwaived)"
    lines = [f"== {name} ({report.region}): {verdict}", f"  {'tool':<14}{'findings':>9}{'waived':>8}"]
    for tool in TOOLS:
        found = report.findings[tool]
        waived = sum(f.waived for f in found)
        waived_text = str(len([w for w in report.waivers if w.tool == LINT])) if tool == LINT else str(waived)
        lines.append(f"  {tool:<14}{len(found) - waived:>9}{waived_text:>8}")
    if unwaived:
        lines.append("  unwaived findings (tool rule: requirement; then each resource: evidence):")
        lines += _finding_lines(unwaived)
    if report.waivers:
        lines.append("  waivers (tool, rule, resource: reason):")
        lines += [f"    {_waiver_line(w, report)}" for w in report.waivers]
    return "\n".join(lines) + "\n"


def _finding_lines(findings: list[Finding]) -> list[str]:
    """One header per (tool, rule, requirement), one line per resource under it."""
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for finding in findings:
        groups.setdefault((finding.tool, finding.rule, finding.message), []).append(finding)
    lines = []
    for (tool, rule, message), members in groups.items():
        lines.append(f"    {tool} {rule}: {message}")
        for finding in members:
            where = finding.resource + (f" (generated from {finding.source})" if finding.source else "")
            lines.append(f"      - {where}" + (f": {finding.detail}" if finding.detail else ""))
    return lines


def _waiver_line(waiver: Waiver, report: TemplateReport) -> str:
    reason = waiver.reason or "NO REASON (fails the gate)"
    unused = waiver.tool in _USAGE_KNOWN and waiver not in report.used_waivers
    note = "  [unused: nothing to waive here; remove it?]" if unused else ""
    return f"{waiver.tool}  {waiver.rule}  {waiver.resource}: {reason}{note}"


def _display(path: Path, root: Path | None) -> str:
    if root is not None and path.is_relative_to(root):
        return str(path.relative_to(root))
    return str(path)
