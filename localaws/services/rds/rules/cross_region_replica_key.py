"""RDS002: an encrypted cross-region read replica needs a KMS key of the destination region.

CreateDBInstanceReadReplica, `KmsKeyId`: for an encrypted replica in another region the caller
must name a KMS key of the destination region (keys are regional); an encrypted replica cannot
be made from an unencrypted source. moto copies the source's key ARN (a key of the source
region) or none at all. AWS answers these conflicts with InvalidParameterCombination (the code
it gives for a KMS key parameter that does not fit the replica).
"""

from __future__ import annotations

from typing import Any

from localaws._moto import DBInstance, RDSBackend
from localaws.aws_errors import InvalidParameterCombination
from localaws.patching import Patcher

from ._replica import source_region, wrap_replica_creation

ID = "RDS002"
TITLE = "an encrypted cross-region read replica needs a KMS key of the destination region"
DOC_URL = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html"


def _refuse(why: str) -> InvalidParameterCombination:
    return InvalidParameterCombination(f"{why} [{ID}, {DOC_URL}]")


def check(backend: RDSBackend, source: DBInstance, db_kwargs: dict[str, Any]) -> None:
    region = backend.region_name
    if source_region(db_kwargs["source_db_instance_identifier"], backend) == region:
        return
    key = db_kwargs.get("kms_key_id")
    if source.storage_encrypted and not key:
        raise _refuse(
            f"Source DB instance {source.db_instance_identifier} is encrypted: a read replica in "
            f"another region needs KmsKeyId, a KMS key of the destination region {region}"
        )
    if key and not source.storage_encrypted:
        raise _refuse(
            f"Cannot create an encrypted read replica (KmsKeyId {key}) of the unencrypted DB instance "
            f"{source.db_instance_identifier}"
        )
    if key and str(key).startswith("arn:") and str(key).split(":")[3] != region:
        raise _refuse(
            f"KmsKeyId {key} is a key of region {str(key).split(':')[3]}; a replica in {region} needs "
            f"a KMS key of {region} (KMS keys are regional)"
        )


def apply(patcher: Patcher) -> None:
    wrap_replica_creation(patcher, check)
