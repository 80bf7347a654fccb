"""RDS001 (no replica of a managed-password source) and RDS002 (cross-region replica key)."""

from __future__ import annotations

from typing import Any

from .support import ACCOUNT, STRICT_OR_NOT, refused, stack_outcome, strict, strict_unless

SOURCE_ARN = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:db1"


def _source(client: Any, *, managed: bool, encrypted: bool = True) -> None:
    password: dict[str, Any] = (
        {"ManageMasterUserPassword": True} if managed else {"MasterUserPassword": "s3cret-pass"}
    )
    client("rds").create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="postgres",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="admin1",
        StorageEncrypted=encrypted,
        **password,
    )


def _key(client: Any, region: str) -> str:
    return str(client("kms", region).create_key()["KeyMetadata"]["Arn"])


def _replica_template(kms_key: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "DBInstanceIdentifier": "db1",
        "DBInstanceClass": "db.t4g.medium",
        "SourceRegion": "us-east-1",
        "SourceDBInstanceIdentifier": SOURCE_ARN,
    }
    if kms_key:
        properties["KmsKeyId"] = kms_key
    return {"Resources": {"Replica": {"Type": "AWS::RDS::DBInstance", "Properties": properties}}}


# -- RDS001 -----------------------------------------------------------------------------------------
@STRICT_OR_NOT
def test_a_replica_of_a_managed_password_source_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "RDS001") as client:
        _source(client, managed=True)
        rds = client("rds")
        if not is_strict:  # moto alone copies the source, managed secret and all
            rds.create_db_instance_read_replica(DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1")
            return
        message = refused(
            lambda: rds.create_db_instance_read_replica(
                DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1"
            ),
            "InvalidParameterCombination",
            "RDS001",
        )
        assert "ManageMasterUserPassword" in message
        east2 = client("rds", "us-east-2")
        key = _key(client, "us-east-2")
        refused(
            lambda: east2.create_db_instance_read_replica(
                DBInstanceIdentifier="r2", SourceDBInstanceIdentifier=SOURCE_ARN, KmsKeyId=key
            ),
            "InvalidParameterCombination",
            "RDS001",
        )
        assert [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]] == ["db1"]


@STRICT_OR_NOT
def test_a_stack_with_a_replica_of_a_managed_password_source_rolls_back(is_strict: bool) -> None:
    with strict_unless(is_strict, "RDS001") as client:
        _source(client, managed=True)
        status, reasons = stack_outcome(
            client, "replica", _replica_template(_key(client, "us-east-2")), "us-east-2"
        )
        if not is_strict:
            assert status == "CREATE_COMPLETE"
            return
        assert status == "ROLLBACK_COMPLETE"
        assert "InvalidParameterCombination" in reasons and "RDS001" in reasons
        assert client("rds", "us-east-2").describe_db_instances()["DBInstances"] == []


def test_a_replica_of_a_source_with_its_own_password_is_created_encrypted_with_the_declared_key() -> None:
    with strict() as client:
        _source(client, managed=False)
        key = _key(client, "us-east-2")
        status, _ = stack_outcome(client, "replica", _replica_template(key), "us-east-2")
        assert status == "CREATE_COMPLETE"
        db = client("rds", "us-east-2").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
        assert (db["StorageEncrypted"], db["KmsKeyId"]) == (True, key)
        assert db["ReadReplicaSourceDBInstanceIdentifier"] == SOURCE_ARN
        client("rds").create_db_instance_read_replica(
            DBInstanceIdentifier="local", SourceDBInstanceIdentifier="db1"
        )


# -- RDS002 -----------------------------------------------------------------------------------------
@STRICT_OR_NOT
def test_an_encrypted_cross_region_replica_without_a_destination_key_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "RDS002") as client:
        _source(client, managed=False)
        east2 = client("rds", "us-east-2")
        source_key = _key(client, "us-east-1")

        def without_key() -> Any:
            return east2.create_db_instance_read_replica(
                DBInstanceIdentifier="r1", SourceDBInstanceIdentifier=SOURCE_ARN
            )

        if not is_strict:
            without_key()
            return
        assert "KmsKeyId" in refused(without_key, "InvalidParameterCombination", "RDS002")
        message = refused(
            lambda: east2.create_db_instance_read_replica(
                DBInstanceIdentifier="r1", SourceDBInstanceIdentifier=SOURCE_ARN, KmsKeyId=source_key
            ),
            "InvalidParameterCombination",
            "RDS002",
        )
        assert "us-east-1" in message
        status, reasons = stack_outcome(client, "replica", _replica_template(None), "us-east-2")
        assert status == "ROLLBACK_COMPLETE" and "RDS002" in reasons


def test_an_encrypted_replica_of_an_unencrypted_source_is_refused() -> None:
    with strict() as client:
        _source(client, managed=False, encrypted=False)
        east2 = client("rds", "us-east-2")
        key = _key(client, "us-east-2")
        refused(
            lambda: east2.create_db_instance_read_replica(
                DBInstanceIdentifier="r1", SourceDBInstanceIdentifier=SOURCE_ARN, KmsKeyId=key
            ),
            "InvalidParameterCombination",
            "RDS002",
        )
        east2.create_db_instance_read_replica(
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier=SOURCE_ARN
        )


def test_a_cross_region_replica_with_a_destination_key_is_accepted() -> None:
    with strict() as client:
        _source(client, managed=False)
        key = _key(client, "us-east-2")
        replica = client("rds", "us-east-2").create_db_instance_read_replica(
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier=SOURCE_ARN, KmsKeyId=key
        )["DBInstance"]
        assert (replica["StorageEncrypted"], replica["KmsKeyId"]) == (True, key)
