"""One emulator for each recovery test module (starting one costs seconds), reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.config import Config

from localaws import LocalAws

# One attempt: a refused call should show its error at once, not after the SDK's backoff.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="module")
def running() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


@pytest.fixture
def aws(running: LocalAws) -> LocalAws:
    running.reset()
    return running


@pytest.fixture
def client(aws: LocalAws) -> Callable[..., Any]:
    """`client(service, region)`: a boto3 client on the emulator that does not retry."""

    def make(service: str, region: str) -> Any:
        session = aws.session(region)
        return session.client(service, endpoint_url=aws.endpoint_url, config=NO_RETRIES)  # type: ignore[call-overload]

    return make
