"""RDS DB instances (primaries and read replicas) and subnet groups described through the RDS API."""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers, one

SERVICE = ServiceCheckers("rds")


@SERVICE.describes("AWS::RDS::DBInstance")
def db_instance(c: Clients, pid: str) -> str:
    d = one(c("rds").describe_db_instances(DBInstanceIdentifier=pid)["DBInstances"], "DB instance", pid)
    role = (
        f"replica of {d['ReadReplicaSourceDBInstanceIdentifier']}"
        if d.get("ReadReplicaSourceDBInstanceIdentifier")
        else "primary"
    )
    return f"{d['Engine']} {d['EngineVersion']} {d['DBInstanceStatus']}, {role}"


@SERVICE.describes("AWS::RDS::DBSubnetGroup")
def db_subnet_group(c: Clients, pid: str) -> str:
    g = one(c("rds").describe_db_subnet_groups(DBSubnetGroupName=pid)["DBSubnetGroups"], "subnet group", pid)
    return f"{len(g['Subnets'])} subnets"


@SERVICE.reads_back(
    "AWS::RDS::DBInstance",
    CFN_DOCS + "aws-resource-rds-dbinstance.html",
    Prop("StorageEncrypted", "StorageEncrypted"),
    Prop("KmsKeyId", "KmsKeyId", "key"),
    # "If you specify the KmsKeyId property, then you must enable encryption"; a cross-region
    # read replica is encrypted with the KmsKeyId given in its own region.
    Prop("KmsKeyId", "StorageEncrypted", implies=True),
    Prop("PubliclyAccessible", "PubliclyAccessible"),
    Prop("DeletionProtection", "DeletionProtection"),
    Prop("EnableCloudwatchLogsExports", "EnabledCloudwatchLogsExports", "set"),
    Prop("EnableIAMDatabaseAuthentication", "IAMDatabaseAuthenticationEnabled"),
    Prop("MasterUserSecret.KmsKeyId", "MasterUserSecret.KmsKeyId", "key"),
    Prop("PerformanceInsightsKMSKeyId", "PerformanceInsightsKMSKeyId", "key"),
    Prop("BackupRetentionPeriod", "BackupRetentionPeriod"),
    Prop("VPCSecurityGroups", "VpcSecurityGroups.*.VpcSecurityGroupId", "set"),
)
def _db_instance_view(c: Clients, pid: str) -> dict[str, Any]:
    items = c("rds").describe_db_instances(DBInstanceIdentifier=pid)["DBInstances"]
    result: dict[str, Any] = one(items, "DB instance", pid)
    return result
