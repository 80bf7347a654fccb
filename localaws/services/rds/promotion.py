"""PromoteReadReplica takes minutes and ends replication for good, as on RDS.

moto 5.2.5 promotes at once and leaves the link: the promoted instance still names its source
(ReadReplicaSourceDBInstanceIdentifier) and the source still lists it as a replica, so a
runbook could neither wait for the promotion nor see that it happened. Here the instance goes
to `modifying` (RDS reboots it) and becomes `available` `PROMOTION_SECONDS` later on the
emulator's `CLOCK` (AWS: "several minutes or longer, depending on the size of the read
replica"); then it is a standalone instance: no source named, no longer in the source's
ReadReplicaDBInstanceIdentifiers. The source's region is never asked (the link is cut in the
emulator's state), so a promotion requested during that region's outage completes: the
unplanned failover case. Promoting an instance that is no read replica is refused as RDS does
(InvalidDBInstanceState).
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import DBInstance, RDSBackend, RDSClientError, rds_backends
from localaws.clock import CLOCK
from localaws.patching import Patcher

PROMOTION_SECONDS = 300.0
"""Simulated seconds a promotion takes (a module setting: tests and drills may change it)."""

_READY_AT = "_localaws_promotion_ready_at"


def _unlink(account_id: str, replica: DBInstance) -> None:
    """Cut the replica from its source, in the source's region state (no call to that region)."""
    source_id = replica.source_db_instance_identifier
    replica.source_db_instance_identifier = None
    if not source_id:
        return
    region = source_id.split(":")[3] if source_id.startswith("arn:") else replica.region
    source = rds_backends[account_id][region].databases.get(source_id.split(":")[-1])
    if source is not None:
        names = {replica.db_instance_arn, replica.db_instance_identifier}
        source.replicas = [r for r in source.replicas if r not in names]


def settle(account_id: str) -> None:
    """Finish every promotion whose time has come, in every region of the account."""
    now = CLOCK.now()
    for backend in list(rds_backends[account_id].values()):
        for database in list(backend.databases.values()):
            ready_at = database.__dict__.get(_READY_AT)
            if ready_at is not None and now >= ready_at:
                del database.__dict__[_READY_AT]
                _unlink(account_id, database)
                database.status = "available"


def _promote(original: Callable[..., DBInstance]) -> Callable[..., DBInstance]:
    def promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
        identifier = db_kwargs["db_instance_identifier"]
        database = self.databases.get(identifier)
        if database is not None and not database.is_replica:
            raise RDSClientError("InvalidDBInstanceState", f"DB Instance {identifier} is not a read replica.")
        promoted = original(self, db_kwargs)
        promoted.status = "modifying"
        promoted.__dict__[_READY_AT] = CLOCK.now() + PROMOTION_SECONDS
        return promoted

    return promote_read_replica


def _settling(original: Callable[..., list[DBInstance]]) -> Callable[..., list[DBInstance]]:
    def describe_db_instances(self: RDSBackend, *args: Any, **kwargs: Any) -> list[DBInstance]:
        settle(self.account_id)
        return original(self, *args, **kwargs)

    return describe_db_instances


def apply(patcher: Patcher) -> None:
    patcher.replace(RDSBackend, "promote_read_replica", _promote(RDSBackend.promote_read_replica))
    patcher.replace(RDSBackend, "describe_db_instances", _settling(RDSBackend.describe_db_instances))
