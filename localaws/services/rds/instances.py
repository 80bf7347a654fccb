"""Create RDS instances from CloudFormation with the properties the template sets.

moto 5.2.5's `DBInstance` CloudFormation model maps a subset of properties, and:
- ignores `ManageMasterUserPassword` / `MasterUserSecret` (no MasterUserSecret in
  DescribeDBInstances, no secret in Secrets Manager), `VPCSecurityGroups`,
  `EnableIAMDatabaseAuthentication`, `EnableCloudwatchLogsExports`, `MaxAllocatedStorage`,
  `DeletionProtection`, `MonitoringInterval`/`MonitoringRoleArn`, and defaults every engine's
  `Port` to 3306;
- supports only `Fn::GetAtt Endpoint.Address/Port` (not `DBInstanceArn`, `DbiResourceId`,
  `MasterUserSecret.SecretArn`), so a template that outputs the ARN fails validation;
- builds a read replica as a shallow copy of its source: a cross-region replica
  (`SourceDBInstanceIdentifier` is an ARN in another region) shares the source's objects
  (deleting one is `replica_removal`'s fix).
Here the instance is created through `create_db_instance` with every mapped property; a replica
is a new instance that takes engine, version, storage, name and user from its source, and its
encryption (StorageEncrypted, and the KmsKeyId it declares: a cross-region replica describes the
key of its own region). A replica of a source whose master password Secrets Manager manages is
not made possible here: RDS refuses it, and so does the strict-AWS rule RDS001. A
`DBSubnetGroup` had no physical ID (DescribeStackResources showed none); it is its name.

Performance Insights: moto neither stores `EnablePerformanceInsights`,
`PerformanceInsightsKMSKeyId` nor `PerformanceInsightsRetentionPeriod` (CreateDBInstance and the
model drop them), so DescribeDBInstances never shows `PerformanceInsightsEnabled` or the key that
encrypts the data. Here both CreateDBInstance and the model keep them, ModifyDBInstance changes
them, and, as on AWS, an instance with Performance Insights on and no key given describes the
region's `aws/rds` key and a retention of 7 days; with it off, no key and no retention
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-rds-dbinstance.html,
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from localaws._moto import DBInstance, DBSubnetGroup, RDSBackend, kms_backends, rds_backends
from localaws.patching import Patcher

ATTRIBUTES = (
    "DBInstanceArn",
    "DbiResourceId",
    "Endpoint.Address",
    "Endpoint.Port",
    "MasterUserSecret.SecretArn",
)


def _bool(value: Any, default: bool = False) -> bool:
    return default if value is None else str(value).lower() == "true"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _name(value: Any) -> str | None:
    """`Ref` to a moto subnet/parameter group yields the model itself (it has no physical ID)."""
    name: str | None = getattr(value, "name", value)
    return name


def _instance_kwargs(resource_name: str, p: dict[str, Any]) -> dict[str, Any]:
    secret = p.get("MasterUserSecret") or {}
    kwargs: dict[str, Any] = {
        "db_instance_identifier": resource_name.lower(),
        "db_instance_class": p.get("DBInstanceClass"),
        "engine": p.get("Engine"),
        "engine_version": p.get("EngineVersion"),
        "port": _int(p.get("Port")),
        "allocated_storage": _int(p.get("AllocatedStorage")),
        "max_allocated_storage": _int(p.get("MaxAllocatedStorage")),
        "backup_retention_period": _int(p.get("BackupRetentionPeriod")) or 1,
        "auto_minor_version_upgrade": _bool(p.get("AutoMinorVersionUpgrade"), True),
        "availability_zone": p.get("AvailabilityZone"),
        "db_name": p.get("DBName"),
        "db_subnet_group_name": _name(p.get("DBSubnetGroupName")),
        "db_parameter_group_name": _name(p.get("DBParameterGroupName")),
        "copy_tags_to_snapshot": _bool(p.get("CopyTagsToSnapshot")),
        "iops": p.get("Iops"),
        "master_username": p.get("MasterUsername"),
        "master_user_password": p.get("MasterUserPassword"),
        "manage_master_user_password": _bool(p.get("ManageMasterUserPassword")),
        "master_user_secret_kms_key_id": secret.get("KmsKeyId"),
        "multi_az": _bool(p.get("MultiAZ")),
        "publicly_accessible": _bool(p.get("PubliclyAccessible")),
        "storage_type": p.get("StorageType"),
        "storage_encrypted": _bool(p.get("StorageEncrypted")),
        "storage_throughput": _int(p.get("StorageThroughput")),
        "tags": p.get("Tags") or [],
        "vpc_security_group_ids": list(p.get("VPCSecurityGroups") or []),
        "deletion_protection": _bool(p.get("DeletionProtection")),
        "enable_cloudwatch_logs_exports": list(p.get("EnableCloudwatchLogsExports") or []),
        "enable_iam_database_authentication": _bool(p.get("EnableIAMDatabaseAuthentication")),
        "monitoring_interval": _int(p.get("MonitoringInterval")) or 0,
        "monitoring_role_arn": p.get("MonitoringRoleArn"),
        "enable_performance_insights": _bool(p.get("EnablePerformanceInsights")),
        "performance_insights_kms_key_id": p.get("PerformanceInsightsKMSKeyId"),
        "performance_insights_retention_period": _int(p.get("PerformanceInsightsRetentionPeriod")),
    }
    if p.get("KmsKeyId"):
        kwargs["kms_key_id"] = p["KmsKeyId"]
    for window, key in (
        ("preferred_backup_window", "PreferredBackupWindow"),
        ("preferred_maintenance_window", "PreferredMaintenanceWindow"),
    ):
        if p.get(key):
            kwargs[window] = p[key]
    return kwargs


def _create_replica(backend: Any, kwargs: dict[str, Any], source_id: str) -> DBInstance:
    source = backend.find_db_from_id(source_id)
    inherited = {
        "engine": source.engine,
        "engine_version": source.engine_version,
        "allocated_storage": source.allocated_storage,
        "db_name": source.db_name,
        "master_username": source.master_username,
        "port": source.port,
    }
    for key, value in inherited.items():
        if kwargs.get(key) is None:
            kwargs[key] = value
    kwargs["db_instance_class"] = kwargs["db_instance_class"] or source.db_instance_class
    # Encryption is the source's (CloudFormation: StorageEncrypted is inherited and must not be
    # set on a replica). The key: the one declared (a cross-region replica must name a key of its
    # region, rule RDS002), else, in the source's region, the source's key.
    kwargs["storage_encrypted"] = bool(source.storage_encrypted)
    if source.storage_encrypted and not kwargs.get("kms_key_id") and source.region == backend.region_name:
        kwargs["kms_key_id"] = source.kms_key_id
    kwargs["source_db_instance_identifier"] = source_id
    replica: DBInstance = backend.create_db_instance(kwargs)
    replica.set_as_replica()
    source.add_replica(replica)
    return replica


def create(
    cls: type,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **_: Any,
) -> DBInstance:
    properties = cloudformation_json.get("Properties", {})
    backend = rds_backends[account_id][region_name]
    kwargs = _instance_kwargs(resource_name, properties)
    source_id = properties.get("SourceDBInstanceIdentifier")
    if source_id:
        return _create_replica(backend, kwargs, source_id)
    instance: DBInstance = backend.create_db_instance(kwargs)
    return instance


def get_cfn_attribute(self: DBInstance, attribute_name: str) -> Any:
    from localaws._moto import UnformattedGetAttTemplateException

    values: dict[str, Callable[[], Any]] = {
        "DBInstanceArn": lambda: self.db_instance_arn,
        "DbiResourceId": lambda: self.dbi_resource_id,
        "Endpoint.Address": lambda: self.address,
        "Endpoint.Port": lambda: str(self.port),
        "MasterUserSecret.SecretArn": lambda: self.master_user_secret.secret_arn,
    }
    if attribute_name not in values:
        raise UnformattedGetAttTemplateException()
    return values[attribute_name]()


PI_DEFAULT_RETENTION_DAYS = 7  # the free tier; CreateDBInstance's documented default


def _settle_performance_insights(db: DBInstance) -> None:
    """Describe Performance Insights as AWS does: the default key and retention when on, none when off."""
    own = vars(db)  # attributes moto's DBInstance does not declare: kept on the instance itself
    if not own.get("enable_performance_insights"):
        own["enable_performance_insights"] = False
        own["performance_insights_kms_key_id"] = None
        own["performance_insights_retention_period"] = None
        return
    if not own.get("performance_insights_kms_key_id"):
        kms = kms_backends[db.account_id][db.region]
        alias = kms.get_key_id_from_alias("alias/aws/rds")  # reserved alias: moto makes the key on demand
        own["performance_insights_kms_key_id"] = kms.describe_key(cast(str, alias)).arn
    if not own.get("performance_insights_retention_period"):
        own["performance_insights_retention_period"] = PI_DEFAULT_RETENTION_DAYS


def _performance_insights_enabled(self: DBInstance) -> bool:
    """DescribeDBInstances' `PerformanceInsightsEnabled` (requests say `EnablePerformanceInsights`)."""
    return bool(vars(self).get("enable_performance_insights"))


