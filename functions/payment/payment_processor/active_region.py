"""The fence: which region serves payments, read from SSM and cached per container.

The runbook records the active region in an SSM parameter in every region (JSON
`{"active": REGION, "epoch": N}`, payinfra/recovery/active.py). A region whose record names
another region is fenced: it refuses payments before any ledger write, so two regions never take
the same payment while the traffic switch propagates.

Per event the fence costs one clock read and one comparison: the record is re-read
(`ssm:GetParameter`) at most every `cache_s` seconds. When a re-read fails the last record keeps
serving, but never longer than `max_age_s` after it was read: past that the region cannot know
whether it is still active, so it refuses payments (fail closed) rather than risk a double charge.
A failed read is retried at most every `retry_after_failure_s`, never once per event.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from .config import describe_error
from .observability import JsonLogger


class RegionFenced(RuntimeError):
    """This region is not the active one: the payment must go to `active_region`."""

    def __init__(self, active_region: str):
        super().__init__(f"region fenced: payments are served by {active_region}")
        self.active_region = active_region


class ActiveRegionUnknown(RuntimeError):
    """The active-region record could not be read recently enough: refuse, fail closed."""


def parse_record(text: str) -> str:
    """The `active` region of a record; `ValueError` naming the problem otherwise."""
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(f"active-region record is not JSON: {text[:80]!r}") from None
    active = data.get("active") if isinstance(data, dict) else None
    if not isinstance(active, str) or not active or not isinstance(data.get("epoch"), int):
        raise ValueError(
            f"active-region record needs a region in 'active' and an integer 'epoch': {text[:80]!r}"
        )
    return active


class ActiveRegionFence:
    """Caches the recorded active region; `check()` is the per-event gate."""

    def __init__(
        self,
        loader: Callable[[], str],
        *,
        region: str,
        cache_s: float,
        max_age_s: float,
        logger: JsonLogger,
        retry_after_failure_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader  # returns the raw record text; raises on any failure
        self._region = region
        self._cache_s = cache_s
        self._max_age_s = max(max_age_s, cache_s)
        self._retry_after_failure_s = min(retry_after_failure_s, cache_s)
        self._logger = logger
        self._clock = clock
        self._lock = threading.Lock()
        self._active: str | None = None
        self._read_at = float("-inf")  # when the cached record was read
        self._next_refresh = float("-inf")  # fresh until then (after a failure: next attempt)
        self._hot_until = float("-inf")  # min(next refresh, end of max age): the hot path's deadline
        self._last_cause = "not read yet"
        self.refresh_failures = 0

    @property
    def cache_s(self) -> float:
        return self._cache_s

    def check(self) -> None:
        """Return when this region may take payments; raise `RegionFenced` or `ActiveRegionUnknown`."""
        if self._clock() < self._hot_until and self._active == self._region:
            return  # the hot path: one clock read, one comparison
        active = self.active_region()
        if active != self._region:
            raise RegionFenced(active)

    def active_region(self) -> str:
        """The cached active region, re-read when due; `ActiveRegionUnknown` when too old."""
        now = self._clock()
        if now >= self._next_refresh:
            with self._lock:
                if self._clock() >= self._next_refresh:
                    self._refresh()
            now = self._clock()
        active = self._active
        if active is None or now - self._read_at > self._max_age_s:
            raise ActiveRegionUnknown(f"active region unknown: {self._last_cause}")
        return active

    def current(self) -> str | None:
        """The active region for reports (health check): never raises, None when unknown."""
        try:
            return self.active_region()
        except ActiveRegionUnknown:
            return None

    def prime(self, text: str | None) -> None:
        """Accept a record read elsewhere (the cold-start GetParameters that also loads the config)."""
        with self._lock:
            if text is None:
                self._failed("active-region parameter not found")
                return
            try:
                self._accept(parse_record(text))
            except ValueError as exc:
                self._failed(str(exc))

    def _refresh(self) -> None:
        try:
            active = parse_record(self._loader())
        except Exception as exc:  # AWS, network or a malformed record: all mean "could not learn"
            self._failed(describe_error(exc) if not isinstance(exc, ValueError) else str(exc))
            return
        self._accept(active)

    def _accept(self, active: str) -> None:
        if self._active is not None and active != self._active:
            self._logger.warning("active region changed", previous=self._active, active=active)
        self._active = active
        self._read_at = self._clock()
        self._next_refresh = self._hot_until = self._read_at + self._cache_s

    def _failed(self, cause: str) -> None:
        self.refresh_failures += 1
        self._last_cause = cause
        self._next_refresh = self._clock() + self._retry_after_failure_s
        self._hot_until = min(self._next_refresh, self._read_at + self._max_age_s)
        stale_for = self._clock() - self._read_at
        if self._active is not None and stale_for <= self._max_age_s:
            self._logger.warning(
                "active-region refresh failed; serving the cached record",
                cause=cause,
                active=self._active,
                age_s=round(stale_for, 3),
            )
        else:
            self._logger.error("active-region record unavailable; refusing payments", cause=cause)


def ssm_record_loader(ssm: Any, name: str) -> Callable[[], str]:
    """`ssm:GetParameter` of the record (a String parameter, so no decryption is involved).

    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
    """

    def load() -> str:
        return str(ssm.get_parameter(Name=name)["Parameter"]["Value"])

    return load
