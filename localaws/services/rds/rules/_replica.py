"""Where the RDS rules hook: every way this emulator creates a read replica.

The API path is `RDSBackend.create_db_instance_read_replica`; the CloudFormation path (the `rds`
fix) calls `RDSBackend.create_db_instance` with `source_db_instance_identifier`. A rule wraps both
with one check, so a refusal holds for boto3, the AWS CLI and a stack alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import DBInstance, RDSBackend
from localaws.patching import Patcher

ReplicaCheck = Callable[[RDSBackend, DBInstance, dict[str, Any]], None]


def source_region(source_id: str, backend: RDSBackend) -> str:
    """The region of a replica's source: an ARN names it, a bare identifier is the same region."""
    parts = source_id.split(":")
    return parts[3] if source_id.startswith("arn:") and len(parts) > 3 else backend.region_name


def wrap_replica_creation(patcher: Patcher, check: ReplicaCheck) -> None:
    """Run `check(backend, source, kwargs)` before any read replica is created."""
    create_replica = RDSBackend.create_db_instance_read_replica
    create_instance = RDSBackend.create_db_instance

    def checked_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
        check(self, self.find_db_from_id(db_kwargs["source_db_instance_identifier"]), db_kwargs)
        return create_replica(self, db_kwargs)

    def checked_instance(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
        source_id = db_kwargs.get("source_db_instance_identifier")
        if source_id:
            check(self, self.find_db_from_id(source_id), db_kwargs)
        return create_instance(self, db_kwargs)

    patcher.replace(RDSBackend, "create_db_instance_read_replica", checked_replica)
    patcher.replace(RDSBackend, "create_db_instance", checked_instance)
