"""StopReplicationToReplica promotes a replica secret, also while the primary's region is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from localaws.faults import FAULTS

from ..support import emulated


@pytest.fixture(autouse=True)
def clean_faults() -> Iterator[None]:
    FAULTS.reset()
    yield
    FAULTS.reset()


def test_the_replica_becomes_standalone_and_the_primary_drops_it() -> None:
    with emulated() as client:
        primary = client("secretsmanager").create_secret(
            Name="db-credentials",
            SecretString='{"password": "p1"}',
            AddReplicaRegions=[{"Region": "us-east-2"}, {"Region": "us-west-2"}],
        )
        east2 = client("secretsmanager", "us-east-2")
        assert east2.describe_secret(SecretId="db-credentials")["PrimaryRegion"] == "us-east-1"
        FAULTS.outage("us-east-1")
        promoted = east2.stop_replication_to_replica(SecretId="db-credentials")
        assert promoted["ARN"] == primary["ARN"].replace("us-east-1", "us-east-2")
        described = east2.describe_secret(SecretId="db-credentials")
        assert "PrimaryRegion" not in described
        assert east2.get_secret_value(SecretId="db-credentials")["SecretString"] == '{"password": "p1"}'
        FAULTS.restore("us-east-1")
        statuses = client("secretsmanager").describe_secret(SecretId="db-credentials")["ReplicationStatus"]
        assert [s["Region"] for s in statuses] == ["us-west-2"]
        # the standalone secret changes on its own
        east2.put_secret_value(SecretId="db-credentials", SecretString='{"password": "p2"}')
        assert (
            client("secretsmanager").get_secret_value(SecretId="db-credentials")["SecretString"]
            == '{"password": "p1"}'
        )


def test_a_secret_that_is_no_replica_is_refused() -> None:
    with emulated() as client:
        client("secretsmanager").create_secret(Name="plain", SecretString="x")
        with pytest.raises(ClientError) as raised:
            client("secretsmanager").stop_replication_to_replica(SecretId="plain")
        assert raised.value.response["Error"]["Code"] == "InvalidRequestException"


def test_moto_alone_lacks_the_operation() -> None:
    with emulated(skip={"secret_promotion"}) as client:
        client("secretsmanager").create_secret(
            Name="s", SecretString="x", AddReplicaRegions=[{"Region": "us-east-2"}]
        )
        with pytest.raises(ClientError) as raised:
            client("secretsmanager", "us-east-2").stop_replication_to_replica(SecretId="s")
        assert raised.value.response["Error"]["Code"] == "NotImplemented"
