"""PromoteReadReplica: modifying for PROMOTION_SECONDS on CLOCK, then a standalone writer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.services.rds import promotion

from ..support import emulated

ACCOUNT = "123456789012"
SOURCE_ARN = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:db1"


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    CLOCK.reset()
    FAULTS.reset()
    yield
    CLOCK.reset()
    FAULTS.reset()


def _primary_and_replica(client: Any) -> None:
    client("rds").create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="postgres",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="s3cret-pass",
    )
    client("rds", "us-east-2").create_db_instance_read_replica(
        DBInstanceIdentifier="db1", SourceDBInstanceIdentifier=SOURCE_ARN
    )


def _describe(client: Any, region: str, name: str = "db1") -> dict[str, Any]:
    found: dict[str, Any] = client("rds", region).describe_db_instances(DBInstanceIdentifier=name)[
        "DBInstances"
    ][0]
    return found


def test_a_promotion_takes_the_modelled_time_then_the_replica_is_standalone() -> None:
    with emulated() as client:
        _primary_and_replica(client)
        assert _describe(client, "us-east-2")["ReadReplicaSourceDBInstanceIdentifier"] == SOURCE_ARN
        FAULTS.outage("us-east-1")  # unplanned: the source's region is lost
        client("rds", "us-east-2").promote_read_replica(DBInstanceIdentifier="db1")
        assert _describe(client, "us-east-2")["DBInstanceStatus"] == "modifying"
        CLOCK.advance(promotion.PROMOTION_SECONDS - 1)
        assert _describe(client, "us-east-2")["DBInstanceStatus"] == "modifying"
        CLOCK.advance(1)
        promoted = _describe(client, "us-east-2")
        assert promoted["DBInstanceStatus"] == "available"
        assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
        FAULTS.restore("us-east-1")
        assert _describe(client, "us-east-1").get("ReadReplicaDBInstanceIdentifiers", []) == []


def test_moto_alone_promotes_at_once_and_keeps_the_source() -> None:
    with emulated(skip={"rds_promotion"}) as client:
        _primary_and_replica(client)
        client("rds", "us-east-2").promote_read_replica(DBInstanceIdentifier="db1")
        promoted = _describe(client, "us-east-2")
        assert promoted["DBInstanceStatus"] == "available"
        assert promoted["ReadReplicaSourceDBInstanceIdentifier"] == SOURCE_ARN


def test_promoting_a_standalone_instance_is_refused() -> None:
    with emulated() as client:
        _primary_and_replica(client)
        with pytest.raises(ClientError) as raised:
            client("rds").promote_read_replica(DBInstanceIdentifier="db1")
        assert raised.value.response["Error"]["Code"] == "InvalidDBInstanceState"


def test_failback_rebuilds_a_replica_of_the_promoted_instance_across_regions() -> None:
    with emulated() as client:
        _primary_and_replica(client)
        client("rds", "us-east-2").promote_read_replica(DBInstanceIdentifier="db1")
        CLOCK.advance(promotion.PROMOTION_SECONDS)
        client("rds").delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
        new_source = f"arn:aws:rds:us-east-2:{ACCOUNT}:db:db1"
        client("rds").create_db_instance_read_replica(
            DBInstanceIdentifier="db1", SourceDBInstanceIdentifier=new_source
        )
        rebuilt = _describe(client, "us-east-1")
        assert rebuilt["ReadReplicaSourceDBInstanceIdentifier"] == new_source
        assert rebuilt["DBInstanceStatus"] == "available"
        writer = _describe(client, "us-east-2")
        assert writer["ReadReplicaDBInstanceIdentifiers"] == [f"arn:aws:rds:us-east-1:{ACCOUNT}:db:db1"]
        assert "ReadReplicaSourceDBInstanceIdentifier" not in writer
