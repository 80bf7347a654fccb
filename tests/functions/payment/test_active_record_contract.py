"""The handler and the runbook name the active-region record the same way: the function package
is deployed on its own (it cannot import payinfra), so the contract is held here."""

from __future__ import annotations

from payment_processor import active_region

from payinfra.recovery import active


def test_the_handler_reads_the_item_the_runbook_writes() -> None:
    assert active_region.ACTIVE_RECORD_ID == active.ACTIVE_RECORD_ID
    item = active.ActiveState("us-east-2", 3).item("us-east-2")
    assert active_region.parse_record(item) == "us-east-2"
