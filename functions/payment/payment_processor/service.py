"""The transport-independent core: validate a payment event and record it exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .active_region import ActiveRegionFence
from .config import ConfigCache, PaymentConfig
from .ledger import Ledger, LedgerResult, Outcome
from .validation import FieldError, is_valid_id, parse_body, validate_payment


@dataclass(frozen=True, slots=True)
class SubmitResult:
    outcome: Outcome
    payment_id: str | None  # set whenever the event carried a well-formed id
    stored: LedgerResult | None = None  # the ledger's answer (created, duplicate, conflict)
    errors: tuple[FieldError, ...] = ()  # why it is invalid

    @property
    def record(self) -> dict[str, Any] | None:
        """The stored record's public fields, or None for invalid input."""
        return self.stored.record if self.stored is not None else None


class PaymentService:
    """Validates against the cached configuration, then writes through the idempotent ledger.

    Raises `ConfigUnavailable` (no configuration at all), `LedgerUnavailable` (AWS errors),
    `RegionFenced` (another region is active) and `ActiveRegionUnknown` (the fence cannot tell):
    transports map those to retries (SQS) or 503 (ALB). Invalid input never raises.
    """

    def __init__(self, config: ConfigCache, ledger: Ledger, fence: ActiveRegionFence | None = None):
        self._config = config
        self._ledger = ledger
        self._fence = fence

    @property
    def config(self) -> PaymentConfig:
        return self._config.get()

    def submit_json(self, body: object, *, source: str, source_id: str | None = None) -> SubmitResult:
        config = self._config.get()  # first: a config outage must not look like bad input
        if self._fence is not None:  # after the config: its cold-start call also read the record
            self._fence.check()  # before anything is written: a fenced region takes no payment
        data, errors = parse_body(body)
        if errors:
            return SubmitResult(Outcome.INVALID, None, errors=errors)
        payment, errors = validate_payment(data, config)
        if payment is None:
            claimed_id = data.get("payment_id") if isinstance(data, dict) else None
            return SubmitResult(
                Outcome.INVALID, claimed_id if is_valid_id(claimed_id) else None, errors=errors
            )
        result = self._ledger.record(payment, source=source, source_id=source_id)
        return SubmitResult(result.outcome, payment.payment_id, stored=result)

    def get(self, payment_id: str) -> dict[str, Any] | None:
        return self._ledger.get(payment_id)
