"""Recorded observations that a backend accepted a request but did not perform it.

Some backends (moto: see docs/local-aws.md) answer HTTP 200 to a request and then
do nothing, or store only part of it. AWS never does that for the calls concerned: a replica
appears in `DescribeTable` as soon as `UpdateTable` returns, and `GetBucketReplication` returns
what `PutBucketReplication` stored. When a plugin sees the difference right after its own write,
it records the observation as a tag on the resource concerned, so that

- a second run does not repeat a write the backend demonstrably ignores (idempotence), and
- `verify` reports the promise as "not performed by this backend" with the recorded reason,
  instead of "broken" (a real drift) or, worse, "holds".

This is detected behaviour, not a local-mode switch: against AWS no tag is ever written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from payinfra.plugins.aws import error_code

NOTE_TAG = "payinfra:not-performed-by-backend"
# S3 and DynamoDB tag values allow letters, digits, whitespace and + - = . _ : / @ (max 256).
_UNSAFE = re.compile(r"[^\w\s+\-=.:/@]")


def _safe(text: str) -> str:
    return _UNSAFE.sub(" ", text)[:256]


def stamped(text: str) -> str:
    return f"{text} observed {datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def read_table_note(ddb: Any, table_arn: str) -> str | None:
    tags = ddb.list_tags_of_resource(ResourceArn=table_arn).get("Tags", [])
    return next((t["Value"] for t in tags if t["Key"] == NOTE_TAG), None)


def write_table_note(ddb: Any, table_arn: str, text: str) -> None:
    ddb.tag_resource(ResourceArn=table_arn, Tags=[{"Key": NOTE_TAG, "Value": _safe(text)}])


def _bucket_tags(s3: Any, bucket: str) -> list[dict[str, str]]:
    try:
        return list(s3.get_bucket_tagging(Bucket=bucket).get("TagSet", []))
    except ClientError as err:
        if error_code(err) == "NoSuchTagSet":
            return []
        raise


def read_bucket_note(s3: Any, bucket: str) -> str | None:
    return next((t["Value"] for t in _bucket_tags(s3, bucket) if t["Key"] == NOTE_TAG), None)


def write_bucket_note(s3: Any, bucket: str, text: str | None) -> None:
    """Set (or with `None` remove) the note, keeping every other tag (PutBucketTagging replaces all)."""
    tags = [t for t in _bucket_tags(s3, bucket) if t["Key"] != NOTE_TAG]
    if text is not None:
        tags.append({"Key": NOTE_TAG, "Value": _safe(text)})
    if tags:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    else:
        s3.delete_bucket_tagging(Bucket=bucket)
