"""The shipped plugins, in the order every hook runs them.

Order matters only for a few pairs, and the list encodes it: the replication configuration is
removed before the buckets are emptied (a replication rule would keep writing replicas), the
peering is accepted before anything needs cross-region traffic, and the database secret's replicas
are removed before its stack is deleted (Secrets Manager refuses to delete a replicated secret).
The ledger's replicas exist before the migration writes into it (an MRSC table must be empty when
it becomes one); the recovery state is published once everything else is in place; every
before-destroy hook (recovery points, replicas) runs before the stacks are deleted.
"""

from __future__ import annotations

from payinfra.plugins.alarms import AlarmsPlugin
from payinfra.plugins.api import Hook, Plugin
from payinfra.plugins.backups import BackupsPlugin
from payinfra.plugins.default_security_group import DefaultSecurityGroupPlugin
from payinfra.plugins.dynamodb_replica import DynamoDbReplicaPlugin
from payinfra.plugins.ledger_migration import LedgerMigrationPlugin
from payinfra.plugins.ledger_replicas import LedgerReplicasPlugin
from payinfra.plugins.peering_accepter import PeeringAccepterPlugin
from payinfra.plugins.peering_dns import PeeringDnsPlugin
from payinfra.plugins.peering_paths import PeeringFlowsPlugin
from payinfra.plugins.recovery_state import RecoveryStatePlugin
from payinfra.plugins.replication_lag import ReplicationLagPlugin
from payinfra.plugins.s3_replication import S3ReplicationPlugin
from payinfra.plugins.secret_replication import SecretReplicationPlugin
from payinfra.plugins.stack_status import StackStatusPlugin
from payinfra.plugins.traffic import TrafficPlugin
from payinfra.plugins.versioned_buckets import VersionedBucketsPlugin
from payinfra.plugins.waf_association import WafAssociationPlugin


def default_plugins() -> list[Plugin]:
    return [
        StackStatusPlugin(),
        DefaultSecurityGroupPlugin(),
        PeeringAccepterPlugin(),
        SecretReplicationPlugin(),
        PeeringDnsPlugin(),  # DNS options need the accepted (active) connection
        PeeringFlowsPlugin(),
        S3ReplicationPlugin(),
        DynamoDbReplicaPlugin(),
        LedgerReplicasPlugin(),
        LedgerMigrationPlugin(),  # after the replicas: an MRSC table must be empty when formed
        VersionedBucketsPlugin(),
        WafAssociationPlugin(),
        AlarmsPlugin(),
        BackupsPlugin(),
        ReplicationLagPlugin(),
        RecoveryStatePlugin(),  # last: publishes the fence signal once the rest is in place
        TrafficPlugin(),  # verify only: health checks and DNS answers follow the active region
    ]


def select(plugins: list[Plugin], hook: Hook, only: list[str] | None = None) -> list[Plugin]:
    """The plugins acting on `hook`, optionally restricted to some names (unknown names are errors)."""
    if only:
        known = {p.name for p in plugins}
        unknown = [name for name in only if name not in known]
        if unknown:
            raise ValueError(f"unknown plugin(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return [p for p in plugins if hook in p.hooks and (not only or p.name in only)]
