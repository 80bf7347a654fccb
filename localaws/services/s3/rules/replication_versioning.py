"""S3001: replication needs an existing, versioned destination and a versioned source.

S3 API Reference, PutBucketReplication (and the S3 User Guide's replication requirements):
both the source and the destination bucket must have versioning enabled, and the destination
must exist. S3 refuses otherwise with `InvalidRequest` ("Destination bucket must exist." /
"Destination bucket must have versioning enabled."). moto refuses an unversioned source only in
its HTTP layer and accepts any destination; here the S3 backend refuses all three, so every
caller (API or emulator code) sees what S3 answers. The messages are S3's own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import MissingBucket, S3Backend
from localaws.aws_errors import InvalidRequest
from localaws.patching import Patcher

ID = "S3001"
TITLE = "S3 replication needs versioning on the source and an existing, versioned destination"
DOC_URL = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html"
S3_ARN_PREFIX = "arn:aws:s3:::"
SOURCE_UNVERSIONED = "Versioning must be 'Enabled' on the bucket to apply a replication configuration"


def destination_problem(backend: S3Backend, destination_arn: str) -> str | None:
    """S3's refusal message for a destination bucket, or None when replication may target it."""
    name = destination_arn.removeprefix(S3_ARN_PREFIX)
    try:
        bucket = backend.get_bucket(name)
    except MissingBucket:
        return "Destination bucket must exist."
    if not bucket.is_versioned:
        return "Destination bucket must have versioning enabled."
    return None


def problem(backend: S3Backend, bucket_name: str, replication: dict[str, Any]) -> str | None:
    if not backend.get_bucket(bucket_name).is_versioned:
        return SOURCE_UNVERSIONED
    rules = replication.get("Rule") or []
    for rule in rules if isinstance(rules, list) else [rules]:
        found = destination_problem(backend, (rule.get("Destination") or {}).get("Bucket") or "")
        if found:
            return found
    return None


def _put(original: Callable[..., None]) -> Callable[..., None]:
    def put_bucket_replication(self: S3Backend, bucket_name: str, replication: dict[str, Any]) -> None:
        found = problem(self, bucket_name, replication)
        if found:
            raise InvalidRequest(found)
        original(self, bucket_name, replication)

    return put_bucket_replication


def apply(patcher: Patcher) -> None:
    patcher.replace(S3Backend, "put_bucket_replication", _put(S3Backend.put_bucket_replication))
