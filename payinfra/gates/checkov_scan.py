"""checkov over the expanded templates, in one run (its start-up costs more than one scan).

Offline: `--skip-download` (no policy or guideline download), no BC_API_KEY (no platform calls),
no update check. checkov applies `Metadata.checkov.skip` itself and reports those as skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from payinfra.gates.model import CHECKOV, Finding, GateError

_OFFLINE_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}


def run(checkov: Path, files: list[Path], timeout_s: float = 300) -> str:
    """checkov's JSON report (stdout) for `files`."""
    env = {k: v for k, v in os.environ.items() if k not in {"BC_API_KEY", "PRISMA_API_URL"}}
    env.update(_OFFLINE_ENV)
    command = [str(checkov), "--framework", "cloudformation", "-o", "json", "--compact", "--skip-download"]
    for path in files:
        command += ["-f", str(path)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout_s, check=False)
    if proc.returncode not in (0, 1):  # 1 = failed checks; anything else is checkov itself failing
        raise GateError(f"checkov failed (exit {proc.returncode}): {proc.stderr.strip()[-800:]}")
    return proc.stdout


def parse(report: str) -> dict[str, list[Finding]]:
    """File name -> findings (failed, and skipped ones marked waived)."""
    try:
        document = json.loads(report) if report.strip() else {}
    except json.JSONDecodeError as err:
        raise GateError(f"checkov output is not JSON ({err}): {report[:300]!r}") from None
    by_file: dict[str, list[Finding]] = {}
    for block in document if isinstance(document, list) else [document]:
        results = block.get("results", {}) if isinstance(block, dict) else {}
        for check in results.get("failed_checks", []):
            by_file.setdefault(_file(check), []).append(_finding(check, waived=False))
        for check in results.get("skipped_checks", []):
            by_file.setdefault(_file(check), []).append(_finding(check, waived=True))
        for path in results.get("parsing_errors", []):
            by_file.setdefault(Path(path).name, []).append(
                Finding(CHECKOV, "PARSE", "-", "checkov could not parse this template")
            )
    return by_file


def _file(check: dict[str, Any]) -> str:
    return Path(check.get("file_path") or check.get("file_abs_path") or "?").name


def _finding(check: dict[str, Any], waived: bool) -> Finding:
    # `resource` is "<Type>.<LogicalId>", e.g. "AWS::KMS::Key.Key".
    logical_id = str(check.get("resource", "-")).rsplit(".", 1)[-1]
    message = check.get("check_name", "")
    if check.get("guideline"):
        message += f" ({check['guideline']})"
    keys = (check.get("check_result") or {}).get("evaluated_keys") or []
    detail = f"evaluated {', '.join(keys)}" if keys else ""
    return Finding(CHECKOV, check["check_id"], logical_id, message, detail, waived)
