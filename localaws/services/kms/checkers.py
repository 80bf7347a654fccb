"""KMS keys and aliases described through the KMS API; a key pending deletion counts as missing."""

from __future__ import annotations

import json
from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers, one

SERVICE = ServiceCheckers("kms")


@SERVICE.describes("AWS::KMS::Key")
def kms_key(c: Clients, pid: str) -> str:
    k = c("kms").describe_key(KeyId=pid)["KeyMetadata"]
    if k["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
        raise Missing(f"key {pid} is {k['KeyState']}")
    json.loads(c("kms").get_key_policy(KeyId=pid, PolicyName="default")["Policy"])
    return f"{k['KeyState']}, rotation {c('kms').get_key_rotation_status(KeyId=pid)['KeyRotationEnabled']}"


@SERVICE.describes("AWS::KMS::Alias")
def kms_alias(c: Clients, pid: str) -> str:
    aliases = [a for page in c("kms").get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    a = one([a for a in aliases if a["AliasName"] == pid], "alias", pid)
    return f"-> {a.get('TargetKeyId')}"


@SERVICE.reads_back(
    "AWS::KMS::Key",
    CFN_DOCS + "aws-resource-kms-key.html",
    Prop("EnableKeyRotation", "KeyRotationEnabled"),
    Prop("Enabled", "Enabled"),
    Prop("KeySpec", "KeySpec"),
    Prop("KeyUsage", "KeyUsage"),
    Prop("MultiRegion", "MultiRegion"),
)
def _key_view(c: Clients, pid: str) -> dict[str, Any]:
    meta = dict(c("kms").describe_key(KeyId=pid)["KeyMetadata"])
    meta["KeyRotationEnabled"] = c("kms").get_key_rotation_status(KeyId=pid)["KeyRotationEnabled"]
    return meta


def _key_arn(c: Clients, pid: str) -> str:
    result: str = c("kms").describe_key(KeyId=pid)["KeyMetadata"]["Arn"]
    return result


SERVICE.reads_attribute("AWS::KMS::Key", "Arn", _key_arn)
SERVICE.reads_attribute("AWS::KMS::Key", "KeyId", lambda c, pid: pid)
