"""Load `context.toml`, apply `--set key=value` overrides, merge defaults, validate.

Every failure becomes a `ConfigError` whose lines name the dotted key and the problem, so the
CLI can print them and exit without a traceback (and without writing anything).
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from payinfra.config.model import Context

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "context.toml"
TOP_LEVEL = ("project", "defaults", "recovery")


class ConfigError(Exception):
    """Invalid configuration; `problems` holds one `key: message` line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_context(
    path: Path = DEFAULT_PATH,
    overrides: list[str] | tuple[str, ...] = (),
    suffix: str | None = None,
) -> Context:
    """Read, override, merge and validate the context file."""
    raw = _read_toml(path)
    for item in overrides:
        _apply_override(raw, item)
    if suffix is not None:
        raw.setdefault("project", {})["suffix"] = suffix
    return build_context(raw)


def build_context(raw: dict[str, Any]) -> Context:
    """Validate an already-parsed context document (also used by tests)."""
    raw = copy.deepcopy(raw)
    unknown_top = [k for k in raw if k not in TOP_LEVEL and not isinstance(raw[k], dict)]
    if unknown_top:
        raise ConfigError([f"{k}: unknown top-level key" for k in unknown_top])
    defaults = raw.get("defaults", {})
    regions = {
        name: _deep_merge(defaults, table)
        for name, table in raw.items()
        if name not in TOP_LEVEL
    }
    document = {"project": raw.get("project", {}), "recovery": raw.get("recovery", {}), "regions": regions}
    try:
        return Context.model_validate(document)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError([f"{path}: not valid TOML: {err}"]) from None


def _apply_override(raw: dict[str, Any], item: str) -> None:
    """`a.b.c=value`: value parsed as TOML (numbers, booleans, arrays), else taken as a string."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError([f"--set {item!r}: expected KEY=VALUE, e.g. us-east-2.alarms.latency_p99_ms=250"])
    value = _parse_value(text.strip())
    parts = key.split(".")
    if any(not p for p in parts):
        raise ConfigError([f"--set {key!r}: empty path segment"])
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError([f"--set {key}: {'.'.join(parts[: depth + 1])} is not a table"])
        node = child
    node[parts[-1]] = value


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _describe(err: ValidationError) -> list[str]:
    problems = []
    for item in err.errors():
        loc = [str(p) for p in item["loc"]]
        if loc[:1] == ["regions"]:
            loc = loc[1:]  # regions.us-east-2.waf -> us-east-2.waf
        key = ".".join(loc) or "context"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (typo?)"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif "input" in item and item["type"] not in ("value_error",):
            message = f"{message} (got {json.dumps(item['input'], default=str)})"
        if message.startswith("@"):
            # "@dotted.key: text" from a model validator: absolute when it names a region or
            # `project`, else relative to the model the validator belongs to.
            target, _, message = message[1:].partition(": ")
            absolute = key in ("context", target) or target.startswith(f"{key}.")
            key = target if absolute else f"{key}.{target}"
        problems.append(f"{key}: {message}")
    return problems
