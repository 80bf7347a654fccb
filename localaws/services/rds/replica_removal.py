"""Deleting a cross-Region read replica forgets it in its source, as RDS does.

moto 5.2.5 records a replica in its source's `replicas` by ARN when the two are in different
regions (`DBInstance.add_replica`) but removes it by identifier (`remove_replica`), so
DeleteDBInstance of a cross-Region replica raises ValueError: HTTP 500 instead of a deletion. On
AWS a read replica is deleted like any instance (DeleteDBInstance; the source keeps running and
stops listing it in ReadReplicaDBInstanceIdentifiers); failback deletes the old primary's
replica before rebuilding it from the promoted writer. Here the replica is forgotten under
whichever name it was recorded by.
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html
"""

from __future__ import annotations

from localaws._moto import DBInstance
from localaws.patching import Patcher


def remove_replica(self: DBInstance, replica: DBInstance) -> None:
    """Forget a replica recorded by identifier (same region) or by ARN (cross region)."""
    for key in (replica.db_instance_identifier, replica.db_instance_arn):
        if key in self.replicas:
            self.replicas.remove(key)


def apply(patcher: Patcher) -> None:
    patcher.replace(DBInstance, "remove_replica", remove_replica)
