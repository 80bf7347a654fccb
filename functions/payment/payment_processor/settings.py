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
        return cls(
            ledger_table=env["LEDGER_TABLE"],
            ssm_parameter_path=path,
            region=region,
            payment_api_endpoint=env.get("PAYMENT_API_ENDPOINT", ""),
            config_cache_ttl_s=ttl,
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL") or None,
            service=env.get("POWERTOOLS_SERVICE_NAME", "payments"),
            metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE", "Payments"),
        )
