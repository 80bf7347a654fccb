"""Where the Lambda SQS rules hook: every way this emulator creates or updates an SQS mapping.

CreateEventSourceMapping and UpdateEventSourceMapping (API), `AWS::Lambda::EventSourceMapping`
and the SAM `SQS` event (which the SAM transform turns into one) all end in
`LambdaBackend.create_event_source_mapping` / `update_event_source_mapping`. A rule wraps both
with one check that sees the mapping as it would be after the call: on an update, what the
request leaves out keeps its current value, as Lambda validates the resulting mapping
(https://docs.aws.amazon.com/lambda/latest/api/API_UpdateEventSourceMapping.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localaws._moto import (
    EventSourceMapping,
    InvalidParameterValueException,
    LambdaBackend,
    LambdaFunction,
    Queue,
    UnknownAliasException,
    UnknownFunctionException,
    sqs_backends,
)
from localaws.patching import Patcher

# Lambda's defaults for an SQS source (services-sqs-parameters.html): batch 10, window 0 s.
DEFAULT_SQS_BATCH_SIZE = 10
DEFAULT_BATCHING_WINDOW_S = 0


@dataclass(frozen=True)
class SqsMapping:
    """An SQS event source mapping as it would stand after the request."""

    function: LambdaFunction
    queue: Queue
    batch_size: int
    batching_window_s: int


SqsCheck = Callable[[SqsMapping], None]


def _int(value: Any, default: int) -> int | None:
    """An integer setting, its default when absent, None when not a number (left to moto)."""
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _queue(backend: LambdaBackend, arn: str) -> Queue | None:
    """The SQS queue an event source ARN names, in the mapping's account and region."""
    if ":sqs:" not in arn:
        return None
    queues = sqs_backends[backend.account_id][backend.region_name].queues.values()
    return next((queue for queue in queues if queue.queue_arn == arn), None)


def _mapping(
    backend: LambdaBackend, function_name: Any, source_arn: Any, batch_size: Any, window: Any
) -> SqsMapping | None:
    """The mapping to check, or None when it is not an SQS one or moto will refuse it anyway."""
    if not function_name or not source_arn:
        return None
    queue = _queue(backend, str(source_arn))
    size = _int(batch_size, DEFAULT_SQS_BATCH_SIZE)
    seconds = _int(window, DEFAULT_BATCHING_WINDOW_S)
    if queue is None or size is None or seconds is None:
        return None
    try:
        function = backend.get_function(str(function_name))
    except (UnknownFunctionException, UnknownAliasException, InvalidParameterValueException):
        # an unknown function, alias or a malformed name is moto's own refusal
        return None
    return SqsMapping(function, queue, size, seconds)


def wrap_sqs_mappings(patcher: Patcher, check: SqsCheck) -> None:
    """Run `check(mapping)` before any SQS event source mapping is created or updated."""
    create = LambdaBackend.create_event_source_mapping
    update = LambdaBackend.update_event_source_mapping

    def checked_create(self: LambdaBackend, spec: dict[str, Any]) -> EventSourceMapping:
        mapping = _mapping(
            self,
            spec.get("FunctionName"),
            spec.get("EventSourceArn"),
            spec.get("BatchSize"),
            spec.get("MaximumBatchingWindowInSeconds"),
        )
        if mapping is not None:
            check(mapping)
        return create(self, spec)

    def checked_update(self: LambdaBackend, uuid: str, spec: dict[str, Any]) -> EventSourceMapping | None:
        current = self.get_event_source_mapping(uuid)
        if current is not None:
            mapping = _mapping(
                self,
                spec.get("FunctionName") or current.function_arn,
                current.event_source_arn,
                spec.get("BatchSize", current.batch_size),
                spec.get("MaximumBatchingWindowInSeconds", current.max_batch_window),
            )
            if mapping is not None:
                check(mapping)
        return update(self, uuid, spec)

    patcher.replace(LambdaBackend, "create_event_source_mapping", checked_create)
    patcher.replace(LambdaBackend, "update_event_source_mapping", checked_update)
