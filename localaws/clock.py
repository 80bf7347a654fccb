"""The local AWS's clock: real time plus whatever a drill has fast-forwarded.

Every wait the emulator models (replication lag, health-check intervals, RDS promotion) is measured
on this clock, so a drill can skip a simulated minute with `advance(60)` instead of sleeping it.
Process-wide, like moto's backends: one emulator per process (`localaws.server`).
"""

from __future__ import annotations

import threading
import time


class SimClock:
    """Epoch seconds that run with real time and jump forward on `advance`."""

    def __init__(self) -> None:
        self._skipped = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._skipped

    def advance(self, seconds: float) -> None:
        """Move the clock forward without waiting (a drill's simulated wait)."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds}")
        with self._lock:
            self._skipped += seconds

    def sleep(self, seconds: float) -> None:
        """A simulated wait: returns at once, `seconds` later on this clock."""
        self.advance(seconds)

    @property
    def skipped(self) -> float:
        """Seconds fast-forwarded so far (the difference to wall time)."""
        with self._lock:
            return self._skipped

    def set_skipped(self, seconds: float) -> None:
        """Return to a saved offset (`localaws.snapshot`); the only way the clock moves back."""
        with self._lock:
            self._skipped = seconds

    def reset(self) -> None:
        with self._lock:
            self._skipped = 0.0


CLOCK = SimClock()
