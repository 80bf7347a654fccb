"""DeleteDBInstance of a cross-Region read replica: deleted, and its source forgets it.

(Each test starts its own emulator, one with the fix left out; only one runs at a time.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.parsers import ResponseParserError

from localaws import LocalAws

from .conftest import NO_RETRIES

ACCOUNT = "123456789012"


@contextmanager
def emulator(skip_fixes: frozenset[str] = frozenset()) -> Iterator[Callable[..., Any]]:
    """`client(service, region)` on a LocalAws of its own, without retries."""
    with LocalAws(skip_fixes=skip_fixes) as aws:

        def client(service: str, region: str) -> Any:
            session = aws.session(region)
            return session.client(service, endpoint_url=aws.endpoint_url, config=NO_RETRIES)  # type: ignore[call-overload]

        yield client


def _primary_and_replica(client: Callable[..., Any]) -> None:
    client("rds", "us-east-1").create_db_instance(
        DBInstanceIdentifier="db1",
        Engine="postgres",
        DBInstanceClass="db.t4g.medium",
        AllocatedStorage=20,
        MasterUsername="admin1",
        MasterUserPassword="s3cret-pass",
    )
    client("rds", "us-east-2").create_db_instance_read_replica(
        DBInstanceIdentifier="db1", SourceDBInstanceIdentifier=f"arn:aws:rds:us-east-1:{ACCOUNT}:db:db1"
    )


def _replicas_of_source(client: Callable[..., Any]) -> list[str]:
    found = client("rds", "us-east-1").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
    replicas: list[str] = found.get("ReadReplicaDBInstanceIdentifiers", [])
    return replicas


def test_deleting_a_cross_region_replica_removes_it_from_its_source() -> None:
    with emulator() as client:
        _primary_and_replica(client)
        assert _replicas_of_source(client) == [f"arn:aws:rds:us-east-2:{ACCOUNT}:db:db1"]
        client("rds", "us-east-2").delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
        assert client("rds", "us-east-2").describe_db_instances()["DBInstances"] == []
        assert _replicas_of_source(client) == []


def test_moto_alone_fails_the_deletion_with_http_500() -> None:
    with emulator(skip_fixes=frozenset({"rds_replica_removal"})) as client:
        _primary_and_replica(client)
        # moto's ValueError: the server answers an HTML 500 page, which botocore cannot parse
        with pytest.raises(ResponseParserError, match="500 Internal Server Error"):
            client("rds", "us-east-2").delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
