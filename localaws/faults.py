"""Injected faults: regions in an outage, and regions cut off from the others.

An outage makes every API call signed for that region fail as calls fail in a regional outage
(the request middleware answers 503 ServiceUnavailable), its Route 53 health checks fail, and
replication to and from it holds until `restore`. An isolated region still answers its clients but
reaches no other region (a strongly consistent table there refuses writes). Process-wide state,
read by the middleware and by the data-plane emulation (replication, health checks).
"""

from __future__ import annotations

import threading
from collections import Counter


class Faults:
    def __init__(self) -> None:
        self._down: set[str] = set()
        self._isolated: set[str] = set()
        self._refused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def outage(self, region: str) -> None:
        with self._lock:
            self._down.add(region)

    def isolate(self, region: str) -> None:
        with self._lock:
            self._isolated.add(region)

    def restore(self, region: str) -> None:
        """End an outage or isolation of `region` (held replication resumes on the next request)."""
        with self._lock:
            self._down.discard(region)
            self._isolated.discard(region)

    def is_down(self, region: str) -> bool:
        with self._lock:
            return region in self._down

    def reachable(self, source: str, destination: str) -> bool:
        """Whether `source` can reach `destination` (replication, quorum): neither down nor cut off."""
        with self._lock:
            cut = self._down | self._isolated
            return source == destination or (source not in cut and destination not in cut)

    @property
    def down(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._down)

    def count_refused(self, region: str) -> None:
        with self._lock:
            self._refused[region] += 1

    def refused(self, region: str) -> int:
        """Calls refused for `region` since the last `reset` (proves a runbook never called it)."""
        with self._lock:
            return self._refused[region]

    def capture(self) -> tuple[frozenset[str], frozenset[str], dict[str, int]]:
        """The fault state, for `localaws.snapshot`."""
        with self._lock:
            return frozenset(self._down), frozenset(self._isolated), dict(self._refused)

    def load(self, saved: tuple[frozenset[str], frozenset[str], dict[str, int]]) -> None:
        down, isolated, refused = saved
        with self._lock:
            self._down, self._isolated, self._refused = set(down), set(isolated), Counter(refused)

    def reset(self) -> None:
        with self._lock:
            self._down.clear()
            self._isolated.clear()
            self._refused.clear()


FAULTS = Faults()
