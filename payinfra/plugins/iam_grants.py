"""Does a role's identity policy grant some actions on a resource? (A deliberately small check.)

Used to decide whether the replication role already has what it needs on the secondary key
(granted by the template) or the plugin must grant it. It reads the role's inline and attached
policies and looks for `Allow` statements whose actions and resources match by wildcard.
Conditions are not evaluated (a conditional grant counts as a grant), Deny statements are not
subtracted: the check errs towards "already granted", and the key policy still has the last word.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

import yaml

from payinfra.plugins.errors import PluginError


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _document(raw: Any, where: str) -> dict[str, Any]:
    """IAM returns URL-encoded JSON on the wire (boto3 usually decodes it).

    A YAML flow mapping is accepted as well: moto 5.2.5 returns inline policies of roles created
    through CloudFormation as a Python dict's repr, which is valid YAML but not JSON.
    """
    if isinstance(raw, dict):
        return raw
    text = unquote(raw)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            document = None
    if not isinstance(document, dict):
        raise PluginError(f"{where}: the policy document is neither JSON nor a mapping: {text[:80]!r}")
    return document


def statement_allows(statement: dict[str, Any], action: str, resource: str) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = [a.lower() for a in _as_list(statement.get("Action"))]
    resources = _as_list(statement.get("Resource"))
    return any(fnmatchcase(action.lower(), a) for a in actions) and any(
        fnmatchcase(resource, r) for r in resources
    )


def document_allows(document: dict[str, Any], action: str, resource: str) -> bool:
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    return any(statement_allows(s, action, resource) for s in statements)


def role_documents(iam: Any, role_name: str) -> dict[str, dict[str, Any]]:
    """Policy name -> document for every inline and attached policy of the role."""
    documents: dict[str, dict[str, Any]] = {}
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=role_name):
        for name in page["PolicyNames"]:
            raw = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
            documents[name] = _document(raw, f"role {role_name} inline policy {name}")
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role_name):
        for attached in page["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            raw = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            documents[arn] = _document(raw, f"role {role_name} policy {arn}")
    return documents


def missing_actions(documents: dict[str, dict[str, Any]], actions: list[str], resource: str) -> list[str]:
    return [a for a in actions if not any(document_allows(d, a, resource) for d in documents.values())]


def role_name_from_arn(arn: str) -> str:
    """`arn:aws:iam::123:role/path/name` -> `name` (IAM APIs take the bare name)."""
    return arn.rsplit("/", 1)[-1]
