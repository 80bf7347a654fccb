"""LAMBDA003: an SQS event source with BatchSize over 10 needs MaximumBatchingWindowInSeconds >= 1.

Lambda API Reference, CreateEventSourceMapping, MaximumBatchingWindowInSeconds: "For streams and
Amazon SQS event sources, when you set BatchSize to a value greater than 10, you must set
MaximumBatchingWindowInSeconds to at least 1"; an SQS source's defaults are a batch of 10 and a
window of 0 (Developer Guide, "Lambda parameters for Amazon SQS event source mappings"). Lambda
answers InvalidParameterValueException; moto stores any combination. Only SQS is checked: the
same sentence names streams, but a stream's default batch is 100 with a 0 s window, which Lambda
accepts, so that half of the sentence is not enforced here.
"""

from __future__ import annotations

from localaws.aws_errors import InvalidParameterValueException
from localaws.patching import Patcher

from ._sqs_mapping import SqsMapping, wrap_sqs_mappings

ID = "LAMBDA003"
TITLE = "an SQS event source with BatchSize over 10 needs MaximumBatchingWindowInSeconds >= 1"
DOC_URL = "https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html"
GUIDE_URL = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html"
MAX_BATCH_WITHOUT_WINDOW = 10


def check(mapping: SqsMapping) -> None:
    if mapping.batch_size > MAX_BATCH_WITHOUT_WINDOW and mapping.batching_window_s < 1:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater "
            f"than {MAX_BATCH_WITHOUT_WINDOW}: BatchSize {mapping.batch_size}, "
            f"MaximumBatchingWindowInSeconds {mapping.batching_window_s} (queue {mapping.queue.name}) "
            f"[{ID}, {DOC_URL}]"
        )


def apply(patcher: Patcher) -> None:
    wrap_sqs_mappings(patcher, check)
