"""Process-level settings from the function's environment (see templates/README.md, the contract).

Read once per container. A missing or malformed variable is a deployment error: it is reported
with its name so the fix is obvious, instead of surfacing later as a KeyError deep in a request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

_PATH = re.compile(r"^(/[A-Za-z0-9_.-]+)+$")
_DEFAULT_TTL_S = 60.0
_DEFAULT_ACTIVE_REGION_CACHE_S = 5.0
# A record older than this many cache periods is not trusted (refresh failing): fail closed.
MAX_AGE_CACHE_PERIODS = 3
LEDGER_MODES = ("strong", "eventual")


class SettingsError(RuntimeError):
    """The function's environment does not satisfy the deployment contract."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the template passes to the function (names follow the contract exactly)."""

    ledger_table: str
    ssm_parameter_path: str
    region: str
    payment_api_endpoint: str
    config_cache_ttl_s: float
    dead_letter_queue_url: str | None
    service: str
    metrics_namespace: str
    ledger_consistency: str = "strong"
    audit_table: str | None = None  # eventual mode only: one audit entry per (payment_id, region)
    # The fence is on when the environment sets ACTIVE_REGION_CACHE_S (the template always does;
    # unit tests and tools that build the handler without it get no fencing). The record itself
    # is an item of LEDGER_TABLE, so nothing else needs naming.
    fenced: bool = False
    active_region_cache_s: float = _DEFAULT_ACTIVE_REGION_CACHE_S
    health_check_path: str = "/healthz"

    @property
    def active_region_max_age_s(self) -> float:
        """How long a record may serve while refreshes fail (then payments are refused)."""
        return self.active_region_cache_s * MAX_AGE_CACHE_PERIODS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in ("LEDGER_TABLE", "SSM_PARAMETER_PATH") if not env.get(name)]
        if missing:
            raise SettingsError(f"missing environment variable(s): {', '.join(missing)}")
        path = env["SSM_PARAMETER_PATH"].rstrip("/")
        if not _PATH.match(path):
            raise SettingsError(f"SSM_PARAMETER_PATH must look like /payments/dev, got {path!r}")
        region = env.get("DEPLOY_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not region:
            raise SettingsError("missing environment variable: DEPLOY_REGION")
        ttl_text = env.get("CONFIG_CACHE_TTL_S", str(_DEFAULT_TTL_S))
        try:
            ttl = float(ttl_text)
        except ValueError:
            raise SettingsError(f"CONFIG_CACHE_TTL_S must be a number of seconds, got {ttl_text!r}") from None
        if not 0 < ttl <= 3600:
            raise SettingsError(f"CONFIG_CACHE_TTL_S must be in (0, 3600], got {ttl_text!r}")
        ledger_consistency, audit_table = _ledger_mode(env)
        health_check_path = env.get("HEALTH_CHECK_PATH") or "/healthz"
        if not _PATH.match(health_check_path):
            raise SettingsError(f"HEALTH_CHECK_PATH must look like /healthz, got {health_check_path!r}")
        return cls(
            ledger_table=env["LEDGER_TABLE"],
            ssm_parameter_path=path,
            region=region,
            payment_api_endpoint=env.get("PAYMENT_API_ENDPOINT", ""),
            config_cache_ttl_s=ttl,
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL") or None,
            service=env.get("POWERTOOLS_SERVICE_NAME", "payments"),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "Payments"),
            ledger_consistency=ledger_consistency,
            audit_table=audit_table,
            fenced=bool(env.get("ACTIVE_REGION_CACHE_S")),
            active_region_cache_s=_seconds(env, "ACTIVE_REGION_CACHE_S", _DEFAULT_ACTIVE_REGION_CACHE_S, 300),
            health_check_path=health_check_path.rstrip("/") or "/",
        )


def _ledger_mode(env: Mapping[str, str]) -> tuple[str, str | None]:
    """(LEDGER_CONSISTENCY, AUDIT_TABLE), checked together.

    Strong (DynamoDB multi-Region strong consistency) supports no transactions, so it cannot take
    the audit put; eventual needs it, or the post-failback reconciliation has nothing to compare.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
    """
    mode = env.get("LEDGER_CONSISTENCY") or "strong"
    audit_table = env.get("AUDIT_TABLE") or None
    if mode not in LEDGER_MODES:
        raise SettingsError(f"LEDGER_CONSISTENCY must be strong or eventual, got {mode[:40]!r}")
    if mode == "strong" and audit_table:
        raise SettingsError("AUDIT_TABLE is set but LEDGER_CONSISTENCY is strong (no transactions there)")
    if mode == "eventual" and not audit_table:
        raise SettingsError("LEDGER_CONSISTENCY=eventual needs AUDIT_TABLE (the reconciliation reads it)")
    return mode, audit_table


def _seconds(env: Mapping[str, str], name: str, default: float, maximum: float) -> float:
    text = env.get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {text[:40]!r}") from None
    if not 0 < value <= maximum:
        raise SettingsError(f"{name} must be in (0, {maximum:g}], got {text[:40]!r}")
    return value
