"""CloudFormation support for Secrets Manager: the secret, its database attachment, its rotation.

moto 5.2.5 implements Secrets Manager but has no CloudFormation model for any of its types: a
template's secret is skipped while the stack reports success. Here:

- `AWS::SecretsManager::Secret` creates the secret (with `SecretString`, or a password made as
  `GenerateSecretString` asks, merged into `SecretStringTemplate` under `GenerateStringKey`), with
  its KMS key and tags, and deletes it without a recovery window when the stack goes, as
  CloudFormation does. Physical ID, as in CloudFormation: the secret's ARN.
- `AWS::SecretsManager::SecretTargetAttachment` adds the target's connection details to the
  secret's JSON as a new version (for an RDS instance: `engine`, `host`, `port`,
  `dbInstanceIdentifier`) and removes them again on delete, with PutSecretValue, as documented:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-secrettargetattachment.html
  Its `Ref` is the secret's ARN.
- `AWS::SecretsManager::RotationSchedule` records the rotation rules on the secret, so that
  DescribeSecret shows `RotationEnabled` and `RotationRules`. A `HostedRotationLambda` is built by
  the `AWS::SecretsManager` transform from Lambda code that AWS hosts; this backend cannot fetch
  or run it (`RotationLambdaARN` stays empty), so `rotation.py` performs the hosted single-user
  rotation's steps on the secret itself, now and on schedule. A `RotationLambdaARN` given
  directly is recorded as given. On delete, rotation is
  turned off (CancelRotateSecret semantics).
- A replica made by ReplicateSecretToRegions (or `ReplicaRegions`) keeps the `KmsKeyId` it was
  asked for: moto 5.2.5 reports `alias/aws/secretsmanager` for every replica whatever the
  request said, which would make a correct replica look wrongly keyed.
  https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

from localaws._moto import FakeSecret, ReplicaSecret, rds_backends, secretsmanager_backends
from localaws.patching import EmulatorModel, Patcher
from localaws.services.secretsmanager import rotation

# What SecretTargetAttachment writes into the secret, per target type (RDS instances only here:
# the project attaches no cluster, proxy, Redshift or DocumentDB target).
RDS_INSTANCE = "AWS::RDS::DBInstance"
ATTACHED_KEYS = ("engine", "host", "port", "dbInstanceIdentifier")


def _generated(backend: Any, spec: dict[str, Any]) -> str:
    def flag(key: str) -> bool:
        return str(spec.get(key, False)).lower() == "true"

    password = backend.get_random_password(
        password_length=int(spec.get("PasswordLength", 32)),
        exclude_characters=spec.get("ExcludeCharacters", ""),
        exclude_numbers=flag("ExcludeNumbers"),
        exclude_punctuation=flag("ExcludePunctuation"),
        exclude_uppercase=flag("ExcludeUppercase"),
        exclude_lowercase=flag("ExcludeLowercase"),
        include_space=flag("IncludeSpace"),
        require_each_included_type=str(spec.get("RequireEachIncludedType", True)).lower() == "true",
    )
    password = json.loads(password)["RandomPassword"] if password.startswith("{") else password
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = password
        return json.dumps(document)
    return str(password)


class SecretModel(EmulatorModel):
    ATTRIBUTES = ("Id",)

    def __init__(self, arn: str) -> None:
        self.physical_resource_id = arn
        self.attributes = {"Id": arn}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> SecretModel:
        p = cloudformation_json["Properties"]
        backend = secretsmanager_backends[account_id][region_name]
        secret_string = p.get("SecretString")
        if secret_string is None and "GenerateSecretString" in p:
            secret_string = _generated(backend, p["GenerateSecretString"])
        created = json.loads(
            backend.create_secret(
                name=resource_name,
                secret_string=secret_string,
                secret_binary=None,
                description=p.get("Description"),
                tags=p.get("Tags", []),
                kms_key_id=p.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=p.get("ReplicaRegions", []),
                force_overwrite=False,
            )
        )
        return cls(created["ARN"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = secretsmanager_backends[account_id][region_name]
        if backend.secrets.get(self.physical_resource_id) is not None or any(
            s.arn == self.physical_resource_id for s in backend.secrets.values()
        ):
            backend.delete_secret(
                self.physical_resource_id, recovery_window_in_days=None, force_delete_without_recovery=True
            )


def _backend(account_id: str, region_name: str) -> Any:
    return secretsmanager_backends[account_id][region_name]


def _current_document(backend: Any, secret_id: str) -> dict[str, Any]:
    """The secret's current value as a JSON object (an attachment needs a JSON secret)."""
    text = backend.get_secret_value(secret_id=secret_id, version_id=None, version_stage=None).get(
        "SecretString"
    )
    try:
        document = json.loads(text or "{}")
    except json.JSONDecodeError:
        raise ValueError(
            f"secret {secret_id} is not a JSON object: SecretTargetAttachment needs one"
        ) from None
    if not isinstance(document, dict):
        raise ValueError(f"secret {secret_id} is not a JSON object: SecretTargetAttachment needs one")
    return document


