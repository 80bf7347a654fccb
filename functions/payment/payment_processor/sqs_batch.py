"""SQS entry point: a batch in, a partial batch response out (ReportBatchItemFailures).

Per record: recorded or duplicate -> done; invalid or conflicting -> sent to the DLQ with its
reasons, then done; transient trouble (throttling, timeouts, config outage, DLQ unreachable) ->
a batch item failure for that record only, so SQS redelivers just that one. A fenced region (or
one that cannot learn the active region) records nothing: each record is a batch item failure,
counted by the `Fenced` metric, and stays on the queue. When the invocation
is close to its timeout, the records not yet started are returned as failures instead of being
cut off mid-batch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .active_region import ActiveRegionUnknown, RegionFenced
from .config import ConfigUnavailable
from .dead_letter import DeadLetterQueue, DeadLetterUnavailable
from .ledger import LedgerUnavailable, Outcome
from .observability import EmfMetrics, JsonLogger
from .service import PaymentService
from .validation import FieldError

TIME_RESERVE_MS = 1500  # stop starting records when less than this remains


@dataclass(frozen=True, slots=True)
class RecordReport:
    """What happened to one record (returned for tests and the benchmark; also logged)."""

    message_id: str
    status: str  # recorded | duplicate | rejected | failed
    payment_id: str | None = None
    reasons: tuple[FieldError, ...] = ()
    cause: str | None = None


class SqsBatchProcessor:
    def __init__(
        self,
        service: PaymentService,
        dead_letters: DeadLetterQueue,
        *,
        logger: JsonLogger,
        metrics: EmfMetrics,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self._service = service
        self._dead_letters = dead_letters
        self._logger = logger
        self._metrics = metrics
        self._clock = clock

    def process(
        self, records: list[Any], remaining_ms: Callable[[], int] | None = None
    ) -> tuple[dict[str, list[dict[str, str]]], list[RecordReport]]:
        reports: list[RecordReport] = []
        for index, record in enumerate(records):
            if remaining_ms is not None and remaining_ms() < TIME_RESERVE_MS:
                reports.extend(self._out_of_time(records[index:]))
                break
            reports.append(self._process_one(record))
        failures = [{"itemIdentifier": r.message_id} for r in reports if r.status == "failed"]
        return {"batchItemFailures": failures}, reports

    def _process_one(self, record: Any) -> RecordReport:
        started = self._clock()
        message_id, body = _message_parts(record)
        try:
            if body is None:
                report = self._reject(
                    message_id, _record_text(record), None, (FieldError("record", "is not an SQS record"),)
                )
            else:
                result = self._service.submit_json(body, source="sqs", source_id=message_id)
                if result.outcome is Outcome.CREATED:
                    report = RecordReport(message_id, "recorded", result.payment_id)
                    self._metrics.count("Processed")
                elif result.outcome is Outcome.DUPLICATE:
                    report = RecordReport(message_id, "duplicate", result.payment_id)
                    self._metrics.count("Duplicates")
                elif result.outcome is Outcome.CONFLICT:
                    self._metrics.count("Conflicts")
                    reasons = (FieldError("payment_id", "was already recorded with a different body"),)
                    report = self._reject(message_id, body, result.payment_id, reasons)
                else:
                    report = self._reject(message_id, body, result.payment_id, result.errors)
        except (RegionFenced, ActiveRegionUnknown) as exc:
            self._metrics.count("Fenced")
            report = RecordReport(message_id, "failed", cause=str(exc))
        except (ConfigUnavailable, LedgerUnavailable, DeadLetterUnavailable) as exc:
            report = RecordReport(message_id, "failed", cause=str(exc))
        except Exception as exc:  # a bug must cost one retry of one record, not the batch
            self._logger.log_exception("unexpected error processing record", exc, message_id=message_id)
            report = RecordReport(message_id, "failed", cause=f"unexpected {type(exc).__name__}")
        self._finish(report, (self._clock() - started) * 1000)
        return report

    def _reject(
        self, message_id: str, body: str, payment_id: str | None, reasons: tuple[FieldError, ...]
    ) -> RecordReport:
        self._dead_letters.send(body=body, source_message_id=message_id, reasons=reasons)
        self._metrics.count("Rejected")
        return RecordReport(message_id, "rejected", payment_id, reasons)

    def _finish(self, report: RecordReport, latency_ms: float) -> None:
        self._metrics.latency_ms(latency_ms)
        if report.status == "failed":
            self._metrics.count("Failures")
            self._logger.warning(
                "payment record will be retried", message_id=report.message_id, cause=report.cause
            )
        elif report.status == "rejected":
            self._logger.warning(
                "payment record rejected to the dead-letter queue",
                message_id=report.message_id,
                payment_id=report.payment_id,
                reasons=[r.as_dict() for r in report.reasons],
            )
        else:
            self._logger.info(
                f"payment {report.status}",
                message_id=report.message_id,
                payment_id=report.payment_id,
                latency_ms=round(latency_ms, 3),
            )

    def _out_of_time(self, records: list[Any]) -> list[RecordReport]:
        reports = [
            RecordReport(_message_parts(r)[0], "failed", cause="invocation time budget") for r in records
        ]
        self._metrics.count("Failures", len(reports))
        self._logger.warning("time budget reached; returning unstarted records for retry", count=len(reports))
        return reports


def _message_parts(record: Any) -> tuple[str, str | None]:
    """(messageId, body); body is None when the record is not an SQS record at all."""
    if not isinstance(record, dict):
        return "", None
    message_id = record.get("messageId")
    body = record.get("body")
    message_id = message_id if isinstance(message_id, str) else ""
    return message_id, body if isinstance(body, str) and message_id else None


def _record_text(record: Any) -> str:
    try:
        return json.dumps(record, default=repr)[:200_000]
    except (TypeError, ValueError, RecursionError):
        return repr(record)[:200_000]
