"""SNS subscriptions as AWS keeps them: email and HTTP(S) endpoints stay pending until confirmed.

moto 5.2.5 marks every subscription confirmed the moment it is created (`PendingConfirmation`
false, `ListSubscriptionsByTopic` lists its ARN), accepts `ConfirmSubscription` with any token
without looking at it, and has no CloudFormation model for `AWS::SNS::Subscription` (a stack
skips it and reports success). So locally an alarm topic always looked subscribed, and a check
that alarms reach someone could never fail.

AWS (Subscribe, https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html): for the `http`,
`https`, `email` and `email-json` protocols the endpoint owner must confirm with
`ConfirmSubscription` and the token SNS sent to the endpoint (valid two days); until then
`Subscribe` answers `pending confirmation` (the ARN only with `ReturnSubscriptionArn`),
`ListSubscriptionsByTopic`/`ListSubscriptions` show `SubscriptionArn: PendingConfirmation`
(https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html),
`GetSubscriptionAttributes` says `PendingConfirmation: true`, and nothing is delivered.
`ConfirmSubscription` (https://docs.aws.amazon.com/sns/latest/api/API_ConfirmSubscription.html)
with an unknown token is refused (`InvalidParameter`). AWS deletes subscriptions still pending
after 48 hours (https://docs.aws.amazon.com/sns/latest/dg/sns-delete-subscription-topic.html).

This fix makes moto do the same, and adds the CloudFormation model (Ref = the subscription ARN;
deleted with the stack). The confirmation message SNS would send to the endpoint is kept on the
subscription: `confirmation_messages()` returns what each endpoint has received, so a local
"recipient" (the local job, a test) can confirm with the token exactly as a person following
the link would. Subscriptions of other protocols (sqs, lambda, ...) in the same account stay
confirmed at once, as on AWS.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, cast

from localaws._moto import (
    ActionResult,
    SNSBackend,
    SNSInvalidParameter,
    SNSNotFoundError,
    SNSResponse,
    Subscription,
    sns_backends,
)
from localaws.patching import EmulatorModel, Patcher

CONFIRMED_BY_RECIPIENT = frozenset({"http", "https", "email", "email-json"})
PENDING_ARN = "PendingConfirmation"  # what the list APIs show instead of a pending subscription's ARN
# AWS::SNS::Subscription properties that are subscription attributes (SetSubscriptionAttributes).
SUBSCRIPTION_ATTRIBUTES = (
    "RawMessageDelivery",
    "FilterPolicy",
    "FilterPolicyScope",
    "RedrivePolicy",
    "DeliveryPolicy",
)
_TOKEN = "_payinfra_confirmation_token"  # noqa: S105 - an attribute name, not a secret


@dataclass(frozen=True)
class ConfirmationMessage:
    """The `SubscriptionConfirmation` message SNS delivers to a pending subscription's endpoint."""

    region: str
    topic_arn: str
    protocol: str
    endpoint: str
    token: str

    @property
    def subscribe_url(self) -> str:
        """The link in the message (a GET of ConfirmSubscription with the token)."""
        return (
            f"https://sns.{self.region}.amazonaws.com/?Action=ConfirmSubscription"
            f"&TopicArn={self.topic_arn}&Token={self.token}"
        )


def is_pending(subscription: Subscription) -> bool:
    return getattr(subscription, _TOKEN, None) is not None


def confirmation_messages(region: str | None = None) -> list[ConfirmationMessage]:
    """Every confirmation message delivered and not yet acted on (all accounts; one region or all)."""
    found = []
    for _account, regions in sns_backends.items():
        for name, backend in regions.items():
            if region is not None and name != region:
                continue
            for sub in list(backend.subscriptions.values()):
                if is_pending(sub):
                    token = getattr(sub, _TOKEN)
                    found.append(ConfirmationMessage(name, sub.topic.arn, sub.protocol, sub.endpoint, token))
    return found


