"""RDS001 (managed-password source), RDS002 (cross-region replica key), RDS003 (subnet group in use)."""

from __future__ import annotations

from typing import Any

from ...rules.support import ACCOUNT, STRICT_OR_NOT, refused, stack_outcome, strict, strict_unless

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


# -- RDS003 -----------------------------------------------------------------------------------------
def _subnet_group(client: Any, name: str = "db-subnets") -> None:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in enumerate("ab")
    ]
    client("rds").create_db_subnet_group(
        DBSubnetGroupName=name, DBSubnetGroupDescription="database subnets", SubnetIds=subnets
    )


def _instance_in(client: Any, subnet_group: str) -> None:
    client("rds").create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="postgres",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="s3cret-pass",
        DBSubnetGroupName=subnet_group,
    )


@STRICT_OR_NOT
def test_deleting_a_subnet_group_a_db_instance_uses_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "RDS003") as client:
        _subnet_group(client)
        _instance_in(client, "db-subnets")
        rds = client("rds")
        if not is_strict:  # moto alone deletes it from under the instance
            rds.delete_db_subnet_group(DBSubnetGroupName="db-subnets")
            assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []
            return
        message = refused(
            lambda: rds.delete_db_subnet_group(DBSubnetGroupName="DB-Subnets"),
            "InvalidDBSubnetGroupStateFault",
            "RDS003",
        )
        assert "db1" in message
        assert [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]] == [
            "db-subnets"
        ]


def test_a_subnet_group_is_deleted_once_its_instances_are_gone() -> None:
    with strict() as client:
        _subnet_group(client)
        _subnet_group(client, "unused")
        _instance_in(client, "db-subnets")
        rds = client("rds")
        rds.delete_db_subnet_group(DBSubnetGroupName="unused")
        rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
        rds.delete_db_subnet_group(DBSubnetGroupName="db-subnets")
        assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []


def _database_stack() -> dict[str, Any]:
    return {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            **{
                f"Subnet{az.upper()}": {
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {
                        "VpcId": {"Ref": "Vpc"},
                        "CidrBlock": f"10.0.{i}.0/24",
                        "AvailabilityZone": f"us-east-1{az}",
                    },
                }
                for i, az in enumerate("ab")
            },
            # The subnet group comes first, so moto's deletion loop meets it while the instance exists.
            "Subnets": {
                "Type": "AWS::RDS::DBSubnetGroup",
                "Properties": {
                    "DBSubnetGroupName": "db-subnets",
                    "DBSubnetGroupDescription": "database subnets",
                    "SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                },
            },
            "Database": {
                "Type": "AWS::RDS::DBInstance",
                "DeletionPolicy": "Delete",
                "Properties": {
                    "DBInstanceIdentifier": "db1",
                    "Engine": "postgres",
                    "DBInstanceClass": "db.t4g.medium",
                    "AllocatedStorage": "20",
                    "MasterUsername": "admin1",
                    "MasterUserPassword": "s3cret-pass",
                    "DBSubnetGroupName": {"Ref": "Subnets"},
                },
            },
        }
    }


def test_a_stack_with_a_subnet_group_and_its_instance_still_deletes() -> None:
    with strict() as client:
        assert stack_outcome(client, "database", _database_stack())[0] == "CREATE_COMPLETE"
        rds, cfn = client("rds"), client("cloudformation")
        message = refused(
            lambda: rds.delete_db_subnet_group(DBSubnetGroupName="db-subnets"),
            "InvalidDBSubnetGroupStateFault",
            "RDS003",
        )
        assert "db1" in message
        stack_id = cfn.describe_stacks(StackName="database")["Stacks"][0]["StackId"]
        cfn.delete_stack(StackName="database")
        assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
        assert rds.describe_db_instances()["DBInstances"] == []
        assert rds.describe_db_subnet_groups()["DBSubnetGroups"] == []