def _put_document(backend: Any, secret_id: str, document: dict[str, Any]) -> None:
    backend.put_secret_value(
        secret_id=secret_id,
        secret_string=json.dumps(document),
        secret_binary=None,
        client_request_token=None,
        version_stages=["AWSCURRENT"],
    )


class SecretTargetAttachmentModel(EmulatorModel):
    """Connection details of an RDS instance merged into its credentials secret."""

    def __init__(self, secret_id: str) -> None:
        self.physical_resource_id = secret_id
        self.secret_id = secret_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::SecretTargetAttachment"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> SecretTargetAttachmentModel:
        p = cloudformation_json["Properties"]
        target_type = p.get("TargetType")
        if target_type != RDS_INSTANCE:
            raise ValueError(
                f"SecretTargetAttachment TargetType {target_type!r} is not modelled by the local emulator "
                f"(only {RDS_INSTANCE})"
            )
        target = str(getattr(p["TargetId"], "physical_resource_id", p["TargetId"]))
        instance = rds_backends[account_id][region_name].describe_db_instances(target)[0]
        backend = _backend(account_id, region_name)
        secret_id = str(p["SecretId"])
        document = _current_document(backend, secret_id)
        document.update(
            {
                "engine": instance.engine,
                "host": instance.address,
                "port": int(cast(int, instance.port)),  # moto: `int | None`, set once the instance exists
                "dbInstanceIdentifier": instance.db_instance_identifier,
            }
        )
        _put_document(backend, secret_id, document)
        return cls(backend.describe_secret(secret_id).arn)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if not backend._is_valid_identifier(self.secret_id):
            return  # the secret went first: nothing to detach
        secret = backend.secrets[self.secret_id]
        if secret.is_deleted():
            return
        document = _current_document(backend, self.secret_id)
        if any(key in document for key in ATTACHED_KEYS):
            _put_document(
                backend, self.secret_id, {k: v for k, v in document.items() if k not in ATTACHED_KEYS}
            )


class RotationScheduleModel(EmulatorModel):
    """Rotation rules recorded on the secret; a hosted rotation Lambda is not created (see module doc)."""

    def __init__(self, secret_arn: str) -> None:
        self.physical_resource_id = secret_arn
        self.secret_arn = secret_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::RotationSchedule"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> RotationScheduleModel:
        p = cloudformation_json["Properties"]
        backend = _backend(account_id, region_name)
        secret = backend.describe_secret(str(p["SecretId"]))
        if isinstance(secret, ReplicaSecret):
            raise ValueError(f"{secret.arn} is a replica: rotation is configured on the primary secret only")
        rules = p.get("RotationRules") or {}
        days = rules.get("AutomaticallyAfterDays")
        if days is not None and not 1 <= int(days) <= 1000:
            raise ValueError("RotationRules.AutomaticallyAfterDays must be within 1-1000")
        secret.rotation_requested = True
        secret.rotation_enabled = True
        secret.rotation_lambda_arn = str(p.get("RotationLambdaARN") or "")
        secret.auto_rotate_after_days = int(days or 0)
        secret.next_rotation_date = int(time.time()) + int(days) * 86400 if days else None
        if "HostedRotationLambda" in p:  # the emulator plays the hosted function (rotation.py)
            rotate_now = str(p.get("RotateImmediatelyOnUpdate", True)).lower() != "false"
            rotation.configure_hosted(
                backend, secret, p["HostedRotationLambda"], int(days or 0), rotate_now=rotate_now
            )
        return cls(secret.arn)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if backend._is_valid_identifier(self.secret_arn):
            backend.secrets[self.secret_arn].rotation_enabled = False


def _keep_replica_keys(original: Any) -> Any:
    """Wrap `FakeSecret.create_replicas`: each new replica reports the key it was asked for."""

    def create_replicas(
        self: FakeSecret, replica_regions: list[dict[str, str]], force_overwrite: bool
    ) -> Any:
        replicas = original(self, replica_regions, force_overwrite)
        keys = {r["Region"]: r.get("KmsKeyId") for r in replica_regions or []}
        for replica in replicas:
            if keys.get(replica.region):
                replica.config["KmsKeyId"] = keys[replica.region]
        return replicas

    return create_replicas


def _replica_with_own_key(original: Any) -> Any:
    """Wrap `ReplicaSecret.to_dict`: DescribeSecret in the replica's region shows the replica's key."""

    def to_dict(self: ReplicaSecret) -> dict[str, Any]:
        described: dict[str, Any] = original(self)
        key = self.config.get("KmsKeyId")
        if key and key != secretsmanager_backends[self.source.account_id][self.region].DEFAULT_KMS_KEY_ALIAS:
            described["KmsKeyId"] = key
        else:
            described.pop("KmsKeyId", None)
        return described

    return to_dict


def apply(patcher: Patcher) -> None:
    patcher.register_models((SecretModel, SecretTargetAttachmentModel, RotationScheduleModel))
    patcher.replace(FakeSecret, "create_replicas", _keep_replica_keys(FakeSecret.create_replicas))
    patcher.replace(ReplicaSecret, "to_dict", _replica_with_own_key(ReplicaSecret.to_dict))
