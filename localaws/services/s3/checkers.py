"""S3 buckets and bucket policies described through the S3 API: encryption, versioning, public
access block, logging and ownership controls."""

from __future__ import annotations

import json
from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers, absent_unless

SERVICE = ServiceCheckers("s3")


@SERVICE.describes("AWS::S3::Bucket")
def bucket(c: Clients, pid: str) -> str:
    c("s3").head_bucket(Bucket=pid)
    return f"versioning {c('s3').get_bucket_versioning(Bucket=pid).get('Status', 'off')}"


@SERVICE.describes("AWS::S3::BucketPolicy")
def bucket_policy(c: Clients, pid: str) -> str:
    policy = json.loads(c("s3").get_bucket_policy(Bucket=pid)["Policy"])
    return f"{len(policy.get('Statement', []))} statements"


_S3_SSE = "BucketEncryption.ServerSideEncryptionConfiguration.*"
_S3_PAB = "PublicAccessBlockConfiguration"


@SERVICE.reads_back(
    "AWS::S3::Bucket",
    CFN_DOCS + "aws-resource-s3-bucket.html",
    Prop(
        f"{_S3_SSE}.ServerSideEncryptionByDefault.SSEAlgorithm",
        "Rules.*.ApplyServerSideEncryptionByDefault.SSEAlgorithm",
    ),
    Prop(
        f"{_S3_SSE}.ServerSideEncryptionByDefault.KMSMasterKeyID",
        "Rules.*.ApplyServerSideEncryptionByDefault.KMSMasterKeyID",
        "key",
    ),
    Prop(f"{_S3_SSE}.BucketKeyEnabled", "Rules.*.BucketKeyEnabled"),
    Prop("VersioningConfiguration.Status", "Versioning.Status"),
    *(
        Prop(f"{_S3_PAB}.{flag}", f"{_S3_PAB}.{flag}")
        for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    ),
    Prop("LoggingConfiguration.DestinationBucketName", "LoggingEnabled.TargetBucket"),
    Prop("LoggingConfiguration.LogFilePrefix", "LoggingEnabled.TargetPrefix"),
    Prop("OwnershipControls.Rules.*.ObjectOwnership", "OwnershipControls.Rules.*.ObjectOwnership"),
)
def _bucket_view(c: Clients, pid: str) -> dict[str, Any]:
    s3 = c("s3")
    encryption = absent_unless(
        lambda: s3.get_bucket_encryption(Bucket=pid), "ServerSideEncryptionConfigurationNotFoundError"
    )
    return {
        **encryption.get("ServerSideEncryptionConfiguration", {}),
        "Versioning": s3.get_bucket_versioning(Bucket=pid),
        **absent_unless(
            lambda: s3.get_public_access_block(Bucket=pid), "NoSuchPublicAccessBlockConfiguration"
        ),
        **s3.get_bucket_logging(Bucket=pid),
        **absent_unless(
            lambda: s3.get_bucket_ownership_controls(Bucket=pid), "OwnershipControlsNotFoundError"
        ),
    }
