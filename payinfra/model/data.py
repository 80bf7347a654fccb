"""The database's settings the data partial lays out beyond the context's `[database]`.

Generated master passwords leave out '/', '"', '@' and spaces, which RDS refuses in a master
password (CreateDBInstance `MasterUserPassword`:
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html), and "'" and
'\\', which need quoting in libpq connection strings; the rotation function generates later
passwords with the same exclusions.

The ledger is ONE global table under the same name in every region (`names.ledger_table`): the
primary's stack creates it and the ledger-replicas plugin adds the other regions' replicas, which
no stack owns. Its mode is fixed when the replicas are added (`recovery.ledger_consistency`):
- strong (MRSC): streams are not required, and TTL, local secondary indexes and transactions are
  not supported, so the table declares none of them;
- eventual (MREC): a table with more than one replica needs a NEW_AND_OLD_IMAGES stream, and each
  region also keeps a region-local audit table the handler writes in the same TransactWriteItems.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-dynamodb-globaltable-streamspecification.html
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.model.site import Site

# PostgreSQL logs exported to CloudWatch Logs; the stack owns their log groups (CMK, retention),
# which RDS would otherwise create itself without either and leave behind on deletion.
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.PostgreSQL.html
LOG_EXPORTS = ("postgresql", "upgrade")
EXCLUDED_PASSWORD_CHARACTERS = "/@\"' \\"  # noqa: S105 - characters a password must not contain, not a password
ROTATION_DAYS = 30
# Performance Insights / Database Insights is not offered on the smallest burstable classes.
NO_PERFORMANCE_INSIGHTS = frozenset(
    {"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"}
)


@dataclass(frozen=True)
class Data:
    is_replica: bool
    log_exports: tuple[str, ...]
    password_excluded: str
    rotation_days: int
    performance_insights: bool
    # The stack that creates the global ledger table (the primary's); elsewhere it is a replica.
    declares_ledger: bool
    # MREC replicas replicate through the table's stream (NEW_AND_OLD_IMAGES); MRSC needs none.
    ledger_stream: bool
    # Eventually consistent ledger only: the region-local audit table (payment_id + region).
    audit_table: bool


def data(site: Site) -> Data:
    return Data(
        is_replica=site.is_replica,
        log_exports=LOG_EXPORTS,
        password_excluded=EXCLUDED_PASSWORD_CHARACTERS,
        rotation_days=ROTATION_DAYS,
        performance_insights=site.settings.database.instance_class not in NO_PERFORMANCE_INSIGHTS,
        declares_ledger=site.is_primary,
        ledger_stream=site.eventual_ledger,
        audit_table=site.eventual_ledger,
    )
