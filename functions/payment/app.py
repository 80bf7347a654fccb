"""Lambda entry point of the payment-event processor (handler `app.lambda_handler`).

One function, two triggers: SQS batches from the region's payment-events queue (partial batch
response) and ALB requests (`POST /payments`, `GET /payments/{id}`). Everything is built once per
container at import; the handler only dispatches.
"""

from __future__ import annotations

from typing import Any

from payment_processor.function import PaymentFunction

FUNCTION = PaymentFunction.from_env()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    return FUNCTION.handle(event, context)
