"""Every region's fixed slot for the ACL rule numbers of its peer entries: an append-only table.

A peer region's ACL entries take the block of rule numbers of its slot, in every deployment and
every region's ACLs. The slot must never change: AWS refuses a second entry with a number already
used in that direction of an ACL (NetworkAclEntryAlreadyExists), an entry cannot be modified, only
replaced, and CloudFormation creates a changed entry before it deletes the old one, so a region
whose block moved onto another peer's old numbers would fail to update. botocore's region list is
no such table: new regions often sort before existing ones. So the order here is frozen (botocore
1.43's sorted list, the numbers deployed before this table existed) and a new region is only ever
APPENDED; tests/model/test_region_slots.py fails, naming the region, when botocore knows one that
is missing. Rule numbers per direction, entries replaced rather than modified:
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html
"""

from __future__ import annotations

from payinfra.model.errors import ModelError

# Append only: never insert, remove or reorder (each position is deployed rule numbers).
REGION_SLOTS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
)
_SLOT = {region: index for index, region in enumerate(REGION_SLOTS)}


def slot_of(region: str) -> int:
    """The region's slot; a region without one is refused (it would have no rule numbers)."""
    slot = _SLOT.get(region)
    if slot is None:
        raise ModelError(
            f"{region} has no ACL rule-number slot: append it to REGION_SLOTS in "
            "payinfra/model/region_slots.py (append only: never insert or reorder)"
        )
    return slot
