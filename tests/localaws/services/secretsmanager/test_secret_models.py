"""Secrets Manager in the emulator: the database secret's attachment, rotation, transform, replicas
and dynamic references, each with and without the fix that makes it work."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.cloudformation import parsing
from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends

from localaws.patching import Patcher, _clear_model_caches

from ...support import Clients, create, deploy, emulated, outputs

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse .* not supported:UserWarning")

ON_OFF = pytest.mark.parametrize("fixed", [True, False])
SECRET_NAME = "payments/db-master"
PASSWORD_REF = "{{resolve:secretsmanager:${Secret}:SecretString:password}}"
ATTACHMENT = "AWS::SecretsManager::SecretTargetAttachment"
ROTATION = "AWS::SecretsManager::RotationSchedule"


def _skip(fixed: bool, *names: str) -> set[str]:
    return set() if fixed else set(names)


@contextmanager
def _without_model(resource_type: str) -> Iterator[Clients]:
    """Every fix, but moto's CloudFormation does not know `resource_type` (as before this change).

    The secretsmanager fix holds the Secret model too, so skipping the whole fix would also drop
    the secret that the model under test needs.
    """
    with emulated() as client:
        patcher = Patcher()
        previous = parsing.get_model_list

        @functools.lru_cache
        def get_model_list() -> list[Any]:
            return [m for m in previous() if m.cloudformation_type() != resource_type]

        patcher.replace(parsing, "get_model_list", get_model_list)
        _clear_model_caches()
        try:
            yield client
        finally:
            patcher.revert()


def _secret() -> dict[str, Any]:
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Name": SECRET_NAME,
            "GenerateSecretString": {
                "SecretStringTemplate": '{"username": "payments"}',
                "GenerateStringKey": "password",
                "PasswordLength": 32,
                "ExcludeCharacters": "/@\"' \\",
            },
        },
    }


def _database(password: Any = None) -> dict[str, Any]:
    return {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {
            "DBInstanceIdentifier": "db1",
            "Engine": "postgres",
            "EngineVersion": "17.6",
            "DBInstanceClass": "db.t4g.medium",
            "AllocatedStorage": "20",
            "MasterUsername": "payments",
            "MasterUserPassword": password or {"Fn::Sub": PASSWORD_REF},
            "StorageEncrypted": True,
        },
    }


def _attachment() -> dict[str, Any]:
    return {
        "Type": "AWS::SecretsManager::SecretTargetAttachment",
        "Properties": {
            "SecretId": {"Ref": "Secret"},
            "TargetId": {"Ref": "Db"},
            "TargetType": "AWS::RDS::DBInstance",
        },
    }


def _rotation(hosted: bool = True) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "SecretId": {"Ref": "Secret"},
        "RotationRules": {"AutomaticallyAfterDays": 30},
    }
    if hosted:
        properties["HostedRotationLambda"] = {"RotationType": "PostgreSQLSingleUser"}
    return {
        "Type": "AWS::SecretsManager::RotationSchedule",
        "DependsOn": ["Attachment"],
        "Properties": properties,
    }


def _value(client: Clients, secret_id: str = SECRET_NAME, region: str = "us-east-1") -> dict[str, Any]:
    return json.loads(client("secretsmanager", region).get_secret_value(SecretId=secret_id)["SecretString"])


def _db_password() -> str:
    return str(rds_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].databases["db1"]._master_user_password)


# -- dynamic references -----------------------------------------------------------------------------
@ON_OFF
def test_database_password_comes_from_the_secret_by_dynamic_reference(fixed: bool) -> None:
    template = {"Resources": {"Secret": _secret(), "Db": _database()}}
    with emulated(skip=_skip(fixed, "dynamic_references")) as client:
        assert create(client, "db", template)["StackStatus"] == "CREATE_COMPLETE"
        password = _value(client)["password"]
        assert len(password) == 32 and not set("/@\"' \\") & set(password)
        if fixed:
            assert _db_password() == password
        else:  # moto hands the reference text itself to RDS as the password
            assert _db_password().startswith("{{resolve:secretsmanager:arn:aws:secretsmanager:")
        client("cloudformation").describe_stacks(StackName="db")
        template_body = client("cloudformation").get_template(StackName="db")["TemplateBody"]
        assert password not in json.dumps(template_body)  # the value never lands in the template


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("{{resolve:secretsmanager:${Secret}:SecretString:no_such_key}}", "has no key no_such_key"),
        ("{{resolve:secretsmanager:other/secret:SecretString:password}}", "cannot be resolved"),
    ],
)
def test_an_unresolvable_reference_fails_the_resource(reference: str, problem: str) -> None:
    template = {"Resources": {"Secret": _secret(), "Db": _database({"Fn::Sub": reference})}}
    with emulated() as client:
        try:
            stack = create(client, "db", template)
        except ClientError as err:
            assert problem in str(err)
        else:
            assert stack["StackStatus"] != "CREATE_COMPLETE"
            events = client("cloudformation").describe_stack_events(StackName="db")["StackEvents"]
            assert any(problem in e.get("ResourceStatusReason", "") for e in events)
        assert rds_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].databases.get("db1") is None


# -- SecretTargetAttachment -------------------------------------------------------------------------
@ON_OFF
def test_attachment_adds_the_connection_details_and_removes_them(fixed: bool) -> None:
    base = {
        "Resources": {"Secret": _secret(), "Db": _database()},
        "Outputs": {"Arn": {"Value": {"Ref": "Secret"}}},
    }
    attach = {
        "Resources": {
            "Attachment": {
                "Type": "AWS::SecretsManager::SecretTargetAttachment",
                "Properties": {
                    "SecretId": SECRET_NAME,
                    "TargetId": "db1",
                    "TargetType": "AWS::RDS::DBInstance",
                },
            }
        },
        "Outputs": {"Ref": {"Value": {"Ref": "Attachment"}}},
    }
    with emulated() if fixed else _without_model(ATTACHMENT) as client:
        secret_arn = outputs(create(client, "db", base))["Arn"]
        password = _value(client)["password"]
        stack = create(client, "attach", attach)
        value = _value(client)
        db = client("rds").describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]
        connection = {k: value.get(k) for k in ("engine", "host", "port", "dbInstanceIdentifier")}
        if not fixed:
            assert connection == dict.fromkeys(connection)
            return
        assert connection == {
            "engine": "postgres",
            "host": db["Endpoint"]["Address"],
            "port": db["Endpoint"]["Port"],
            "dbInstanceIdentifier": "db1",
        }
        assert (value["username"], value["password"]) == ("payments", password)
        assert outputs(stack)["Ref"] == secret_arn
        client("cloudformation").delete_stack(StackName="attach")
        assert _value(client) == {"username": "payments", "password": password}


# -- RotationSchedule and the AWS::SecretsManager transform ------------------------------------------
@ON_OFF
def test_rotation_schedule_is_recorded_without_a_hosted_lambda(fixed: bool) -> None:
    template = {
        "Transform": ["AWS::SecretsManager-2020-07-23"],
        "Resources": {
            "Secret": _secret(),
            "Db": _database(),
            "Attachment": _attachment(),
            "Rotation": _rotation(),
        },
    }
    with emulated() if fixed else _without_model(ROTATION) as client:
        deploy(client, "db", template)
        described = client("secretsmanager").describe_secret(SecretId=SECRET_NAME)
        if not fixed:
            assert "RotationEnabled" not in described
            return
        assert described["RotationEnabled"] is True
        assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
        assert described.get("RotationLambdaARN", "") == ""  # no hosted Lambda on this backend
        # No rotation was started: the password the database got is still the current one.
        assert list(described["VersionIdsToStages"].values()).count(["AWSPENDING"]) == 0
        assert _db_password() == _value(client)["password"]
        client("cloudformation").delete_stack(StackName="db")
        with pytest.raises(ClientError):
            client("secretsmanager").describe_secret(SecretId=SECRET_NAME)


@ON_OFF
def test_secrets_manager_transform_beside_sam(fixed: bool) -> None:
    template = {
        "Transform": ["AWS::SecretsManager-2020-07-23", "AWS::Serverless-2016-10-31"],
        "Resources": {
            "Secret": _secret(),
            "Db": _database(),
            "Attachment": _attachment(),
            "Rotation": _rotation(),
        },
    }
    with emulated(skip=_skip(fixed, "secretsmanager_transform")) as client:
        if not fixed:
            with pytest.raises(ClientError, match="runs only the AWS::Serverless-2016-10-31 transform"):
                deploy(client, "db", template)
            return
        assert deploy(client, "db", template)["StackStatus"] == "CREATE_COMPLETE"
        assert client("secretsmanager").describe_secret(SecretId=SECRET_NAME)["RotationEnabled"] is True


def test_hosted_rotation_without_the_transform_is_refused() -> None:
    template = {
        "Resources": {
            "Secret": _secret(),
            "Db": _database(),
            "Attachment": _attachment(),
            "Rotation": _rotation(),
        },
    }
    with (
        emulated() as client,
        pytest.raises(ClientError, match="HostedRotationLambda needs the AWS::SecretsManager"),
    ):
        deploy(client, "db", template)


def test_hosted_rotation_without_rotation_type_is_refused() -> None:
    rotation = _rotation()
    rotation["Properties"]["HostedRotationLambda"] = {"KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/x"}
    template = {
        "Transform": "AWS::SecretsManager-2020-07-23",
        "Resources": {
            "Secret": _secret(),
            "Db": _database(),
            "Attachment": _attachment(),
            "Rotation": rotation,
        },
    }
    with (
        emulated() as client,
        pytest.raises(ClientError, match="Rotation: HostedRotationLambda requires RotationType"),
    ):
        deploy(client, "db", template)


# -- replicas keep their key ------------------------------------------------------------------------
@ON_OFF
def test_a_replica_reports_the_key_it_was_given(fixed: bool) -> None:
    with emulated(skip=_skip(fixed, "secretsmanager")) as client:
        key = client("kms", "us-east-2").create_key()["KeyMetadata"]["Arn"]
        arn = client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString="{}")["ARN"]
        client("secretsmanager").replicate_secret_to_regions(
            SecretId=arn, AddReplicaRegions=[{"Region": "us-east-2", "KmsKeyId": key}]
        )
        status = client("secretsmanager").describe_secret(SecretId=arn)["ReplicationStatus"]
        replica = client("secretsmanager", "us-east-2").describe_secret(
            SecretId=arn.replace("us-east-1", "us-east-2")
        )
        if fixed:
            assert [(s["Region"], s["KmsKeyId"], s["Status"]) for s in status] == [
                ("us-east-2", key, "InSync")
            ]
            assert (replica["KmsKeyId"], replica["PrimaryRegion"]) == (key, "us-east-1")
        else:
            assert status[0]["KmsKeyId"] == "alias/aws/secretsmanager"