def _create_keeping_performance_insights(
    original: Callable[[RDSBackend, dict[str, Any]], DBInstance],
) -> Callable[[RDSBackend, dict[str, Any]], DBInstance]:
    def create_db_instance(self: RDSBackend, db_kwargs: dict[str, Any]) -> DBInstance:
        db = original(self, db_kwargs)
        own = vars(db)  # attributes moto's DBInstance does not declare
        own["enable_performance_insights"] = bool(db_kwargs.get("enable_performance_insights"))
        own["performance_insights_kms_key_id"] = db_kwargs.get("performance_insights_kms_key_id")
        own["performance_insights_retention_period"] = _int(
            db_kwargs.get("performance_insights_retention_period")
        )
        _settle_performance_insights(db)
        return db

    return create_db_instance


def _update_keeping_performance_insights(original: Callable[..., None]) -> Callable[..., None]:
    def update(self: DBInstance, *args: Any, **db_kwargs: Any) -> None:
        original(self, *args, **db_kwargs)
        _settle_performance_insights(self)

    return update


def _subnet_group_id(self: DBSubnetGroup) -> str:
    return str(self.name)


def apply(patcher: Patcher) -> None:
    patcher.replace(DBSubnetGroup, "physical_resource_id", property(_subnet_group_id))
    patcher.replace(DBInstance, "create_from_cloudformation_json", classmethod(create))
    patcher.replace(DBInstance, "has_cfn_attr", classmethod(lambda cls, attr: attr in ATTRIBUTES))
    patcher.replace(DBInstance, "get_cfn_attribute", get_cfn_attribute)
    patcher.replace(DBInstance, "performance_insights_enabled", property(_performance_insights_enabled))
    patcher.replace(DBInstance, "update", _update_keeping_performance_insights(DBInstance.update))
    patcher.replace(
        RDSBackend, "create_db_instance", _create_keeping_performance_insights(RDSBackend.create_db_instance)
    )
