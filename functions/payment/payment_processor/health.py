"""GET on the health path (Route 53 health checks through the ALB): may this region take payments?

200 `{"status": "ok", "region": R, "active_region": X}` when one cheap ledger read succeeds AND
(with the fence on) this region is the recorded active one. Otherwise 503:
`{"status": "unavailable", "cause": ...}` when the ledger does not answer,
`{"status": "fenced", "active_region": X}` when another region is active (or the record cannot be
read: X is null). So a fenced region, and a region returning after a failover that reads the newer
record from its replica, fail the Route 53 endpoint check on their own, whatever the fence metric
says. The check needs no payment configuration; the record comes from the fence's cache.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from .active_region import ActiveRegionFence
from .ledger import Ledger, LedgerUnavailable
from .observability import JsonLogger


class HealthCheck:
    def __init__(
        self, ledger: Ledger, *, region: str, fence: ActiveRegionFence | None, logger: JsonLogger
    ) -> None:
        self._ledger = ledger
        self._region = region
        self._fence = fence
        self._logger = logger

    def status(self) -> tuple[int, dict[str, Any]]:
        try:
            self._ledger.probe()
        except LedgerUnavailable as exc:
            self._logger.warning("health check failed: the ledger did not answer", cause=str(exc))
            active = self._fence.current() if self._fence is not None else None
            return HTTPStatus.SERVICE_UNAVAILABLE, {
                "status": "unavailable",
                "region": self._region,
                "active_region": active,
                "cause": str(exc),
            }
        if self._fence is None:
            return HTTPStatus.OK, {"status": "ok", "region": self._region, "active_region": None}
        active = self._fence.current()
        if active != self._region:
            return HTTPStatus.SERVICE_UNAVAILABLE, {
                "status": "fenced",
                "region": self._region,
                "active_region": active,
            }
        return HTTPStatus.OK, {"status": "ok", "region": self._region, "active_region": active}
