"""RDS003: a DB subnet group that a DB instance uses cannot be deleted.

RDS API Reference, DeleteDBSubnetGroup: the subnet group must not be associated with any DB
instances; otherwise RDS answers InvalidDBSubnetGroupStateFault ("The DB subnet group cannot be
deleted because it's in use"). moto deletes it anyway, leaving instances in a group that no
longer exists. The CloudFormation path needs no hook of its own: a stack's subnet group is
deleted through the same backend method, and moto's deletion loop retries a refused delete once
its dependents are gone, as CloudFormation's dependency order does.
"""

from __future__ import annotations

from collections.abc import Callable

from localaws._moto import DBSubnetGroup, RDSBackend, RDSClientError
from localaws.patching import Patcher

ID = "RDS003"
TITLE = "a DB subnet group used by a DB instance cannot be deleted"
DOC_URL = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBSubnetGroup.html"


class InvalidDBSubnetGroupStateFault(RDSClientError):
    """RDS: the subnet group is in use (named after the code, for a failed stack's reason)."""

    def __init__(self, message: str) -> None:
        super().__init__("InvalidDBSubnetGroupStateFault", message)


def users(backend: RDSBackend, subnet_group: str) -> list[str]:
    """The identifiers of the DB instances in `subnet_group` (names compare case-insensitively)."""
    return sorted(
        db.db_instance_identifier
        for db in backend.databases.values()
        if str(getattr(db, "_db_subnet_group_name", None) or "").lower() == subnet_group.lower()
    )


def _delete(
    original: Callable[[RDSBackend, str], DBSubnetGroup],
) -> Callable[[RDSBackend, str], DBSubnetGroup]:
    def delete_subnet_group(self: RDSBackend, subnet_name: str) -> DBSubnetGroup:
        in_use = users(self, subnet_name)
        if in_use:
            raise InvalidDBSubnetGroupStateFault(
                f"The DB subnet group {subnet_name} cannot be deleted because it is in use by DB "
                f"instance(s) {', '.join(in_use)} [{ID}, {DOC_URL}]"
            )
        return original(self, subnet_name)

    return delete_subnet_group


def apply(patcher: Patcher) -> None:
    patcher.replace(RDSBackend, "delete_subnet_group", _delete(RDSBackend.delete_subnet_group))
