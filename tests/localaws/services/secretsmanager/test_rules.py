"""SM001: a secret replica whose KMS key is missing in its region ends Failed (the call succeeds)."""

from __future__ import annotations

from typing import Any

from ...rules.support import STRICT_OR_NOT, strict, strict_unless

MISSING_KEY = "arn:aws:kms:us-east-2:123456789012:key/00000000-0000-0000-0000-000000000000"


def _status(client: Any) -> dict[str, Any]:
    described = client("secretsmanager").describe_secret(SecretId="db-credentials")
    return {s["Region"]: s for s in described["ReplicationStatus"]}


@STRICT_OR_NOT
def test_replicating_with_a_key_missing_in_the_target_region_ends_failed(is_strict: bool) -> None:
    with strict_unless(is_strict, "SM001") as client:
        sm = client("secretsmanager")
        sm.create_secret(Name="db-credentials", SecretString="{}")
        answer = sm.replicate_secret_to_regions(
            SecretId="db-credentials", AddReplicaRegions=[{"Region": "us-east-2", "KmsKeyId": MISSING_KEY}]
        )
        status = _status(client)["us-east-2"]
        if not is_strict:  # moto alone reports the replica in sync, with the default key
            assert status["Status"] == "InSync"
            return
        assert answer["ReplicationStatus"][0]["Status"] == "Failed"
        assert status["Status"] == "Failed"
        assert "not found" in status["StatusMessage"] and "SM001" in status["StatusMessage"]
        assert status["KmsKeyId"] == MISSING_KEY
        assert client("secretsmanager", "us-east-2").list_secrets()["SecretList"] == []


def test_create_secret_with_a_replica_key_of_another_region_ends_failed() -> None:
    with strict() as client:
        key_in_east1 = client("kms").create_key()["KeyMetadata"]["Arn"]
        client("secretsmanager").create_secret(
            Name="db-credentials",
            SecretString="{}",
            AddReplicaRegions=[{"Region": "us-east-2", "KmsKeyId": key_in_east1}],
        )
        status = _status(client)["us-east-2"]
        assert status["Status"] == "Failed" and "us-east-1" in status["StatusMessage"]


def test_a_disabled_key_ends_failed_too() -> None:
    with strict() as client:
        kms2 = client("kms", "us-east-2")
        key = kms2.create_key()["KeyMetadata"]["KeyId"]
        kms2.disable_key(KeyId=key)
        client("secretsmanager").create_secret(
            Name="db-credentials",
            SecretString="{}",
            AddReplicaRegions=[{"Region": "us-east-2", "KmsKeyId": key}],
        )
        assert _status(client)["us-east-2"]["Status"] == "Failed"


def test_a_key_of_the_target_region_or_the_default_key_replicates_in_sync() -> None:
    with strict() as client:
        kms2 = client("kms", "us-east-2")
        key = kms2.create_key()["KeyMetadata"]["Arn"]
        kms2.create_alias(AliasName="alias/payments", TargetKeyId=key)
        sm = client("secretsmanager")
        sm.create_secret(
            Name="db-credentials",
            SecretString="{}",
            AddReplicaRegions=[
                {"Region": "us-east-2", "KmsKeyId": "alias/payments"},
                {"Region": "us-west-2"},
            ],
        )
        statuses = _status(client)
        assert {r: s["Status"] for r, s in statuses.items()} == {"us-east-2": "InSync", "us-west-2": "InSync"}
        assert statuses["us-east-2"]["KmsKeyId"] == "alias/payments"
        replica = client("secretsmanager", "us-east-2").describe_secret(SecretId="db-credentials")
        assert replica["PrimaryRegion"] == "us-east-1"
