"""Lambda's SQS event source mappings deliver nothing in the local AWS (no function code runs).

On AWS, Lambda's pollers read an SQS queue and invoke the function with batches; a message the
function fails becomes visible again and, after the queue's maxReceiveCount receives, moves to the
dead-letter queue (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
moto 5.2.5 instead delivers in line on every SendMessage: it receives the message (its receive
count goes up by one), tries to run the function in Docker, fails without Docker, logs "error
running docker" and makes the message visible again. So each send counted as a failed delivery
toward maxReceiveCount, with no function ever run.

Here sending keeps the message untouched on the queue, as a queue with a mapping whose function
has not polled yet; the mapping itself is stored and described as before. Whoever plays the poller
(the drill: `payinfra/drill/queues.py`) receives and deletes with the real SQS API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import Queue
from localaws.patching import Patcher


def _wrap_add_message(original: Callable[..., None]) -> Callable[..., None]:
    def add_message(self: Any, message: Any) -> None:
        mappings = self.lambda_event_source_mappings
        self.lambda_event_source_mappings = {}  # moto's in-line delivery loops over these
        try:
            original(self, message)
        finally:
            self.lambda_event_source_mappings = mappings

    return add_message


def apply(patcher: Patcher) -> None:
    patcher.replace(Queue, "add_message", _wrap_add_message(Queue.add_message))
