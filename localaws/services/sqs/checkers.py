"""SQS queues and queue policies described through the SQS API.

A queue's physical ID is its URL (its `Ref`); a queue policy's, as the emulator reports it, the
comma-separated URLs of its queues.
"""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers

SERVICE = ServiceCheckers("sqs")


@SERVICE.describes("AWS::SQS::Queue")
def queue(c: Clients, pid: str) -> str:
    attrs = c("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["All"])["Attributes"]
    return f"{attrs['QueueArn'].rsplit(':', 1)[-1]}, key {'yes' if attrs.get('KmsMasterKeyId') else 'no'}"


@SERVICE.describes("AWS::SQS::QueuePolicy")
def queue_policy(c: Clients, pid: str) -> str:
    for url in pid.split(","):
        attrs = c("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        if not attrs.get("Policy"):
            raise Missing(f"queue {url} has no policy")
    return f"{len(pid.split(','))} queue(s)"


@SERVICE.reads_back(
    "AWS::SQS::Queue",
    CFN_DOCS + "aws-resource-sqs-queue.html",
    Prop("KmsMasterKeyId", "KmsMasterKeyId", "key"),
    Prop("SqsManagedSseEnabled", "SqsManagedSseEnabled"),
    Prop("KmsDataKeyReusePeriodSeconds", "KmsDataKeyReusePeriodSeconds"),
)
def _queue_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["All"])["Attributes"]
    return result


SERVICE.reads_attribute("AWS::SQS::Queue", "Arn", lambda c, pid: _queue_view(c, pid)["QueueArn"])
SERVICE.reads_attribute("AWS::SQS::Queue", "QueueName", lambda c, pid: pid.rsplit("/", 1)[-1])
