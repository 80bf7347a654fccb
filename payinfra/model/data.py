"""The database's settings the data partial lays out beyond the context's `[database]`.

Generated master passwords leave out '/', '"', '@' and spaces, which RDS refuses in a master
password (CreateDBInstance `MasterUserPassword`:
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html), and "'" and
'\\', which need quoting in libpq connection strings; the rotation function generates later
passwords with the same exclusions.
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


def data(site: Site) -> Data:
    return Data(
        is_replica=site.is_replica,
        log_exports=LOG_EXPORTS,
        password_excluded=EXCLUDED_PASSWORD_CHARACTERS,
        rotation_days=ROTATION_DAYS,
        performance_insights=site.settings.database.instance_class not in NO_PERFORMANCE_INSIGHTS,
    )
