"""Resolve `{{resolve:secretsmanager:...}}` dynamic references in resource properties.

CloudFormation replaces a Secrets Manager dynamic reference with the secret's value when it
creates or updates the resource, never storing the value in the template or showing it in the
console (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html).
Syntax: `{{resolve:secretsmanager:secret-id:SecretString:json-key:version-stage:version-id}}`,
where `secret-id` is a name or a full ARN and every part after it is optional. moto 5.2.5 passes
the reference through as a literal string, so a database created with
`MasterUserPassword: '{{resolve:secretsmanager:...}}'` would get the reference text as its
password. Here every string property of a resource has its references resolved against this
backend's Secrets Manager, just before the resource's model sees it; a reference to a missing
secret, version or JSON key fails the resource, as on AWS.
"""

from __future__ import annotations

import json
import re
from typing import Any

from localaws._moto import cfn_parsing as parsing
from localaws._moto import secretsmanager_backends
from localaws.patching import Patcher

REFERENCE = re.compile(r"\{\{resolve:secretsmanager:([^}]+)\}\}")
ARN_PARTS = 7  # arn:partition:secretsmanager:region:account:secret:name-suffix


class DynamicReferenceError(ValueError):
    """A Secrets Manager dynamic reference that cannot be resolved (the resource fails)."""


def _split(reference: str) -> tuple[str, list[str]]:
    parts = reference.split(":")
    if reference.startswith("arn:"):
        if len(parts) < ARN_PARTS:
            raise DynamicReferenceError(f"malformed secret ARN in dynamic reference: {reference}")
        return ":".join(parts[:ARN_PARTS]), parts[ARN_PARTS:]
    return parts[0], parts[1:]


def resolve(reference: str, account_id: str, region_name: str) -> str:
    """The value `{{resolve:secretsmanager:<reference>}}` stands for."""
    secret_id, rest = _split(reference)
    rest += [""] * (4 - len(rest))
    field, json_key, version_stage, version_id = rest[:4]
    if field not in ("", "SecretString"):
        raise DynamicReferenceError(
            f"dynamic reference to {secret_id}: only SecretString is supported, not {field}"
        )
    if secret_id.startswith("arn:"):
        _, _, _, region_name, account_id, *_ = secret_id.split(":")
    backend = secretsmanager_backends[account_id][region_name]
    try:
        value = backend.get_secret_value(
            secret_id=secret_id,
            # moto annotates both str but tests `is not None` to tell "not given": None is meant
            version_id=version_id or None,  # type: ignore[arg-type]  # moto: str, None = not given
            version_stage=version_stage or None,  # type: ignore[arg-type]  # moto: str, None = not given
        )
    except Exception as exc:  # moto's SecretNotFound / ResourceNotFound carry the AWS message
        message = getattr(exc, "message", None) or str(exc)
        raise DynamicReferenceError(
            f"dynamic reference to {secret_id} cannot be resolved: {message}"
        ) from None
    text = value.get("SecretString")
    if text is None:
        raise DynamicReferenceError(f"dynamic reference to {secret_id}: the secret has no SecretString")
    if not json_key:
        return str(text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise DynamicReferenceError(
            f"dynamic reference to {secret_id}: key {json_key} asked of a value that is not JSON"
        ) from None
    if not isinstance(document, dict) or json_key not in document:
        raise DynamicReferenceError(f"dynamic reference to {secret_id}: the secret has no key {json_key}")
    return str(document[json_key])


def resolve_all(node: Any, account_id: str, region_name: str) -> Any:
    """`node` with every Secrets Manager dynamic reference in its strings replaced by its value."""
    if isinstance(node, str) and "{{resolve:secretsmanager:" in node:
        return REFERENCE.sub(lambda m: resolve(m.group(1), account_id, region_name), node)
    if isinstance(node, dict):
        return {key: resolve_all(value, account_id, region_name) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve_all(item, account_id, region_name) for item in node]
    return node


def apply(patcher: Patcher) -> None:
    parse_resource = parsing.parse_resource

    def patched_parse_resource(resource_json: dict[str, Any], resources_map: Any) -> Any:
        parsed = parse_resource(resource_json, resources_map)
        if not parsed:
            return parsed
        resource_class, cleaned, resource_type = parsed
        properties = cleaned.get("Properties")
        if properties:
            account_id, region_name = resources_map._account_id, resources_map._region_name
            cleaned = {**cleaned, "Properties": resolve_all(properties, account_id, region_name)}
        return resource_class, cleaned, resource_type

    patcher.replace(parsing, "parse_resource", patched_parse_resource)
