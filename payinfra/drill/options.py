"""What a drill run is asked to do (`local --drill` options), validated into one clear error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class DrillOptionError(ValueError):
    """A drill option out of range: the message names the option."""


@dataclass(frozen=True)
class DrillOptions:
    payments: int = 120  # sent through the handler, at `rate` per second of the drill's clock
    rate: float = 10.0
    lag_ms: int = 2000  # replication lag of the eventually consistent tables in the local AWS
    to: str | None = None  # the region to fail over to (default: the first secondary)
    report: Path | None = None  # where the JSON report goes
    outage_at: float = 0.4  # the outage starts after this share of the payments

    def __post_init__(self) -> None:
        if not 10 <= self.payments <= 100_000:
            raise DrillOptionError(f"--payments must be between 10 and 100000, got {self.payments}")
        if not 0 < self.rate <= 1000:
            raise DrillOptionError(f"--rate must be in (0, 1000] payments per second, got {self.rate}")
        if not 0 <= self.lag_ms <= 600_000:
            raise DrillOptionError(f"--lag-ms must be between 0 and 600000, got {self.lag_ms}")
        if not 0.1 <= self.outage_at <= 0.9:
            raise DrillOptionError(
                f"the outage must start between 10% and 90% of the payments, got {self.outage_at}"
            )
