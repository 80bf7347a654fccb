"""LAMBDA002: an SQS event source's visibility timeout must be at least the function's timeout.

Lambda Developer Guide, "Creating and configuring an Amazon SQS event source mapping"
(Configuring a queue to use with Lambda): "Your function's timeout must be less than or equal to
the queue's visibility timeout. Lambda validates this requirement when you create or update an
event source mapping and will return an error if the function timeout exceeds the queue's
visibility timeout." The API answers InvalidParameterValueException (CreateEventSourceMapping
errors); CloudFormation fails the `AWS::Lambda::EventSourceMapping` (and so the SAM `SQS` event,
which becomes one). moto maps any queue to any function, so a stack that rolls back on AWS
succeeded here. The guide recommends six times the function timeout; only the refusal is enforced.
"""

from __future__ import annotations

from localaws.aws_errors import InvalidParameterValueException
from localaws.patching import Patcher

from ._sqs_mapping import SqsMapping, wrap_sqs_mappings

ID = "LAMBDA002"
TITLE = "an SQS event source's visibility timeout must be at least the function's timeout"
DOC_URL = "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html"


def check(mapping: SqsMapping) -> None:
    # moto sets Queue attributes by setattr from their API names, so the class does not declare them
    visibility = int(mapping.queue.visibility_timeout)  # type: ignore[attr-defined]  # set by setattr in moto
    timeout = int(mapping.function.timeout)
    if visibility < timeout:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} "
            f"seconds (queue {mapping.queue.name}, function {mapping.function.function_name}) "
            f"[{ID}, {DOC_URL}]"
        )


def apply(patcher: Patcher) -> None:
    wrap_sqs_mappings(patcher, check)
