"""s3_replication fix: GetBucketReplication returns what was put.

What S3 refuses (unversioned or missing buckets) is rule S3001: tests/localaws/services/s3/test_rules.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from localaws import LocalAws

from ...support import emulated

ON_OFF = pytest.mark.parametrize("fixed", [True, False])
ROLE = "arn:aws:iam::123456789012:role/replication"

# Every V2 field the project sends, plus filter forms moto's renderer flattened to an empty prefix
# (an And with a single tag must still read back as a one-item list).
CONFIGURATION: dict[str, Any] = {
    "Role": ROLE,
    "Rules": [
        {
            "ID": "everything",
            "Priority": 1,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {
                "Bucket": "arn:aws:s3:::destination",
                "EncryptionConfiguration": {
                    "ReplicaKmsKeyID": "arn:aws:kms:us-east-2:123456789012:key/replica"
                },
                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
            },
        },
        {
            "ID": "tagged-reports",
            "Priority": 2,
            "Status": "Disabled",
            "Filter": {"And": {"Prefix": "reports/", "Tags": [{"Key": "class", "Value": "audit"}]}},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::destination", "StorageClass": "STANDARD_IA"},
        },
        {
            "ID": "one-tag",
            "Priority": 3,
            "Status": "Enabled",
            "Filter": {"Tag": {"Key": "replicate", "Value": "yes"}},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::destination"},
        },
    ],
}


def _buckets(s3: Any, *, source_versioned: bool = True, destination: str | None = "Enabled") -> None:
    s3.create_bucket(Bucket="source")
    if source_versioned:
        s3.put_bucket_versioning(Bucket="source", VersioningConfiguration={"Status": "Enabled"})
    if destination is not None:
        s3.create_bucket(Bucket="destination")
        if destination:
            s3.put_bucket_versioning(Bucket="destination", VersioningConfiguration={"Status": destination})


def _put(s3: Any, configuration: dict[str, Any] = CONFIGURATION) -> None:
    s3.put_bucket_replication(Bucket="source", ReplicationConfiguration=configuration)


@ON_OFF
def test_the_configuration_reads_back_as_it_was_put_through_the_endpoint(fixed: bool) -> None:
    with LocalAws(skip_fixes=set() if fixed else {"s3_replication"}) as aws:
        s3 = aws.client("s3")
        _buckets(s3)
        _put(s3)
        stored = s3.get_bucket_replication(Bucket="source")["ReplicationConfiguration"]
    assert (stored == CONFIGURATION) is fixed
    first = stored["Rules"][0]
    if not fixed:  # what moto 5.2.5 renders on its own (local-aws.md)
        assert first["DeleteMarkerReplication"] == {"Status": "Disabled"}
        assert "SourceSelectionCriteria" not in first
        assert stored["Rules"][1]["Filter"] == {"Prefix": ""}


def test_a_replaced_configuration_reads_back_as_the_new_one() -> None:
    smaller = {"Role": ROLE, "Rules": [CONFIGURATION["Rules"][2]]}
    with emulated() as client:
        s3 = client("s3")
        _buckets(s3)
        _put(s3)
        _put(s3, smaller)
        assert s3.get_bucket_replication(Bucket="source")["ReplicationConfiguration"] == smaller
