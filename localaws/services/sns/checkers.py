"""SNS topics, topic policies and subscriptions described through the SNS API.

A topic policy's physical ID, as the emulator reports it, is the comma-separated ARNs of its
topics; a topic that shows only SNS's default policy has none of its own.
"""

from __future__ import annotations

import json
from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers

SERVICE = ServiceCheckers("sns")


@SERVICE.describes("AWS::SNS::Topic")
def topic(c: Clients, pid: str) -> str:
    attrs = c("sns").get_topic_attributes(TopicArn=pid)["Attributes"]
    return f"key {'yes' if attrs.get('KmsMasterKeyId') else 'no'}"


@SERVICE.describes("AWS::SNS::TopicPolicy")
def topic_policy(c: Clients, pid: str) -> str:
    for arn in pid.split(","):
        policy = json.loads(c("sns").get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
        if any(s.get("Sid") == "__default_statement_ID" for s in policy.get("Statement", [])):
            raise Missing(f"topic {arn} has only SNS's default policy")
    return f"{len(pid.split(','))} topic(s)"


@SERVICE.describes("AWS::SNS::Subscription")
def subscription(c: Clients, pid: str) -> str:
    attrs = c("sns").get_subscription_attributes(SubscriptionArn=pid)["Attributes"]
    pending = str(attrs.get("PendingConfirmation", "false")).lower() == "true"
    return f"{attrs.get('Protocol')} {'pending confirmation' if pending else 'confirmed'}"


@SERVICE.reads_back(
    "AWS::SNS::Topic",
    CFN_DOCS + "aws-resource-sns-topic.html",
    Prop("KmsMasterKeyId", "KmsMasterKeyId", "key"),
)
def _topic_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("sns").get_topic_attributes(TopicArn=pid)["Attributes"]
    return result


SERVICE.reads_attribute("AWS::SNS::Topic", "TopicArn", lambda c, pid: pid)
