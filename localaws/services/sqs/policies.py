"""CloudFormation support for `AWS::SQS::QueuePolicy` and `AWS::SNS::TopicPolicy`.

moto 5.2.5 has no CloudFormation model for either type: they are skipped, the stack reports
success, and GetQueueAttributes/GetTopicAttributes show no policy (or SNS's default one), so a
check that the alarm topic or the queue accepts only its intended publishers reads the wrong
document. These models set the policy attribute through the SQS and SNS backends; deletion
removes the queue policy and restores SNS's default topic policy, as AWS does. Physical ID: the
queue URLs / topic ARNs the policy applies to, comma-joined.
"""

from __future__ import annotations

import json
from typing import Any

from localaws._moto import sns_backends, sqs_backends
from localaws.patching import EmulatorModel, Patcher


def _document(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


class QueuePolicyModel(EmulatorModel):
    def __init__(self, queue_urls: list[str]) -> None:
        self.queue_urls = queue_urls
        self.physical_resource_id = ",".join(queue_urls)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> QueuePolicyModel:
        p = cloudformation_json["Properties"]
        backend = sqs_backends[account_id][region_name]
        for url in p["Queues"]:
            backend.set_queue_attributes(
                url.rstrip("/").rsplit("/", 1)[-1], {"Policy": _document(p["PolicyDocument"])}
            )
        return cls(list(p["Queues"]))

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sqs_backends[account_id][region_name]
        for url in self.queue_urls:
            queue = backend.queues.get(url.rstrip("/").rsplit("/", 1)[-1])
            if queue is not None:
                queue.policy = None


class TopicPolicyModel(EmulatorModel):
    def __init__(self, topic_arns: list[str]) -> None:
        self.topic_arns = topic_arns
        self.physical_resource_id = ",".join(topic_arns)

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> TopicPolicyModel:
        p = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        for arn in p["Topics"]:
            backend.set_topic_attribute(arn, "policy", _document(p["PolicyDocument"]))
        return cls(list(p["Topics"]))

    def delete(self, account_id: str, region_name: str) -> None:
        backend = sns_backends[account_id][region_name]
        for arn in self.topic_arns:
            topic = backend.topics.get(arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(region_name, account_id, topic.name)


def apply(patcher: Patcher) -> None:
    patcher.register_models((QueuePolicyModel, TopicPolicyModel))
