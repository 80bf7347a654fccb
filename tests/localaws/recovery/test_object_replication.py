"""S3 object replication: copies after the lag, statuses, filters, KMS, delete markers, outages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.services.dynamodb import global_tables
from localaws.services.s3 import object_replication

from ..support import Clients, emulated

SOURCE, EAST2, WEST2 = "uploads-east1", "uploads-east2", "uploads-west2"
ROLE = "arn:aws:iam::123456789012:role/replication"
LAG = global_tables.DEFAULT_LAG_S


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    CLOCK.reset()
    FAULTS.reset()
    yield
    CLOCK.reset()
    FAULTS.reset()


def _bucket(client: Clients, name: str, region: str) -> None:
    s3 = client("s3", region)
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def _rule(destination: str, priority: int = 1, **extra: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ID": f"to-{destination}",
        "Priority": priority,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }
    rule.update(extra)
    return rule


def _replicate(client: Clients, *rules: dict[str, Any]) -> Any:
    """Source in us-east-1, destinations in us-east-2 and us-west-2; returns the source client."""
    _bucket(client, SOURCE, "us-east-1")
    _bucket(client, EAST2, "us-east-2")
    _bucket(client, WEST2, "us-west-2")
    s3 = client("s3")
    s3.put_bucket_replication(
        Bucket=SOURCE, ReplicationConfiguration={"Role": ROLE, "Rules": list(rules or [_rule(EAST2)])}
    )
    return s3


def _status(s3: Any, bucket: str, key: str) -> str | None:
    found: str | None = s3.head_object(Bucket=bucket, Key=key).get("ReplicationStatus")
    return found


def _keys(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_a_put_is_pending_then_copied_with_its_body_and_metadata_after_the_lag() -> None:
    with emulated() as client:
        s3 = _replicate(client)
        put = s3.put_object(
            Bucket=SOURCE,
            Key="a/receipt.pdf",
            Body=b"pdf",
            ContentType="application/pdf",
            Metadata={"payment": "p1"},
        )
        assert _status(s3, SOURCE, "a/receipt.pdf") == "PENDING"
        assert _keys(client("s3", "us-east-2"), EAST2) == []
        CLOCK.advance(LAG)
        assert _status(s3, SOURCE, "a/receipt.pdf") == "COMPLETED"
        replica = client("s3", "us-east-2").get_object(Bucket=EAST2, Key="a/receipt.pdf")
        assert replica["Body"].read() == b"pdf"
        assert replica["ReplicationStatus"] == "REPLICA"
        assert replica["ContentType"] == "application/pdf"
        assert replica["Metadata"] == {"payment": "p1"}
        assert replica["VersionId"] == put["VersionId"]
        assert replica["ETag"] == put["ETag"]


def test_moto_alone_never_copies_and_shows_no_status() -> None:
    with emulated(skip={"s3_object_replication"}) as client:
        s3 = _replicate(client)
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        CLOCK.advance(60)
        assert _status(s3, SOURCE, "k") is None
        assert _keys(client("s3", "us-east-2"), EAST2) == []


def test_copy_and_multipart_uploads_replicate_too() -> None:
    with emulated() as client:
        s3 = _replicate(client)
        s3.put_object(Bucket=SOURCE, Key="original", Body=b"one")
        s3.copy_object(Bucket=SOURCE, Key="copied", CopySource={"Bucket": SOURCE, "Key": "original"})
        upload = s3.create_multipart_upload(Bucket=SOURCE, Key="big")
        part = s3.upload_part(
            Bucket=SOURCE, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"b" * 10
        )
        s3.complete_multipart_upload(
            Bucket=SOURCE,
            Key="big",
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
        )
        CLOCK.advance(LAG)
        assert sorted(_keys(client("s3", "us-east-2"), EAST2)) == ["big", "copied", "original"]
        assert _status(s3, SOURCE, "big") == "COMPLETED"


def test_filters_select_by_prefix_and_tags_and_each_destination_gets_its_rule() -> None:
    tagged = {"And": {"Prefix": "docs/", "Tags": [{"Key": "dr", "Value": "yes"}]}}
    with emulated() as client:
        s3 = _replicate(client, _rule(EAST2, 1, Filter={"Prefix": "docs/"}), _rule(WEST2, 2, Filter=tagged))
        s3.put_object(Bucket=SOURCE, Key="docs/plain", Body=b"1")
        s3.put_object(Bucket=SOURCE, Key="docs/tagged", Body=b"2", Tagging="dr=yes")
        s3.put_object(Bucket=SOURCE, Key="other/tagged", Body=b"3", Tagging="dr=yes")
        CLOCK.advance(LAG)
        assert sorted(_keys(client("s3", "us-east-2"), EAST2)) == ["docs/plain", "docs/tagged"]
        west = client("s3", "us-west-2")
        assert _keys(west, WEST2) == ["docs/tagged"]
        assert west.get_object_tagging(Bucket=WEST2, Key="docs/tagged")["TagSet"] == [
            {"Key": "dr", "Value": "yes"}
        ]
        assert _status(s3, SOURCE, "other/tagged") is None  # not eligible: no header at all


def test_a_disabled_rule_copies_nothing() -> None:
    with emulated() as client:
        s3 = _replicate(client, _rule(EAST2, Status="Disabled"))
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        CLOCK.advance(LAG)
        assert _keys(client("s3", "us-east-2"), EAST2) == []


def test_sse_kms_objects_need_the_opt_in_and_take_the_replica_key() -> None:
    kms = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    replica_key = "arn:aws:kms:us-east-2:123456789012:key/replica"
    destination = {
        "Bucket": f"arn:aws:s3:::{EAST2}",
        "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key},
    }
    with emulated() as client:
        s3 = _replicate(
            client, _rule(EAST2, SourceSelectionCriteria=kms, Destination=destination), _rule(WEST2, 2)
        )
        s3.put_object(
            Bucket=SOURCE, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="source-key"
        )
        CLOCK.advance(LAG)
        replica = client("s3", "us-east-2").head_object(Bucket=EAST2, Key="k")
        assert replica["ServerSideEncryption"] == "aws:kms"
        assert replica["SSEKMSKeyId"] == replica_key
        assert _keys(client("s3", "us-west-2"), WEST2) == []  # that rule did not opt in


def test_the_destination_storage_class_applies() -> None:
    destination = {"Bucket": f"arn:aws:s3:::{EAST2}", "StorageClass": "STANDARD_IA"}
    with emulated() as client:
        s3 = _replicate(client, _rule(EAST2, Destination=destination))
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        CLOCK.advance(LAG)
        assert client("s3", "us-east-2").head_object(Bucket=EAST2, Key="k")["StorageClass"] == "STANDARD_IA"


def test_an_outage_holds_the_copy_pending_until_the_region_is_restored() -> None:
    with emulated() as client:
        s3 = _replicate(client)
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        FAULTS.isolate("us-east-2")
        CLOCK.advance(60)
        assert _status(s3, SOURCE, "k") == "PENDING"
        assert _keys(client("s3", "us-east-2"), EAST2) == []
        FAULTS.restore("us-east-2")
        assert _status(s3, SOURCE, "k") == "COMPLETED"
        assert _keys(client("s3", "us-east-2"), EAST2) == ["k"]


def test_a_replica_is_not_replicated_again() -> None:
    with emulated() as client:
        s3 = _replicate(client)
        east = client("s3", "us-east-2")
        east.put_bucket_replication(
            Bucket=EAST2, ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(WEST2)]}
        )
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        CLOCK.advance(LAG * 3)
        assert _keys(east, EAST2) == ["k"]
        assert _keys(client("s3", "us-west-2"), WEST2) == []


def test_delete_markers_follow_delete_marker_replication() -> None:
    with emulated() as client:
        s3 = _replicate(
            client, _rule(EAST2, 1, DeleteMarkerReplication={"Status": "Enabled"}), _rule(WEST2, 2)
        )
        put = s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        CLOCK.advance(LAG)
        s3.delete_object(Bucket=SOURCE, Key="k")
        CLOCK.advance(LAG)
        assert _keys(client("s3", "us-east-2"), EAST2) == []  # the marker hides it there
        assert _keys(client("s3", "us-west-2"), WEST2) == ["k"]  # no marker replication
        s3.delete_object(Bucket=SOURCE, Key="k", VersionId=put["VersionId"])  # by ID: source only
        CLOCK.advance(LAG)
        versions = client("s3", "us-west-2").list_object_versions(Bucket=WEST2).get("Versions", [])
        assert [v["VersionId"] for v in versions] == [put["VersionId"]]


def test_a_missing_destination_fails_the_object() -> None:
    with emulated() as client:  # no strict rules here: S3001 would refuse this configuration
        s3 = _replicate(client, _rule(EAST2), _rule("gone-bucket", 2))
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        CLOCK.advance(LAG)
        assert _status(s3, SOURCE, "k") == "FAILED"


def test_flush_skips_the_lag() -> None:
    with emulated() as client:
        s3 = _replicate(client)
        s3.put_object(Bucket=SOURCE, Key="k", Body=b"x")
        assert object_replication.flush_object_replication() == 1
        assert _status(s3, SOURCE, "k") == "COMPLETED"


def test_select_targets_prefers_the_highest_priority_rule_per_destination() -> None:
    low = _rule(EAST2, 1, Filter={"Prefix": ""})
    high = _rule(
        EAST2,
        5,
        Filter={"Prefix": "x"},
        Destination={"Bucket": f"arn:aws:s3:::{EAST2}", "StorageClass": "GLACIER"},
    )
    targets = object_replication.select_targets([low, high], "x1", {})
    assert [(t.bucket, t.storage_class) for t in targets] == [(EAST2, "GLACIER")]
    v1 = {"Status": "Enabled", "Prefix": "", "Destination": {"Bucket": f"arn:aws:s3:::{EAST2}"}}
    assert object_replication.select_targets([v1], "k", {}, delete_marker=True)  # V1 replicates markers
    tag_rule = _rule(
        EAST2, Filter={"Tag": {"Key": "a", "Value": "b"}}, DeleteMarkerReplication={"Status": "Enabled"}
    )
    assert object_replication.select_targets([tag_rule], "k", {"a": "b"}, delete_marker=True) == []
