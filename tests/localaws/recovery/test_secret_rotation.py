"""Hosted single-user rotation: at schedule creation, on RotateSecret and when due on CLOCK; and
the secret-replication plugin's rotation promise read against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.testing import backend
from payinfra.plugins.api import Status
from payinfra.plugins.secret_replication import SecretReplicationPlugin

from ..support import Clients, deploy, emulated

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .* not supported:UserWarning")

NAME = "payments/db-master"
TEMPLATE: dict[str, Any] = {
    "Transform": ["AWS::SecretsManager-2024-09-16"],
    "Resources": {
        "Secret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": NAME,
                "GenerateSecretString": {
                    "SecretStringTemplate": '{"username": "payments"}',
                    "GenerateStringKey": "password",
                    "ExcludeCharacters": "/@\"' \\",
                },
            },
        },
        "Db": {
            "Type": "AWS::RDS::DBInstance",
            "Properties": {
                "DBInstanceIdentifier": "db1",
                "Engine": "postgres",
                "DBInstanceClass": "db.t4g.medium",
                "AllocatedStorage": "20",
                "MasterUsername": "payments",
                "MasterUserPassword": {
                    "Fn::Sub": "{{resolve:secretsmanager:${Secret}:SecretString:password}}"
                },
            },
        },
        "Attachment": {
            "Type": "AWS::SecretsManager::SecretTargetAttachment",
            "Properties": {
                "SecretId": {"Ref": "Secret"},
                "TargetId": {"Ref": "Db"},
                "TargetType": "AWS::RDS::DBInstance",
            },
        },
        "Rotation": {
            "Type": "AWS::SecretsManager::RotationSchedule",
            "DependsOn": ["Attachment"],
            "Properties": {
                "SecretId": {"Ref": "Secret"},
                "HostedRotationLambda": {
                    "RotationType": "PostgreSQLSingleUser",
                    "ExcludeCharacters": "/@\"' \\",
                },
                "RotationRules": {"AutomaticallyAfterDays": 30},
            },
        },
    },
}


@pytest.fixture
def client() -> Iterator[Clients]:
    CLOCK.reset()
    FAULTS.reset()
    try:
        with emulated() as make:
            deploy(make, "db", TEMPLATE)
            yield make
    finally:
        CLOCK.reset()
        FAULTS.reset()


def _describe(client: Clients) -> dict[str, Any]:
    described: dict[str, Any] = client("secretsmanager").describe_secret(SecretId=NAME)
    return described


def _stage(client: Clients, stage: str) -> tuple[str, dict[str, Any]]:
    found = client("secretsmanager").get_secret_value(SecretId=NAME, VersionStage=stage)
    return found["VersionId"], json.loads(found["SecretString"])


def _db_password() -> str:
    return str(backend("rds", "us-east-1").databases["db1"]._master_user_password)


def test_the_schedule_rotates_at_once_to_a_new_password(client: Clients) -> None:
    described = _describe(client)
    assert described["LastRotatedDate"] and described["RotationEnabled"]
    stages = sorted(tuple(s) for s in described["VersionIdsToStages"].values())
    assert ("AWSCURRENT",) in stages and ("AWSPREVIOUS",) in stages and ("AWSPENDING",) not in stages
    _, current = _stage(client, "AWSCURRENT")
    _, previous = _stage(client, "AWSPREVIOUS")
    assert current["username"] == previous["username"] == "payments"
    assert current["password"] != previous["password"] and len(current["password"]) == 32
    assert not set("/@\"' \\") & set(current["password"])
    assert current["dbInstanceIdentifier"] == "db1"  # the attachment's details are kept
    assert _db_password() == current["password"]  # setSecret, on what the emulated database has


def test_rotate_secret_runs_the_steps_and_moves_awscurrent(client: Clients) -> None:
    before, old = _stage(client, "AWSCURRENT")
    answer = client("secretsmanager").rotate_secret(SecretId=NAME)
    after, new = _stage(client, "AWSCURRENT")
    assert answer["VersionId"] == after != before
    assert _stage(client, "AWSPREVIOUS")[0] == before
    assert new["password"] != old["password"]


def test_a_due_schedule_rotates_on_the_next_request(client: Clients) -> None:
    before, _ = _stage(client, "AWSCURRENT")
    CLOCK.advance(29 * 86400)
    assert _stage(client, "AWSCURRENT")[0] == before  # not due yet
    CLOCK.advance(86400 + 1)
    FAULTS.outage("us-east-1")  # the function's region is down: no rotation
    assert _describe(client)["VersionIdsToStages"].get(before) == ["AWSCURRENT"]
    FAULTS.restore("us-east-1")
    described = _describe(client)
    assert described["VersionIdsToStages"][before] == ["AWSPREVIOUS"]
    assert described["LastRotatedDate"].timestamp() >= CLOCK.now() - 5


def test_the_rotation_promise_holds_on_this_evidence_and_not_without_it(client: Clients) -> None:
    arn = _describe(client)["ARN"]
    check = SecretReplicationPlugin._rotation_check(_describe(client), arn, "us-east-1")
    assert check.status == Status.HOLDS, check.reason
    assert "every 30 days by the hosted rotation function; last rotated" in check.reason
    rotating = backend("secretsmanager", "us-east-1").secrets[NAME]
    rotating.last_rotation_date = None  # rotation configured, never completed
    check = SecretReplicationPlugin._rotation_check(_describe(client), arn, "us-east-1")
    assert check.status == Status.BROKEN and "never rotated" in check.reason
