"""The append-only slot table behind peer ACL rule numbers: complete, fixed, and never reordered."""

from __future__ import annotations

import hashlib

import pytest

from payinfra.config.model import region_partitions
from payinfra.model.errors import ModelError
from payinfra.model.peering import MAX_RULE_NUMBER, PEER_SLOT_WIDTH, peer_rule_numbers
from payinfra.model.region_slots import REGION_SLOTS, slot_of

# The table as first deployed: these positions are rule numbers in running ACLs. Appending keeps
# this prefix; inserting, removing or reordering changes it and fails here.
FROZEN_LENGTH = 46
FROZEN_SHA256 = "f6defb2b4bd5336d61b4ff08f5d36f0ac4cca50903af3b4a5746f380148538c5"


def test_every_region_botocore_knows_has_a_slot() -> None:
    """A botocore upgrade that brings a region fails here until the region is appended."""
    missing = [region for region in sorted(region_partitions()) if region not in REGION_SLOTS]
    assert not missing, "".join(
        f"append {region} to REGION_SLOTS in payinfra/model/region_slots.py\n" for region in missing
    )


def test_the_table_is_only_ever_appended_to() -> None:
    assert len(REGION_SLOTS) >= FROZEN_LENGTH
    prefix = "\n".join(REGION_SLOTS[:FROZEN_LENGTH]).encode()
    assert hashlib.sha256(prefix).hexdigest() == FROZEN_SHA256, (
        "REGION_SLOTS changed before its end: append new regions, never insert, remove or reorder"
    )
    assert len(set(REGION_SLOTS)) == len(REGION_SLOTS)


@pytest.mark.parametrize("region,first", [("us-east-1", 1340), ("us-east-2", 1350), ("us-west-2", 1450)])
def test_deployed_regions_keep_their_numbers(region: str, first: int) -> None:
    assert peer_rule_numbers(region) == range(first, first + PEER_SLOT_WIDTH)


def test_every_slot_fits_under_aws_largest_rule_number() -> None:
    assert peer_rule_numbers(REGION_SLOTS[-1])[-1] <= MAX_RULE_NUMBER


def test_a_region_without_a_slot_is_one_clear_error() -> None:
    with pytest.raises(ModelError, match=r"^xx-new-1 has no ACL rule-number slot: append it to REGION_SLOTS"):
        slot_of("xx-new-1")
