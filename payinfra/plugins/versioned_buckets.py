"""Empty the project's buckets (every version and delete marker) before their stacks are deleted.

CloudFormation cannot delete a non-empty bucket, and a versioned bucket keeps every version and
delete marker after a plain "delete all objects": stack deletion would fail on the uploads
buckets (and their replicas) and on the ALB log buckets. Unfinished multipart uploads are aborted
too, since they also keep a bucket from being deleted.
https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html

The ALB log bucket keeps receiving objects while it is emptied: the load balancer publishes a log
file per node every 5 minutes, and the uploads bucket's server access logs (delivered to the same
bucket, best effort, with a delay) keep coming as long as logging is on. So, per region:
1. stop delivery: ALB attribute `access_logs.s3.enabled=false`, and the uploads bucket's server
   access logging off (the emptying below would itself produce access-log records);
   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerLogs.html
2. empty the uploads bucket;
3. empty the log bucket and delete it, retrying both until a deadline while files that were
   already in flight arrive. Once it is deleted nothing can land in it, and CloudFormation's own
   deletion of the bucket then finds it gone, which it treats as done.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.api import Hook, Plugin, PluginContext, PluginReporter
from payinfra.plugins.aws import error_code
from payinfra.plugins.errors import PluginError
from payinfra.plugins.outputs import StackOutputs
from payinfra.topology.outputs import RegionalOutput

BATCH = 1000  # DeleteObjects limit
# ALB log files are published every 5 minutes; S3 server access logs usually within a few hours
# but mostly minutes. The drain is bounded by the smaller of this and --wait-timeout.
LOG_DRAIN_LIMIT_S = 900.0


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


def stop_alb_access_logs(elbv2: Any, alb_arn: str, region: str, out: PluginReporter) -> None:
    """`access_logs.s3.enabled=false` on the ALB, so no new log file is published to the bucket."""
    try:
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=alb_arn)["Attributes"]
    except ClientError as err:
        if error_code(err) == "LoadBalancerNotFound":
            out.unchanged(f"load balancer in {region} no longer exists: no access logs to stop")
            return
        raise
    enabled = {a["Key"]: a["Value"] for a in attributes}.get("access_logs.s3.enabled", "false")
    if enabled.lower() != "true":
        out.unchanged(f"ALB access logs in {region} are already off")
        return
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=alb_arn, Attributes=[{"Key": "access_logs.s3.enabled", "Value": "false"}]
    )
    out.changed(f"ALB access logs in {region} turned off (no new log files while the bucket is emptied)")


def stop_server_access_logs(s3: Any, bucket: str, region: str, out: PluginReporter) -> None:
    """Turn off the bucket's server access logging (its records go to the log bucket)."""
    try:
        current = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    except ClientError as err:
        if error_code(err) == "NoSuchBucket":
            return
        raise
    if not current:
        out.unchanged(f"{bucket} ({region}): server access logging already off")
        return
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    out.changed(f"{bucket} ({region}): server access logging turned off")


class VersionedBucketsPlugin(Plugin):
    name = "versioned-buckets"
    summary = (
        "before destroy, stop log delivery, then empty every project bucket (all versions, delete "
        "markers, uploads) and delete the ALB log bucket once nothing more arrives"
    )
    hooks = (Hook.BEFORE_DESTROY,)
    destroys_data = True

    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        for node in pc.topology.regions:
            outputs = pc.existing(node)
            if outputs is None:
                out.unchanged(f"stack {node.stack.name} is gone: no buckets to empty in {node.name}")
                continue
            self.empty_region(pc, outputs, node.name, out)

    def empty_region(
        self, pc: PluginContext, outputs: StackOutputs, region: str, out: PluginReporter
    ) -> None:
        """Stop log delivery, empty the uploads bucket, drain and delete the log bucket of one
        region's stack (`outputs`); also used to retire a region removed from the context."""
        s3 = pc.client("s3", region)
        uploads = outputs.optional(RegionalOutput.UPLOADS_BUCKET_NAME)
        logs = outputs.optional(RegionalOutput.ALB_LOGS_BUCKET_NAME)
        alb = outputs.optional(RegionalOutput.LOAD_BALANCER_ARN)
        if alb:
            stop_alb_access_logs(pc.client("elbv2", region), alb, region, out)
        if uploads:
            stop_server_access_logs(s3, uploads, region, out)
            self._empty(s3, uploads, region, out)
        if logs:
            self._drain_and_delete(pc, s3, logs, region, out)

    @staticmethod
    def _empty(s3: Any, bucket: str, region: str, out: PluginReporter) -> bool:
        """Empty `bucket`; False when it no longer exists."""
        try:
            aborted = _abort_uploads(s3, bucket)
            deleted = empty_bucket(s3, bucket, out)
        except ClientError as err:
            if error_code(err) == "NoSuchBucket":
                out.unchanged(f"{bucket} ({region}) no longer exists")
                return False
            raise
        if deleted or aborted:
            out.changed(
                f"{bucket} ({region}): deleted {deleted} object version(s)/delete marker(s)"
                + (f", aborted {aborted} multipart upload(s)" if aborted else "")
            )
        else:
            out.unchanged(f"{bucket} ({region}) is already empty")
        return True

    def _drain_and_delete(
        self, pc: PluginContext, s3: Any, bucket: str, region: str, out: PluginReporter
    ) -> None:
        """Empty then delete the log bucket, again and again until files in flight stop arriving."""
        limit_s = min(pc.wait_timeout_s, LOG_DRAIN_LIMIT_S)
        deadline = pc.clock.now() + limit_s
        attempt = 0
        while True:
            attempt += 1
            if not self._empty(s3, bucket, region, out):
                return
            try:
                s3.delete_bucket(Bucket=bucket)
            except ClientError as err:
                code = error_code(err)
                if code == "NoSuchBucket":
                    out.unchanged(f"{bucket} ({region}) no longer exists")
                    return
                if code != "BucketNotEmpty":
                    raise
            else:
                out.changed(
                    f"{bucket} ({region}) deleted after {attempt} attempt(s): no more log files can land"
                )
                return
            if pc.clock.now() >= deadline:
                raise PluginError(
                    f"{bucket} ({region}) still receives objects after {limit_s:.0f}s with log delivery "
                    "turned off; run destroy again later (delayed S3 server access logs can take hours)"
                )
            out.progress(f"{bucket} ({region}): new log files arrived while emptying; retrying")
            pc.clock.sleep(min(pc.poll_interval_s, max(deadline - pc.clock.now(), 0.0)))
