"""The fence: which region serves payments, read from the global ledger table and cached per container.

The runbook records the active region as one item of the global ledger table (key payment_id =
ACTIVE_RECORD_ID, attributes active and epoch; payinfra/recovery/active.py). It replicates like
the ledger, so a region that was cut off during a failover reads the newer record when it
returns. A region whose record names another region is fenced: it refuses payments before any
ledger write, so two regions never take the same payment while the traffic switch propagates.

Per event the fence costs one clock read and one comparison: the record is re-read (one
strongly consistent `dynamodb:GetItem`) at most every `cache_s` seconds. When a re-read fails the
last record keeps serving, but never longer than `max_age_s` after it was read: past that the
region cannot know whether it is still active, so it refuses payments (fail closed) rather than
risk a double charge. A failed read is retried at most every `retry_after_failure_s`, never once
per event. No record at all (not written yet) also fails closed.
"""

from __future__ import annotations

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


# No payment id can start with '#' (validation.ID_PATTERN): the record never collides with one.
ACTIVE_RECORD_ID = "#active-region"
ACTIVE_RECORD_KEY = {"payment_id": {"S": ACTIVE_RECORD_ID}}


def parse_record(item: dict[str, Any] | None) -> str:
    """The `active` region of the record item; `ValueError` naming the problem otherwise."""
    if item is None:
        raise ValueError(f"no active-region record ({ACTIVE_RECORD_ID}) in the ledger table")
    active = item.get("active", {}).get("S") if isinstance(item.get("active"), dict) else None
    epoch = item.get("epoch", {}).get("N") if isinstance(item.get("epoch"), dict) else None
    if not isinstance(active, str) or not active or not isinstance(epoch, str) or not epoch.isdigit():
        raise ValueError(
            "active-region record needs a region in 'active' (S) and an integer 'epoch' (N): "
            f"{str(item)[:120]}"
        )
    return active


class ActiveRegionFence:
    """Caches the recorded active region; `check()` is the per-event gate."""

    def __init__(
        self,
        loader: Callable[[], dict[str, Any] | None],
        *,
        region: str,
        cache_s: float,
        max_age_s: float,
        logger: JsonLogger,
        retry_after_failure_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader  # returns the record item (None: absent); raises on any failure
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


def ledger_record_loader(dynamodb: Any, table: str) -> Callable[[], dict[str, Any] | None]:
    """One strongly consistent GetItem of the record in this region's ledger replica (None when
    absent): consistent so a region never reads an older record than its replica holds.
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html
    """

    def load() -> dict[str, Any] | None:
        item: dict[str, Any] | None = dynamodb.get_item(
            TableName=table, Key=ACTIVE_RECORD_KEY, ConsistentRead=True
        ).get("Item")
        return item

    return load
