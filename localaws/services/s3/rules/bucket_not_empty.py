"""S3002: a bucket that still holds objects, versions or delete markers cannot be deleted.

S3 API Reference, DeleteBucket: all objects, including all object versions and delete markers,
must be deleted before the bucket itself can be deleted; S3 answers `BucketNotEmpty`. moto
already refuses the API call the same way (its bucket key store keeps every version and delete
marker), and the `s3_bucket` fix makes a stack deletion fail the same way (DELETE_FAILED). This
rule patches nothing: it documents the refusal, and its tests keep both paths honest.
"""

from __future__ import annotations

from localaws.patching import Patcher

ID = "S3002"
TITLE = "a bucket with objects, versions or delete markers cannot be deleted (BucketNotEmpty)"
DOC_URL = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html"


def apply(patcher: Patcher) -> None:
    """Nothing to patch: moto and the `s3_bucket` fix already refuse (see the module docstring)."""
