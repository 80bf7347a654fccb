"""Save the whole emulator's state and return to it: deploy once, reset to that point per test.

`snapshot()` deep-copies every moto backend in use (`BackendDict._instances`: every service,
account and region), in one copy so that objects shared between services (a stack's resources
and the services' own models) stay shared, plus the clock offset, the injected faults and every
registered extra state (the DynamoDB global tables; helpers add theirs with `register`).
`restore(snapshot)` puts a fresh copy back, so one snapshot can be restored any number of times.
Take and restore snapshots while no request is in flight (between test steps).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localaws._moto import BackendDict, backend_lock, s3_backends
from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.services.dynamodb import global_tables

Capture = Callable[[], Any]
Load = Callable[[Any], None]


def _load_bucket_accounts(saved: Any) -> None:
    s3_backends.bucket_accounts.clear()
    s3_backends.bucket_accounts.update(saved)


_EXTRA_STATES: dict[str, tuple[Capture, Load]] = {
    "dynamodb_global_tables": (global_tables.STATE.capture, global_tables.STATE.load),
    # moto's global bucket namespace is an attribute of its S3 BackendDict, not one of its
    # backends: a bucket created after the snapshot would stay "already exists" after restore.
    "s3_bucket_accounts": (lambda: dict(s3_backends.bucket_accounts), _load_bucket_accounts),
}
# Lock objects cannot be deep-copied; a copied backend gets a new, unlocked one. A Condition
# (moto's SQS queue) would copy into one whose acquire/release still act on the original lock.
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()), threading.Condition)


def register(name: str, capture: Capture, load: Load) -> None:
    """Include an emulator state kept outside moto's backends (e.g. health-check state)."""
    _EXTRA_STATES[name] = (capture, load)


@dataclass(frozen=True)
class Snapshot:
    backends: tuple[tuple[BackendDict[Any], dict[str, Any]], ...]
    clock_skipped: float
    faults: Any
    extras: dict[str, Any]


def _deepcopy(value: Any) -> Any:
    memo: dict[int, Any] = {}
    dispatch: dict[type, Any] = copy._deepcopy_dispatch  # type: ignore[attr-defined]  # the only hook for locks
    added = [t for t in _LOCK_TYPES if t not in dispatch]
    for lock_type in added:
        dispatch[lock_type] = lambda lock, memo: type(lock)()
    try:
        return copy.deepcopy(value, memo)
    finally:
        for lock_type in added:
            dispatch.pop(lock_type, None)


def _in_use() -> list[Any]:
    """moto's list of the BackendDicts in use (its reset empties exactly these)."""
    instances: list[Any] = vars(BackendDict)["_instances"]
    return instances


def snapshot() -> Snapshot:
    """The emulator's state now (moto's backends, clock, faults, registered states)."""
    with backend_lock:
        instances = list(_in_use())
        contents = _deepcopy([dict(instance) for instance in instances])
    return Snapshot(
        backends=tuple(zip(instances, contents, strict=True)),
        clock_skipped=CLOCK.skipped,
        faults=FAULTS.capture(),
        extras={name: capture() for name, (capture, _) in _EXTRA_STATES.items()},
    )


def restore(saved: Snapshot) -> None:
    """Return the emulator to `saved`: what was created since is gone, what was deleted is back."""
    with backend_lock:
        saved_instances = [instance for instance, _ in saved.backends]
        for instance in list(_in_use()):
            if not any(instance is kept for kept in saved_instances):
                instance.clear()
        contents = _deepcopy([content for _, content in saved.backends])
        for instance, content in zip(saved_instances, contents, strict=True):
            instance.clear()
            instance.update(content)
        _in_use()[:] = saved_instances
    CLOCK.set_skipped(saved.clock_skipped)
    FAULTS.load(saved.faults)
    for name, (_, load) in _EXTRA_STATES.items():
        if name in saved.extras:
            load(saved.extras[name])


__all__ = ["Snapshot", "register", "restore", "snapshot"]
