"""CloudFormation support for `AWS::SecretsManager::Secret`.

moto 5.2.5 implements Secrets Manager but has no CloudFormation model for secrets: a template's
secret is skipped while the stack reports success. This model creates it (with `SecretString`,
or a password made as `GenerateSecretString` asks, merged into `SecretStringTemplate` under
`GenerateStringKey`), with its KMS key and tags, and deletes it without a recovery window when
the stack goes, as CloudFormation does. Physical ID, as in CloudFormation: the secret's ARN.
"""

from __future__ import annotations

import json
from typing import Any

from moto.secretsmanager.models import secretsmanager_backends

from ._patching import EmulatorModel, Patcher


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
    def create_from_cloudformation_json(  # type: ignore[override]
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


def apply(patcher: Patcher) -> None:
    patcher.register_models((SecretModel,))
