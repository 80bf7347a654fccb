"""The same payment id from many containers at once: one record, one 201, the rest duplicates."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from localaws.testing import DynamoDBBackend

from .support import LambdaContext, Region, alb_request, payment, sqs_record

CONTAINERS = 12


@pytest.fixture
def atomic_conditional_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB evaluates a condition and writes atomically per item; moto does not lock, so a
    thread switch between its check and its write could let two writers pass. Serialise moto's
    put_item to give it DynamoDB's guarantee (the handler's own code is not serialised)."""
    lock = threading.Lock()
    original = DynamoDBBackend.put_item

    def put_item(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "put_item", put_item)


def run_together(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def run(call: Any) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.usefixtures("atomic_conditional_writes")
def test_alb_posts_race_to_exactly_one_record(make_function: Any, region: Region) -> None:
    containers = [make_function() for _ in range(CONTAINERS)]
    event = alb_request("POST", "/payments", json.dumps(payment("pay_race")))

    responses = run_together([lambda f=f: f.handle(event, LambdaContext()) for f in containers])

    statuses = sorted(r["statusCode"] for r in responses)
    assert statuses == [200] * (CONTAINERS - 1) + [201]
    bodies = {r["body"] for r in responses}
    assert len(bodies) == 1  # every caller sees the one stored record
    items = region.items()
    assert list(items) == ["pay_race"]
    assert json.loads(bodies.pop())["payment"]["recorded_at"] == items["pay_race"]["recorded_at"]["S"]


@pytest.mark.usefixtures("atomic_conditional_writes")
def test_sqs_redeliveries_race_to_exactly_one_record(make_function: Any, region: Region) -> None:
    containers = [make_function() for _ in range(CONTAINERS)]
    body = json.dumps(payment("pay_race"))

    responses = run_together(
        [
            lambda f=f, i=i: f.handle({"Records": [sqs_record(body, f"m-{i}")]}, LambdaContext())
            for i, f in enumerate(containers)
        ]
    )

    assert all(r == {"batchItemFailures": []} for r in responses)
    items = region.items()
    assert list(items) == ["pay_race"]
    assert items["pay_race"]["source_message_id"]["S"].startswith("m-")
    assert region.dead_letters() == []


@pytest.mark.usefixtures("atomic_conditional_writes")
def test_racing_different_bodies_keep_the_winner_and_reject_the_rest(
    make_function: Any, region: Region
) -> None:
    containers = [make_function() for _ in range(CONTAINERS)]
    events = [
        alb_request("POST", "/payments", json.dumps(payment("pay_race", amount=f"{i + 1}.00")))
        for i in range(CONTAINERS)
    ]

    responses = run_together(
        [lambda f=f, e=e: f.handle(e, LambdaContext()) for f, e in zip(containers, events, strict=True)]
    )

    statuses = sorted(r["statusCode"] for r in responses)
    assert statuses == [201] + [409] * (CONTAINERS - 1)
    winner = next(json.loads(r["body"]) for r in responses if r["statusCode"] == 201)
    assert region.items()["pay_race"]["amount"]["S"] == winner["payment"]["amount"]
