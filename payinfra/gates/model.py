"""The gate's vocabulary: a finding, a waiver, and what one template produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Template = dict[str, Any]

# Tool names as printed; also the keys of `TemplateReport.findings`.
LINT = "sam-validate"
CHECKOV = "checkov"
GUARD = "cfn-guard"
PROJECT = "project"
WAIVERS = "waivers"
TOOLS = (LINT, CHECKOV, GUARD, PROJECT, WAIVERS)


@dataclass(frozen=True)
class Finding:
    """One rule a resource breaks: enough to act on without rerunning the tool."""

    tool: str
    rule: str
    resource: str  # logical id ("-" when the finding is about the whole template)
    message: str  # what the rule requires (the same for every resource it flags)
    detail: str = ""  # the evidence on this resource (a property path and value, a line)
    waived: bool = False
    source: str | None = None  # the SAM resource a generated resource came from, if any


@dataclass(frozen=True)
class Waiver:
    """An inline suppression: `Metadata.<key>` on `resource` for `rule`, with a reason."""

    tool: str
    rule: str
    resource: str
    reason: str | None


@dataclass
class TemplateReport:
    """Everything the gate learnt about one template."""

    path: Path
    region: str
    findings: dict[str, list[Finding]] = field(default_factory=lambda: {t: [] for t in TOOLS})
    waivers: list[Waiver] = field(default_factory=list)
    used_waivers: set[Waiver] = field(default_factory=set)
    lint_waiver_count: int = 0

    def add(self, finding: Finding) -> None:
        self.findings[finding.tool].append(finding)

    def unwaived(self) -> list[Finding]:
        return [f for tool in TOOLS for f in self.findings[tool] if not f.waived]

    @property
    def passed(self) -> bool:
        return not self.unwaived()


class GateError(Exception):
    """The gate could not run (missing tool, unreadable template): not a finding, a stop."""
