"""Secrets Manager secrets, their target attachments and rotation schedules, described through the
Secrets Manager API; a secret scheduled for deletion counts as missing.

An attachment's and a rotation schedule's physical ID is the secret's ARN: both live in the secret.
"""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers

SERVICE = ServiceCheckers("secretsmanager")


@SERVICE.describes("AWS::SecretsManager::Secret")
def secret(c: Clients, pid: str) -> str:
    s = c("secretsmanager").describe_secret(SecretId=pid)
    if s.get("DeletedDate"):
        raise Missing(f"secret {pid} is scheduled for deletion")
    return str(s["Name"])


@SERVICE.describes("AWS::SecretsManager::SecretTargetAttachment")
def secret_attachment(c: Clients, pid: str) -> str:
    """The physical ID is the secret's ARN; the attachment lives in the secret (never read here)."""
    s = c("secretsmanager").describe_secret(SecretId=pid)
    if s.get("DeletedDate"):
        raise Missing(f"secret {pid} is scheduled for deletion")
    return f"target attached to {s['Name']}"


@SERVICE.describes("AWS::SecretsManager::RotationSchedule")
def rotation_schedule(c: Clients, pid: str) -> str:
    """The physical ID is the secret's ARN; a schedule exists while its rotation is enabled."""
    s = c("secretsmanager").describe_secret(SecretId=pid)
    if s.get("DeletedDate") or not s.get("RotationEnabled"):
        raise Missing(f"secret {pid} has no rotation enabled")
    return f"every {s.get('RotationRules', {}).get('AutomaticallyAfterDays', '?')} days"


@SERVICE.reads_back(
    "AWS::SecretsManager::Secret",
    CFN_DOCS + "aws-resource-secretsmanager-secret.html",
    Prop("KmsKeyId", "KmsKeyId", "key"),
    Prop("ReplicaRegions.*.Region", "ReplicationStatus.*.Region", "set"),
    Prop("ReplicaRegions.*.KmsKeyId", "ReplicationStatus.*.KmsKeyId", "key"),
)
def _secret_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("secretsmanager").describe_secret(SecretId=pid)
    return result
