"""SM001: a secret replica whose KMS key is missing in its region ends `Failed`, not `InSync`.

Secrets Manager accepts ReplicateSecretToRegions (and CreateSecret `AddReplicaRegions`) and
replicates asynchronously; "The KMS key is disabled or not found" is a documented cause of a
failed replication (User Guide, "Troubleshoot AWS Secrets Manager replication"), and the replica
then reports `Status: Failed` with a `StatusMessage` (API Reference, ReplicationStatusType).
When no usable version was replicated, the replica region holds no secret. moto marks every
replica `InSync` whatever the key, and reports the default key in its status. Here the key is
resolved in the replica's region (key ID, key ARN, alias or alias ARN; a key ARN of another
region never resolves): a missing or not-enabled key gives a `Failed` replica with no secret in
that region, and an `InSync` replica reports the key it was asked to use. Nothing is refused:
callers (`verify`) must read the status.
"""

from __future__ import annotations

from collections.abc import Callable

from localaws._moto import FakeSecret, ReplicaSecret, kms_backends
from localaws.patching import Patcher

ID = "SM001"
TITLE = "a secret replica whose KMS key does not exist (or is not enabled) in its region ends Failed"
DOC_URL = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/replicate-secrets_troubleshoot.html"
STATUS_URL = "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicationStatusType.html"


def key_problem(account_id: str, region: str, key_id: str | None) -> str | None:
    """Why `key_id` cannot encrypt a replica in `region`, or None when it can (or is the default)."""
    if not key_id or key_id in {"alias/aws/secretsmanager"}:
        return None
    if key_id.startswith("arn:") and key_id.split(":")[3] != region:
        return f"the KMS key {key_id} is in region {key_id.split(':')[3]}, not in {region}"
    backend = kms_backends[account_id][region]
    try:
        key = backend.describe_key(key_id)
    except Exception:
        return f"the KMS key {key_id} was not found in {region}"
    if key.key_state != "Enabled":
        return f"the KMS key {key_id} is {key.key_state} in {region}"
    return None


def _create_replicas(original: Callable[..., list[ReplicaSecret]]) -> Callable[..., list[ReplicaSecret]]:
    def create_replicas(
        self: FakeSecret, replica_regions: list[dict[str, str]], force_overwrite: bool
    ) -> list[ReplicaSecret]:
        usable: list[dict[str, str]] = []
        failed: dict[str, ReplicaSecret] = {}
        for config in replica_regions or []:
            problem = key_problem(self.account_id, config["Region"], config.get("KmsKeyId"))
            if problem and config["Region"] != self.region:
                message = (
                    f"Replication failed: {problem}. The KMS key is disabled or not found [{ID}, {DOC_URL}]"
                )
                failed[config["Region"]] = ReplicaSecret(self, config["Region"], "Failed", message)
                failed[config["Region"]].config["KmsKeyId"] = config["KmsKeyId"]
            else:
                usable.append(config)
        created = iter(original(self, usable, force_overwrite))
        replicas: list[ReplicaSecret] = []
        for config in replica_regions or []:
            if config["Region"] in failed:
                replicas.append(failed[config["Region"]])
                continue
            replica = next(created)
            if config.get("KmsKeyId") and replica.status == "InSync":
                replica.config["KmsKeyId"] = config["KmsKeyId"]
            replicas.append(replica)
        return replicas

    return create_replicas


def apply(patcher: Patcher) -> None:
    patcher.replace(FakeSecret, "create_replicas", _create_replicas(FakeSecret.create_replicas))
