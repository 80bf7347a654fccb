"""StopReplicationToReplica: promote a replica secret to a standalone secret in its region.

moto 5.2.5 lacks the operation (NotImplemented), so a failover could not promote the standby's
copy of a secret. Called in the replica's region, it makes the replica a standalone secret
with the same name and value, the replica's KMS key, and the primary's ARN with the region
changed (no PrimaryRegion any more), and the primary's ReplicationStatus no longer lists that
region. The primary's region is not asked (its state is edited in place), so the promotion
works while that region is down, the reason to promote. Calling it on a secret that is no
replica is refused (InvalidRequestException).
https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html
https://docs.aws.amazon.com/secretsmanager/latest/userguide/standalone-secret.html
"""

from __future__ import annotations

import copy
import importlib
import json
from typing import Any

from localaws._moto import JsonRESTError, ReplicaSecret, secretsmanager_backends
from localaws.patching import Patcher


def promote(backend: Any, secret_id: str) -> str:
    """Make the replica `secret_id` of `backend`'s region standalone; its ARN."""
    replica = backend.describe_secret(secret_id)
    if not isinstance(replica, ReplicaSecret):
        raise JsonRESTError("InvalidRequestException", f"Secret {secret_id} is not a replica secret.")
    primary = replica.source
    standalone = copy.copy(primary)
    standalone.versions = copy.deepcopy(primary.versions)
    standalone.tags = copy.deepcopy(primary.tags)
    standalone.arn, standalone.region, standalone.replicas = replica.arn, replica.region, []
    standalone.kms_key_id = replica.config.get("KmsKeyId")
    dict.pop(backend.secrets, replica.arn)
    backend.secrets[standalone.arn] = standalone
    primary.replicas = [r for r in primary.replicas if r is not replica]
    return str(standalone.arn)


def stop_replication_to_replica(self: Any) -> str:
    return json.dumps({"ARN": promote(self.backend, self._get_param("SecretId"))})


def _response_class() -> type[Any]:
    backend_module = secretsmanager_backends.backend.__module__
    urls = importlib.import_module(backend_module.rsplit(".", 1)[0] + ".urls")
    owner: type[Any] = next(iter(urls.url_paths.values())).__self__
    return owner


def apply(patcher: Patcher) -> None:
    patcher.replace(_response_class(), "stop_replication_to_replica", stop_replication_to_replica)
