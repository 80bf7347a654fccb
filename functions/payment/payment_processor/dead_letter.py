"""Rejected SQS records go to the dead-letter queue with their reasons, never silently dropped.

A rejected record is deleted from the source queue only after SendMessage to the DLQ succeeded;
otherwise it is reported as a batch item failure and SQS redelivers it (and, after the queue's
maxReceiveCount, redrives it to the same DLQ). Invalid input is therefore never retried in a storm
and never lost. The SQS client is created on the first rejection: most containers never need it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from .config import describe_error
from .validation import FieldError

MAX_REASON_CHARS = 2048


class SqsClient(Protocol):
    def send_message(self, **kwargs: Any) -> dict[str, Any]: ...


class DeadLetterUnavailable(RuntimeError):
    """The DLQ is not configured or SendMessage failed; the record must be retried."""


class DeadLetterQueue:
    def __init__(self, queue_url: str | None, client_factory: Callable[[], SqsClient], *, rejected_by: str):
        self._queue_url = queue_url
        self._client_factory = client_factory
        self._client: SqsClient | None = None
        self._rejected_by = rejected_by

    @property
    def configured(self) -> bool:
        return bool(self._queue_url)

    @property
    def client(self) -> SqsClient:
        """The SQS client, created on first use."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def send(self, *, body: str, source_message_id: str, reasons: Sequence[FieldError]) -> None:
        if not self._queue_url:
            raise DeadLetterUnavailable("DEAD_LETTER_QUEUE_URL is not set")
        reason_text = json.dumps([r.as_dict() for r in reasons], separators=(",", ":"))[:MAX_REASON_CHARS]
        try:
            self.client.send_message(
                QueueUrl=self._queue_url,
                MessageBody=body or "(empty body)",
                MessageAttributes={
                    "rejection_reasons": {"DataType": "String", "StringValue": reason_text},
                    "source_message_id": {"DataType": "String", "StringValue": source_message_id or "(none)"},
                    "rejected_by": {"DataType": "String", "StringValue": self._rejected_by},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise DeadLetterUnavailable(f"SendMessage to the DLQ failed: {describe_error(exc)}") from exc
