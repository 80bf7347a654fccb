"""The active-region fence on its own: cache expiry, stale serving, fail closed (no AWS)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from payment_processor.active_region import (
    ActiveRegionFence,
    ActiveRegionUnknown,
    RegionFenced,
    parse_record,
)
from payment_processor.observability import JsonLogger

from .support import FUNCTION_DIR  # noqa: F401  (puts payment_processor on sys.path)

HOME = "us-east-1"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def item(active: str, epoch: int) -> dict[str, Any]:
    return {"payment_id": {"S": "#active-region"}, "active": {"S": active}, "epoch": {"N": str(epoch)}}


class RecordSource:
    """Answers the loader's reads (the ledger item) from `value`, or raises `failure` when set;
    counts reads."""

    def __init__(self, active: str = HOME) -> None:
        self.value: dict[str, Any] | None = item(active, 0)
        self.failure: Exception | None = None
        self.reads = 0

    def set(self, active: str, epoch: int) -> None:
        self.value = item(active, epoch)

    def __call__(self) -> dict[str, Any] | None:
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        return self.value


def make_fence(
    source: RecordSource, clock: FakeClock, *, log: io.StringIO | None = None
) -> ActiveRegionFence:
    return ActiveRegionFence(
        source,
        region=HOME,
        cache_s=5,
        max_age_s=15,
        logger=JsonLogger(service="payments", stream=log or io.StringIO()),
        retry_after_failure_s=1,
        clock=clock,
    )


def test_the_record_is_read_once_per_cache_period_not_per_event() -> None:
    source, clock = RecordSource(), FakeClock()
    fence = make_fence(source, clock)
    for _ in range(1000):
        fence.check()
    assert source.reads == 1
    clock.now += 4.9
    fence.check()
    assert source.reads == 1
    clock.now += 0.2
    fence.check()
    assert source.reads == 2


def test_a_switch_fences_this_region_once_the_cache_expires() -> None:
    source, clock = RecordSource(), FakeClock()
    fence = make_fence(source, clock)
    fence.check()
    source.set("us-east-2", 1)
    fence.check()  # still cached: the runbook waits out the cache before promoting
    clock.now += 5
    with pytest.raises(RegionFenced) as raised:
        fence.check()
    assert raised.value.active_region == "us-east-2"
    assert source.reads == 2


def test_failed_refreshes_serve_the_last_record_until_max_age_then_fail_closed() -> None:
    source, clock, log = RecordSource(), FakeClock(), io.StringIO()
    fence = make_fence(source, clock, log=log)
    fence.check()
    source.failure = RuntimeError("ssm down")
    clock.now += 5
    fence.check()  # stale but within max age
    assert "serving the cached record" in log.getvalue()
    reads = source.reads
    for _ in range(100):  # a failed read is retried after 1 s, never once per event
        fence.check()
    assert source.reads == reads
    clock.now += 9.9  # 14.9 s after the last good read
    fence.check()
    clock.now += 0.2  # 15.1 s: too old to trust
    with pytest.raises(ActiveRegionUnknown, match="ssm down"):
        fence.check()
    assert fence.current() is None
    source.failure = None
    clock.now += 1
    fence.check()  # a good read ends the refusal
    assert fence.current() == HOME


def test_the_hot_path_never_outlives_max_age_inside_a_retry_window() -> None:
    source, clock = RecordSource(), FakeClock()
    fence = make_fence(source, clock)
    fence.check()
    source.failure = RuntimeError("ssm down")
    clock.now += 14.5
    fence.check()  # fails to refresh; the next attempt is at 15.5, beyond max age (15)
    clock.now += 0.6
    with pytest.raises(ActiveRegionUnknown):
        fence.check()


@pytest.mark.parametrize(
    "record",
    [
        {"active": {"S": "us-east-1"}},
        {"active": {"S": ""}, "epoch": {"N": "1"}},
        {"active": {"N": "3"}, "epoch": {"N": "1"}},
        {"active": {"S": "us-east-1"}, "epoch": {"S": "one"}},
    ],
)
def test_a_malformed_record_fails_closed_with_the_reason(record: dict[str, Any]) -> None:
    source, clock = RecordSource(), FakeClock()
    source.value = record
    fence = make_fence(source, clock)
    with pytest.raises(ActiveRegionUnknown, match="active-region record"):
        fence.check()
    with pytest.raises(ValueError):
        parse_record(record)


def test_no_record_fails_closed_and_is_retried_only_after_the_retry_interval() -> None:
    source, clock = RecordSource(), FakeClock()
    source.value = None
    fence = make_fence(source, clock)
    with pytest.raises(ActiveRegionUnknown, match="no active-region record"):
        fence.check()
    with pytest.raises(ActiveRegionUnknown):
        fence.check()
    assert source.reads == 1  # not once per event
    source.set(HOME, 1)
    clock.now += 1
    fence.check()
    assert source.reads == 2
