"""The drill's clients: payments at a steady rate, sent where DNS says, through the real handler.

Each region's payment function runs in this process (the code Lambda runs, built from the
environment the template gives the function, its AWS calls going to the local AWS). A client
resolves the API name as Route 53 would answer it (health checks and the runbook's fence state,
emulated by the local AWS), caches the answer for the alias TTL on the drill's clock, and posts the
payment to that region's load balancer. A region in an outage does not answer at all: the request
fails and the payment is resent later with the same id, as a careful client does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ALIAS_TTL_S = 60.0  # Route 53 alias records to a load balancer: fixed 60 s TTL


class Unreachable(RuntimeError):
    """The region did not answer (outage): the request's outcome is unknown to the client."""


@dataclass
class Answer:
    payment_id: str
    region: str
    status: int  # the handler's HTTP status
    at: float  # drill clock
    outcome: str = ""  # created / duplicate / fenced / error

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)


@dataclass
class Ledgerbook:
    """What the clients know: every answer, and which payments still need an answer."""

    answers: list[Answer] = field(default_factory=list)
    acknowledged: dict[str, Answer] = field(default_factory=dict)  # first acknowledgement per id
    unanswered: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> payment, to resend
    created_in: dict[str, list[str]] = field(default_factory=dict)  # id -> regions that answered 201

    def record(self, payment: dict[str, str], answer: Answer) -> None:
        self.answers.append(answer)
        if answer.status == 201:
            self.created_in.setdefault(answer.payment_id, []).append(answer.region)
        if answer.acknowledged:
            self.acknowledged.setdefault(answer.payment_id, answer)
            self.unanswered.pop(answer.payment_id, None)
        else:
            self.unanswered[answer.payment_id] = payment


def alb_post(payment: dict[str, str], host: str) -> dict[str, Any]:
    """The ALB event for `POST /payments` (the shape the function's ALB trigger receives)."""
    return {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:drill"}},
        "httpMethod": "POST",
        "path": "/payments",
        "queryStringParameters": {},
        "headers": {"content-type": "application/json", "host": host, "x-forwarded-proto": "https"},
        "body": json.dumps(payment),
        "isBase64Encoded": False,
    }


def outcome_of(response: dict[str, Any]) -> tuple[int, str]:
    status = int(response.get("statusCode", 500))
    try:
        body = json.loads(response.get("body") or "{}")
    except ValueError:
        body = {}
    if status == 201:
        return status, "created"
    if status == 200:
        return status, "duplicate"
    error = body.get("error") if isinstance(body, dict) else None
    text = (
        error if isinstance(error, str) else (error or {}).get("code", "") if isinstance(error, dict) else ""
    )
    return status, "fenced" if "fenced" in str(text) else f"error {status}"


@dataclass
class Resolver:
    """DNS as a client sees it: the answer is kept for the alias TTL on the drill's clock."""

    answer: Callable[[], list[str]]  # load balancer DNS names Route 53 would answer now
    now: Callable[[], float]
    ttl_s: float = ALIAS_TTL_S
    _cached: list[str] = field(default_factory=list)
    _expires: float = -1.0

    def resolve(self) -> list[str]:
        if self.now() >= self._expires or not self._cached:
            self._cached = self.answer()
            self._expires = self.now() + self.ttl_s
        return self._cached
