"""What tests and benchmarks outside localaws need from moto, so that only localaws imports it.

`mock_aws` is moto's in-process mock (no server); `backend()` reaches a service's moto state
for what no API can arrange (a stack status, a rotation in progress); `fixes_applied()` turns
on some of localaws's fixes inside a `mock_aws` world, where `LocalAws` is not running.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from ._moto import DEFAULT_ACCOUNT_ID, DynamoDBBackend, get_backend, mock_aws
from .order import FIX_NAMES, apply_fixes
from .patching import Patcher


def backend(service: str, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> Any:
    """moto's backend of `service` (boto3's name, e.g. "secretsmanager") in one account and region."""
    backends = cast(Any, get_backend)(service)  # typed with one overload per service name
    return backends[account_id][region]


@contextmanager
def fixes_applied(*names: str) -> Iterator[Patcher]:
    """Apply only the named fixes (`FIX_NAMES`), in `FIXES` order, for the `with` block."""
    unknown = set(names) - set(FIX_NAMES)
    if unknown:
        raise ValueError(f"unknown emulator fix(es) {sorted(unknown)}; known: {', '.join(FIX_NAMES)}")
    patcher = apply_fixes(skip=set(FIX_NAMES) - set(names))
    try:
        yield patcher
    finally:
        patcher.revert()


__all__ = ["DEFAULT_ACCOUNT_ID", "DynamoDBBackend", "backend", "fixes_applied", "mock_aws"]
