"""The disaster-recovery plugins' place in the shipped order."""

from __future__ import annotations

from payinfra.plugins.api import Hook
from payinfra.plugins.registry import default_plugins, select


def test_replicas_before_migration_and_recovery_state_last() -> None:
    order = [p.name for p in select(default_plugins(), Hook.AFTER_DEPLOY)]
    assert order.index("ledger-replicas") < order.index("ledger-migration")
    assert order[-1] == "recovery-state"
    assert "backups" in [p.name for p in select(default_plugins(), Hook.BEFORE_DESTROY)]
