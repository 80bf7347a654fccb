"""GET on the health path (Route 53 health checks through the ALB): can this region's ledger answer?

200 `{"status": "ok", "region": R, "active_region": X}` when one cheap ledger read succeeds, 503
otherwise. Fencing does not make a region unhealthy (the fence alarm takes it out of DNS), and the
check needs no payment configuration: only the ledger read, plus the fence's cached record for
the report (`active_region` is null when fencing is off or the record is unknown).
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
        active = self._fence.current() if self._fence is not None else None
        body: dict[str, Any] = {"status": "ok", "region": self._region, "active_region": active}
        try:
            self._ledger.probe()
        except LedgerUnavailable as exc:
            self._logger.warning("health check failed: the ledger did not answer", cause=str(exc))
            body["status"] = "unavailable"
            body["cause"] = str(exc)
            return HTTPStatus.SERVICE_UNAVAILABLE, body
        return HTTPStatus.OK, body
