"""Entry point of the Powertools reference, shaped like functions/payment/app.py.

Everything is built at import, as in ours, so `import powertools_reference.app` is the reference's
cold-start cost (timed by bench/payment_bench.py in the runtime-like venv).
"""

from __future__ import annotations

from typing import Any

from powertools_reference.handler import PARTS, from_env

lambda_handler = from_env(PARTS)


def handler(event: Any, context: Any) -> dict[str, Any]:
    return lambda_handler(event, context)
