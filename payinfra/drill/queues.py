"""The payment queues' event source mapping, played by the drill in process.

On AWS, Lambda polls each region's payment queue and hands the function batches; the local AWS
runs no code, so the drill polls instead, once per second of its clock, with the same batch size
and the function's partial-batch response (failed records become visible again, the rest are
deleted), only in regions that are up. Messages a region's outage leaves in its queue are the
stranded messages the runbook redrives and the report counts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

BATCH = 10


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(m["Body"].encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def queue_depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def poll_once(
    sqs: Any, url: str, queue_arn: str, region: str, handle: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[int, int]:
    """One poll: returns (records handled, records failed and left on the queue)."""
    messages = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=0, AttributeNames=["All"]
    ).get("Messages", [])
    if not messages:
        return 0, 0
    response = handle(sqs_event(messages, queue_arn, region))
    failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
    for message in messages:
        if message["MessageId"] in failed:
            sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return len(messages) - len(failed), len(failed)