def _wrap_subscribe(original: Any) -> Any:
    def subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Subscription:
        known = set(self.subscriptions)
        subscription = cast(Subscription, original(self, topic_arn, endpoint, protocol))
        if subscription.arn not in known and protocol in CONFIRMED_BY_RECIPIENT:
            setattr(subscription, _TOKEN, secrets.token_hex(64))  # AWS tokens are long hex strings
            subscription.attributes["PendingConfirmation"] = True
            subscription.attributes["ConfirmationWasAuthenticated"] = False
        return subscription

    return subscribe


def _wrap_publish(original: Any) -> Any:
    def publish(self: Subscription, *args: Any, **kwargs: Any) -> Any:
        if is_pending(self):
            return None  # nothing reaches an unconfirmed endpoint
        return original(self, *args, **kwargs)

    return publish


def _listed(sub: Subscription) -> dict[str, str]:
    return {
        "SubscriptionArn": PENDING_ARN if is_pending(sub) else sub.arn,
        "Owner": sub.account_id,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic.arn,
    }


def _wrap_list(original: Any) -> Any:
    def listing(self: SNSResponse) -> ActionResult:
        result = original(self)
        answer = dict(result.result)
        answer["Subscriptions"] = [_listed(s) for s in answer.get("Subscriptions") or []]
        return ActionResult(answer)

    return listing


def _subscribe_response(original: Any) -> Any:
    def subscribe(self: SNSResponse) -> ActionResult:
        result = cast(ActionResult, original(self))
        arn = cast("dict[str, Any]", result.result)["SubscriptionArn"]  # moto wraps the response dict
        subscription = self.backend.subscriptions.get(arn)
        wants_arn = str(self._get_param("ReturnSubscriptionArn", "false")).lower() == "true"
        if subscription is not None and is_pending(subscription) and not wants_arn:
            return ActionResult({"SubscriptionArn": "pending confirmation"})
        return result

    return subscribe


def _confirm_subscription(self: SNSResponse) -> ActionResult:
    topic_arn = self._get_param("TopicArn")
    token = self._get_param("Token")
    if topic_arn not in self.backend.topics:
        raise SNSNotFoundError("Topic does not exist")
    for sub in self.backend.subscriptions.values():
        if sub.topic.arn != topic_arn:
            continue
        if getattr(sub, _TOKEN, None) == token:
            delattr(sub, _TOKEN)
            sub.attributes["PendingConfirmation"] = False
            sub.attributes["ConfirmationWasAuthenticated"] = True
            sub.confirmed = True
            return ActionResult({"SubscriptionArn": sub.arn})
    raise SNSInvalidParameter("Invalid token")


class SubscriptionModel(EmulatorModel):
    """`AWS::SNS::Subscription`: Subscribe on the topic (pending for email/HTTP(S), as on AWS)."""

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::Subscription"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> SubscriptionModel:
        p = cloudformation_json["Properties"]
        backend = sns_backends[account_id][p.get("Region") or region_name]
        subscription = backend.subscribe(p["TopicArn"], p["Endpoint"], p["Protocol"])
        for name in SUBSCRIPTION_ATTRIBUTES:
            if name in p:
                value = p[name] if isinstance(p[name], str) else json.dumps(p[name])
                backend.set_subscription_attributes(subscription.arn, name, value)
        return cls(subscription.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        region = self.physical_resource_id.split(":")[3]
        sns_backends[account_id][region].unsubscribe(self.physical_resource_id)


def apply(patcher: Patcher) -> None:
    patcher.register_models((SubscriptionModel,))
    patcher.replace(SNSBackend, "subscribe", _wrap_subscribe(SNSBackend.subscribe))
    patcher.replace(Subscription, "publish", _wrap_publish(Subscription.publish))
    patcher.replace(SNSResponse, "subscribe", _subscribe_response(SNSResponse.subscribe))
    patcher.replace(SNSResponse, "confirm_subscription", _confirm_subscription)
    for name in ("list_subscriptions", "list_subscriptions_by_topic"):
        patcher.replace(SNSResponse, name, _wrap_list(getattr(SNSResponse, name)))
