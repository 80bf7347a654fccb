"""The sns_subscriptions fix: email/HTTP(S) subscriptions stay pending until confirmed with the token."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws.services.sns.subscriptions import PENDING_ARN, confirmation_messages

from ...support import Clients, deploy, emulated, physical_ids

FIX = "sns_subscriptions"
EMAIL = "oncall@example.com"


def topic(client: Clients) -> str:
    return client("sns").create_topic(Name="alarms")["TopicArn"]  # type: ignore[no-any-return]


def listed(client: Clients, topic_arn: str) -> dict[str, str]:
    """Endpoint -> SubscriptionArn as ListSubscriptionsByTopic shows it."""
    subs = client("sns").list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    return {s["Endpoint"]: s["SubscriptionArn"] for s in subs}


def test_without_the_fix_moto_confirms_an_email_subscription_at_once() -> None:
    with emulated(skip={FIX}) as client:
        arn = topic(client)
        answer = client("sns").subscribe(TopicArn=arn, Protocol="email", Endpoint=EMAIL)

        assert answer["SubscriptionArn"].startswith(arn)  # AWS says "pending confirmation"
        assert listed(client, arn)[EMAIL] != PENDING_ARN


@pytest.mark.parametrize(("protocol", "endpoint"), [("email", EMAIL), ("email-json", EMAIL),
                                                    ("https", "https://hooks.example.com/sns")])
def test_email_and_https_subscriptions_stay_pending_until_confirmed(protocol: str, endpoint: str) -> None:
    with emulated() as client:
        arn = topic(client)
        sns = client("sns")

        answer = sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=endpoint)
        full_arn = sns.subscribe(
            TopicArn=arn, Protocol=protocol, Endpoint=endpoint, ReturnSubscriptionArn=True
        )["SubscriptionArn"]

        assert answer["SubscriptionArn"] == "pending confirmation"
        assert full_arn.startswith(f"{arn}:")  # the same subscription, by ARN
        assert listed(client, arn) == {endpoint: PENDING_ARN}
        assert sns.list_subscriptions()["Subscriptions"][0]["SubscriptionArn"] == PENDING_ARN
        attributes = sns.get_subscription_attributes(SubscriptionArn=full_arn)["Attributes"]
        assert attributes["PendingConfirmation"] == "true"
        (message,) = confirmation_messages("us-east-1")
        assert (message.topic_arn, message.protocol, message.endpoint) == (arn, protocol, endpoint)
        assert f"Token={message.token}" in message.subscribe_url


def test_confirm_subscription_needs_the_token_the_endpoint_received() -> None:
    with emulated() as client:
        arn = topic(client)
        sns = client("sns")
        sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=EMAIL)

        with pytest.raises(ClientError) as refused:
            sns.confirm_subscription(TopicArn=arn, Token="0" * 128)
        (message,) = confirmation_messages()
        confirmed = sns.confirm_subscription(TopicArn=arn, Token=message.token)

        assert refused.value.response["Error"]["Code"] == "InvalidParameter"
        assert listed(client, arn) == {EMAIL: confirmed["SubscriptionArn"]}
        attributes = sns.get_subscription_attributes(SubscriptionArn=confirmed["SubscriptionArn"])
        assert attributes["Attributes"]["PendingConfirmation"] == "false"
        assert confirmation_messages() == []
        with pytest.raises(ClientError):  # a token works once
            sns.confirm_subscription(TopicArn=arn, Token=message.token)


def test_same_account_queue_subscriptions_need_no_confirmation() -> None:
    with emulated() as client:
        arn = topic(client)
        queue = client("sqs").create_queue(QueueName="q")["QueueUrl"]
        queue_arn = client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        queue_arn = queue_arn["Attributes"]["QueueArn"]

        answer = client("sns").subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)

        assert answer["SubscriptionArn"].startswith(f"{arn}:")
        assert listed(client, arn) == {queue_arn: answer["SubscriptionArn"]}
        assert confirmation_messages() == []


def test_pending_endpoints_receive_nothing_confirmed_ones_do() -> None:
    # Observed through an SQS endpoint held pending the way an email one is: publish skips it.
    from moto.sns.models import sns_backends

    with emulated() as client:
        arn = topic(client)
        sqs = client("sqs")
        queue = sqs.create_queue(QueueName="q")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
        queue_arn = attributes["QueueArn"]
        sub_arn = client("sns").subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
        subscription = sns_backends["123456789012"]["us-east-1"].subscriptions[sub_arn]
        subscription._payinfra_confirmation_token = "t"  # pending, as an email endpoint would be

        client("sns").publish(TopicArn=arn, Message="while pending")
        pending = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])
        client("sns").confirm_subscription(TopicArn=arn, Token="t")
        client("sns").publish(TopicArn=arn, Message="after confirming")
        delivered = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", [])

        assert pending == []
        assert len(delivered) == 1 and "after confirming" in delivered[0]["Body"]


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alarms"}},
        "Email": {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": EMAIL},
        },
    },
    "Outputs": {"SubscriptionArn": {"Value": {"Ref": "Email"}}},
}


def test_cloudformation_subscription_is_created_pending_and_deleted_with_the_stack() -> None:
    with emulated() as client:
        stack = deploy(client, "alarms", TEMPLATE)
        arn = physical_ids(client, "alarms")["Topic"]
        subscription_arn = stack["Outputs"][0]["OutputValue"]

        assert subscription_arn.startswith(f"{arn}:")  # Ref is the ARN, even while pending
        assert listed(client, arn) == {EMAIL: PENDING_ARN}
        client("cloudformation").delete_stack(StackName="alarms")
        assert client("sns").list_subscriptions()["Subscriptions"] == []


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")  # moto announcing the skip
def test_without_the_fix_cloudformation_skips_the_subscription() -> None:
    with emulated(skip={FIX}) as client:
        deploy(client, "alarms", {"Resources": dict(TEMPLATE["Resources"])})

        assert client("sns").list_subscriptions()["Subscriptions"] == []
