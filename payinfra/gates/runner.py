"""Run every gate over a set of templates: expand, fan the tools out, gather one report each.

checkov and cfn-guard each run once over all expanded templates (their start-up dominates one
scan); `sam validate` runs once per template. At most `jobs` tool processes run at a time (two
cores in CI): the two long runs are started first.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from payinfra.gates import checkov_scan, expand, guard_scan, lint, project_checks, waivers
from payinfra.gates.model import (
    CHECKOV,
    GUARD,
    LINT,
    PROJECT,
    WAIVERS,
    Finding,
    GateError,
    Template,
    TemplateReport,
)
from payinfra.gates.tools import ROOT, locate

BUILD_DIR = ROOT / ".aws-sam" / "gates"
T = TypeVar("T")


@dataclass
class Target:
    """One template to gate, parsed and expanded."""

    path: Path
    region: str
    text: str
    template: Template
    expanded: Template
    expanded_path: Path


def default_targets(root: Path = ROOT) -> list[tuple[Path, str]]:
    """The rendered templates and their regions, from the context (primary, secondary, peering)."""
    return [(root / stack.template, stack.region) for stack in _stacks()]


def region_for(path: Path, override: str | None) -> str:
    if override:
        return override
    for stack in _stacks():
        if stack.template == path.name:
            return str(stack.region)
    raise GateError(f"{path}: not one of the rendered templates, so its region is unknown: pass --region")


def _stacks() -> list[Any]:
    from payinfra.config import ConfigError, load_context
    from payinfra.topology import stacks

    try:
        return stacks(load_context())
    except ConfigError as err:
        raise GateError("context.toml is invalid: " + "; ".join(err.problems)) from None


def prepare(templates: list[tuple[Path, str]], build_dir: Path = BUILD_DIR) -> list[Target]:
    """Parse, expand and write each template (expanded names are unique within `build_dir`)."""
    targets = []
    for index, (path, region) in enumerate(templates):
        if not path.is_file():
            raise GateError(f"{path}: no such template (render with `.venv/bin/python render.py`)")
        template = expand.load_template(path)  # GateError names the file
        try:
            expanded = expand.expand(template, region)
        except GateError as err:
            raise GateError(f"{path}: {err}") from None
        name = path.stem if sum(p.stem == path.stem for p, _ in templates) == 1 else f"{path.stem}-{index}"
        out = expand.write_expanded(expanded, build_dir / f"{name}.json")
        targets.append(Target(path, region, path.read_text(), template, expanded, out))
    return targets


@dataclass
class GateRun:
    reports: list[TemplateReport]
    timings: dict[str, float]  # step -> wall seconds (steps overlap: tools run side by side)


def run(templates: list[tuple[Path, str]], jobs: int = 2, build_dir: Path = BUILD_DIR) -> GateRun:
    """Gate each (template, region); a GateError if a tool is missing or cannot run."""
    tools = locate()
    timings: dict[str, float] = {}
    targets = _timed(timings, "expand", prepare, templates, build_dir)
    expanded = [t.expanded_path for t in targets]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        checkov_run = pool.submit(_timed, timings, CHECKOV, checkov_scan.run, tools.checkov, expanded)
        guard_run = pool.submit(
            _timed, timings, GUARD, guard_scan.run, tools.guard, tools.guard_rules, expanded
        )
        lint_runs = [
            pool.submit(_timed, timings, f"{LINT} {t.path.stem}", lint.run, tools.sam, t.path, t.region)
            for t in targets
        ]
        project = [project_checks.run_all(t.expanded) for t in targets]  # in-process, meanwhile
        checkov_by_file = checkov_scan.parse(_result(checkov_run))
        guard_by_file = guard_scan.parse(_result(guard_run), guard_scan.rule_ids(tools.guard_rules))
        lint_results = [_result(f) for f in lint_runs]
    reports = [
        _report(t, lint.parse(lint_result, t.text), checkov_by_file, guard_by_file, found)
        for t, lint_result, found in zip(targets, lint_results, project, strict=True)
    ]
    return GateRun(reports, timings)


def _timed(timings: dict[str, float], step: str, function: Callable[..., T], *args: Any) -> T:
    started = time.monotonic()
    try:
        return function(*args)
    finally:
        timings[step] = time.monotonic() - started


def _result(future: Future[Any]) -> Any:
    try:
        return future.result()
    except subprocess.TimeoutExpired as err:
        raise GateError(f"{Path(str(err.cmd[0])).name} timed out after {err.timeout:.0f} s") from None


def _report(
    target: Target,
    lint_findings: list[Finding],
    checkov_by_file: dict[str, list[Finding]],
    guard_by_file: dict[str, list[Finding]],
    project_findings: list[Finding],
) -> TemplateReport:
    report = TemplateReport(target.path, target.region)
    declared, problems = waivers.collect(target.template)
    report.waivers = declared
    name = target.expanded_path.name
    for tool, found in (
        (CHECKOV, checkov_by_file.get(name, [])),
        (GUARD, guard_by_file.get(name, [])),
        (PROJECT, project_findings),
    ):
        applied, used = waivers.apply(found, (w for w in declared if w.tool == tool), target.expanded)
        report.findings[tool] = applied
        report.used_waivers |= used
    report.findings[LINT] = lint_findings
    report.findings[WAIVERS] = problems
    return report

