"""RDS001: no read replica of a source whose master password Secrets Manager manages.

RDS User Guide, "Limitations for Secrets Manager integration with Amazon RDS": creating a read
replica when the source DB manages its credentials with Secrets Manager is not supported (every
engine except SQL Server). moto creates one anyway, so a stack with such a replica succeeded
here and rolled back on AWS. The error code for this case is not documented per case; RDS
answers parameter conflicts on CreateDBInstanceReadReplica with InvalidParameterCombination.
"""

from __future__ import annotations

from typing import Any

from localaws._moto import DBInstance, RDSBackend
from localaws.aws_errors import InvalidParameterCombination
from localaws.patching import Patcher

from ._replica import wrap_replica_creation

ID = "RDS001"
TITLE = "no read replica of a source whose master password Secrets Manager manages"
DOC_URL = (
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html"
    "#rds-secrets-manager-limitations"
)


def check(backend: RDSBackend, source: DBInstance, db_kwargs: dict[str, Any]) -> None:
    if getattr(source, "manage_master_user_password", False) and source.engine != "sqlserver":
        raise InvalidParameterCombination(
            f"Cannot create a read replica of DB instance {source.db_instance_identifier}: its master "
            "user password is managed by Secrets Manager (ManageMasterUserPassword), which read "
            f"replicas do not support [{ID}, {DOC_URL}]"
        )


def apply(patcher: Patcher) -> None:
    wrap_replica_creation(patcher, check)
