"""Without the faults middleware an outage refuses nothing: the middleware is what refuses.

(Its own module: the other modules keep one emulator running, and only one runs at a time.)
"""

from __future__ import annotations

from localaws import LocalAws


def test_without_the_middleware_an_outage_refuses_nothing() -> None:
    with LocalAws(skip_fixes={"faults_middleware"}) as aws:
        aws.outage("us-east-1")
        assert aws.client("sqs", "us-east-1").list_queues() is not None
        assert aws.refused_calls("us-east-1") == 0
        aws.reset()
