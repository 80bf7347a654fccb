"""Empty the project's buckets (every version and delete marker) before their stacks are deleted.

CloudFormation cannot delete a non-empty bucket, and a versioned bucket keeps every version and
delete marker after a plain "delete all objects": stack deletion would fail on the uploads
buckets (and their replicas) and on the ALB log buckets. Unfinished multipart uploads are aborted
too, since they also keep a bucket from being deleted.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import REGIONAL_ROLES, Hook, Plugin, PluginContext, PluginReporter
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError

BUCKET_OUTPUTS = ("UploadsBucketName", "AlbLogsBucketName")
BATCH = 1000  # DeleteObjects limit


def _versions(s3: Any, bucket: str) -> list[dict[str, str]]:
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    return found


def _abort_uploads(s3: Any, bucket: str) -> int:
    aborted = 0
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
            aborted += 1
    return aborted


def empty_bucket(s3: Any, bucket: str, out: PluginReporter) -> int:
    """Delete every version and delete marker; returns how many were deleted."""
    objects = _versions(s3, bucket)
    for start in range(0, len(objects), BATCH):
        batch = objects[start : start + BATCH]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = answer.get("Errors", [])
        if errors:
            first = errors[0]
            raise PluginError(
                f"{bucket}: {len(errors)} object version(s) could not be deleted, e.g. "
                f"{first.get('Key')} ({first.get('Code')}: {first.get('Message')}); run destroy again"
            )
        if len(objects) > BATCH:
            out.progress(f"{bucket}: deleted {start + len(batch)} of {len(objects)} versions")
    return len(objects)


class VersionedBucketsPlugin(Plugin):
    name = "versioned-buckets"
    summary = "before destroy, empty every project bucket (all versions, delete markers, uploads)"
    hooks = (Hook.BEFORE_DESTROY,)

    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        for role in REGIONAL_ROLES:
            region = pc.stacks[role].region
            outputs = pc.existing(role)
            if outputs is None:
                out.unchanged(f"stack {pc.stacks[role].name} is gone: no buckets to empty in {region}")
                continue
            for bucket in filter(None, (outputs.optional(key) for key in BUCKET_OUTPUTS)):
                self._empty(pc.client("s3", region), bucket, region, out)

    @staticmethod
    def _empty(s3: Any, bucket: str, region: str, out: PluginReporter) -> None:
        try:
            aborted = _abort_uploads(s3, bucket)
            deleted = empty_bucket(s3, bucket, out)
        except ClientError as err:
            if error_code(err) == "NoSuchBucket":
                out.unchanged(f"{bucket} ({region}) no longer exists")
                return
            raise
        if deleted or aborted:
            out.changed(
                f"{bucket} ({region}): deleted {deleted} object version(s)/delete marker(s)"
                + (f", aborted {aborted} multipart upload(s)" if aborted else "")
            )
        else:
            out.unchanged(f"{bucket} ({region}) is already empty")
