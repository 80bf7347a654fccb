"""Runtime configuration from SSM Parameter Store, cached in memory with a TTL.

One GetParameters call loads the three parameters of the region's path; the cache serves them for
`ttl_s` seconds, so no event ever waits on SSM once the container is warm. When a refresh fails
and a previous value exists, the stale value keeps serving (config changes are rare; refusing
payments because SSM blipped would be worse) and the next attempt waits `retry_after_failure_s`.
With no value at all (cold start), the failure is a `ConfigUnavailable` naming the cause.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from .currencies import minor_units
from .observability import JsonLogger

PARAMETER_NAMES = ("payment_api_endpoint", "max_amount", "currencies")
_ENDPOINT = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$")


class ConfigError(ValueError):
    """The parameters exist but do not form a valid configuration."""


class ConfigUnavailable(RuntimeError):
    """No configuration could be loaded and none is cached."""


@dataclass(frozen=True, slots=True)
class PaymentConfig:
    """The region's payment settings, validated once when loaded."""

    api_endpoint: str
    max_amount: Decimal
    currencies: frozenset[str]

    def status_url(self, payment_id: str) -> str:
        return f"{self.api_endpoint}/payments/{payment_id}"


def parse_config(values: dict[str, str], *, fallback_endpoint: str = "") -> PaymentConfig:
    """Validate raw parameter values; every problem is named in one `ConfigError`."""
    problems: list[str] = []
    endpoint = (values.get("payment_api_endpoint") or fallback_endpoint).rstrip("/")
    if not _ENDPOINT.match(endpoint):
        problems.append(f"payment_api_endpoint must be an https URL, got {endpoint[:80]!r}")
    max_text = values.get("max_amount", "")
    try:
        max_amount = Decimal(max_text)
    except InvalidOperation:
        max_amount = Decimal(0)
    if not (max_amount.is_finite() and max_amount > 0):
        problems.append(f"max_amount must be a positive decimal, got {max_text[:40]!r}")
    codes = [code.strip() for code in values.get("currencies", "").split(",") if code.strip()]
    unknown = [code[:8] for code in codes if minor_units(code) is None]
    if not codes:
        problems.append("currencies must list at least one ISO 4217 code")
    elif unknown:
        problems.append(f"currencies contains codes that are not ISO 4217 payment currencies: {unknown}")
    if problems:
        raise ConfigError("; ".join(problems))
    return PaymentConfig(api_endpoint=endpoint, max_amount=max_amount, currencies=frozenset(codes))


class SsmClient(Protocol):
    def get_parameters(self, **kwargs: Any) -> dict[str, Any]: ...


class SsmConfigLoader:
    """Loads the region's parameters with a single `ssm:GetParameters` call.
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
    """

    def __init__(
        self,
        ssm: SsmClient,
        path: str,
        *,
        fallback_endpoint: str = "",
    ) -> None:
        self._ssm = ssm
        self._names = [f"{path}/{name}" for name in PARAMETER_NAMES]
        self._fallback_endpoint = fallback_endpoint

    def __call__(self) -> PaymentConfig:
        found = self._ssm.get_parameters(Names=self._names).get("Parameters", [])
        values = {p["Name"].rsplit("/", 1)[-1]: p["Value"] for p in found}
        required_missing = [
            name
            for name in self._names
            if name.rsplit("/", 1)[-1] not in values
            and not (name.endswith("/payment_api_endpoint") and self._fallback_endpoint)
        ]
        if required_missing:
            raise ConfigError(f"SSM parameter(s) not found: {', '.join(required_missing)}")
        return parse_config(values, fallback_endpoint=self._fallback_endpoint)


class ConfigCache:
    """Serves a loaded `PaymentConfig` for `ttl_s` seconds; thread-safe, one refresh at a time."""

    def __init__(
        self,
        loader: Callable[[], PaymentConfig],
        *,
        ttl_s: float,
        logger: JsonLogger,
        retry_after_failure_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl_s = ttl_s
        self._retry_after_failure_s = min(retry_after_failure_s, ttl_s)
        self._logger = logger
        self._clock = clock
        self._lock = threading.Lock()
        self._value: PaymentConfig | None = None
        self._expires_at = float("-inf")  # next refresh (after a failure: next attempt)
        self._last_cause = ""
        self.refresh_failures = 0

    def get(self) -> PaymentConfig:
        value = self._value
        if value is not None and self._clock() < self._expires_at:
            return value
        with self._lock:
            if self._clock() < self._expires_at:
                if self._value is not None:
                    return self._value
                # Cold and failed recently: answer at once instead of hammering SSM per event.
                raise ConfigUnavailable(f"payment configuration could not be loaded: {self._last_cause}")
            return self._refresh()

    def _refresh(self) -> PaymentConfig:
        try:
            value = self._loader()
        except Exception as exc:  # any loader failure (AWS, network, bad values) ends the same way
            self.refresh_failures += 1
            self._last_cause = cause = describe_error(exc)
            self._expires_at = self._clock() + self._retry_after_failure_s
            if self._value is None:
                self._logger.error("configuration unavailable and nothing cached", cause=cause)
                raise ConfigUnavailable(f"payment configuration could not be loaded: {cause}") from exc
            self._logger.warning("config refresh failed; serving the cached configuration", cause=cause)
            return self._value
        self._value = value
        self._expires_at = self._clock() + self._ttl_s
        return value


def describe_error(exc: BaseException) -> str:
    """A one-line cause for logs and error bodies: the AWS error code when there is one."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return f"{type(exc).__name__} ({code})"
    text = str(exc)
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__
