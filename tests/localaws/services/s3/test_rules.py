"""S3001 (replication needs versioned buckets and an existing destination) and S3002 (BucketNotEmpty)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from ...rules.support import STRICT_OR_NOT, stack_outcome, strict, strict_unless

ROLE = "arn:aws:iam::123456789012:role/replication"
CONFIGURATION = {
    "Role": ROLE,
    "Rules": [
        {
            "ID": "all",
            "Priority": 1,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": "arn:aws:s3:::destination"},
        }
    ],
}


def _buckets(s3: Any, *, source: str = "Enabled", destination: str | None = "Enabled") -> None:
    s3.create_bucket(Bucket="source")
    if source:
        s3.put_bucket_versioning(Bucket="source", VersioningConfiguration={"Status": source})
    if destination is not None:
        s3.create_bucket(Bucket="destination")
        if destination:
            s3.put_bucket_versioning(Bucket="destination", VersioningConfiguration={"Status": destination})


def _put(s3: Any) -> None:
    s3.put_bucket_replication(Bucket="source", ReplicationConfiguration=CONFIGURATION)


def _refused_with(s3: Any, message: str) -> None:
    with pytest.raises(ClientError) as raised:
        _put(s3)
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == ("InvalidRequest", message)
    with pytest.raises(ClientError, match="ReplicationConfigurationNotFoundError"):
        s3.get_bucket_replication(Bucket="source")


# -- S3001 ------------------------------------------------------------------------------------------
@STRICT_OR_NOT
@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (None, "Destination bucket must exist."),
        ("", "Destination bucket must have versioning enabled."),
        ("Suspended", "Destination bucket must have versioning enabled."),
    ],
)
def test_a_missing_or_unversioned_destination_is_refused(
    is_strict: bool, destination: str | None, message: str
) -> None:
    with strict_unless(is_strict, "S3001") as client:
        s3 = client("s3")
        _buckets(s3, destination=destination)
        if not is_strict:
            _put(s3)  # moto alone accepts a rule that points nowhere, or at an unversioned bucket
            return
        _refused_with(s3, message)


@pytest.mark.parametrize("source", ["", "Suspended"])
def test_an_unversioned_source_is_refused(source: str) -> None:
    """moto's HTTP layer already refuses this; the rule refuses it in the backend as well."""
    with strict() as client:
        s3 = client("s3")
        _buckets(s3, source=source)
        _refused_with(s3, "Versioning must be 'Enabled' on the bucket to apply a replication configuration")


def test_versioned_source_and_destination_are_accepted() -> None:
    with strict() as client:
        s3 = client("s3")
        _buckets(s3)
        _put(s3)
        assert (
            s3.get_bucket_replication(Bucket="source")["ReplicationConfiguration"]["Rules"][0]["ID"] == "all"
        )


# -- S3002 (moto and the s3_bucket fix already refuse; the rule patches nothing) ---------------------
@pytest.mark.parametrize("versioned", [False, True])
def test_deleting_a_bucket_with_objects_versions_or_delete_markers_is_refused(versioned: bool) -> None:
    with strict() as client:
        s3 = client("s3")
        s3.create_bucket(Bucket="full")
        if versioned:
            s3.put_bucket_versioning(Bucket="full", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="full", Key="k", Body=b"x")
        if versioned:
            s3.delete_object(Bucket="full", Key="k")  # leaves the version and a delete marker
            assert "Contents" not in s3.list_objects_v2(Bucket="full")
        with pytest.raises(ClientError) as raised:
            s3.delete_bucket(Bucket="full")
        assert raised.value.response["Error"]["Code"] == "BucketNotEmpty"


def test_deleting_an_emptied_bucket_is_accepted() -> None:
    with strict() as client:
        s3 = client("s3")
        s3.create_bucket(Bucket="full")
        s3.put_bucket_versioning(Bucket="full", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="full", Key="k", Body=b"x")
        s3.delete_object(Bucket="full", Key="k")
        versions = s3.list_object_versions(Bucket="full")
        for entry in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            s3.delete_object(Bucket="full", Key=entry["Key"], VersionId=entry["VersionId"])
        s3.delete_bucket(Bucket="full")
        assert s3.list_buckets()["Buckets"] == []


def test_a_stack_whose_versioned_bucket_holds_a_delete_marker_fails_to_delete() -> None:
    template = {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": "stack-bucket",
                    "VersioningConfiguration": {"Status": "Enabled"},
                },
            }
        }
    }
    with strict() as client:
        assert stack_outcome(client, "s3", template)[0] == "CREATE_COMPLETE"
        s3, cfn = client("s3"), client("cloudformation")
        s3.put_object(Bucket="stack-bucket", Key="k", Body=b"x")
        s3.delete_object(Bucket="stack-bucket", Key="k")
        cfn.delete_stack(StackName="s3")
        stack = cfn.describe_stacks(StackName="s3")["Stacks"][0]
        assert stack["StackStatus"] == "DELETE_FAILED"
        assert "BucketNotEmpty" in stack.get("StackStatusReason", "") or any(
            "BucketNotEmpty" in e.get("ResourceStatusReason", "")
            for e in cfn.describe_stack_events(StackName="s3")["StackEvents"]
        )


# -- S3003 ------------------------------------------------------------------------------------------
def _rule(rule_id: str, destination: str, **fields: Any) -> dict[str, Any]:
    return {
        "ID": rule_id,
        "Status": "Enabled",
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
        **fields,
    }


V2 = {"Filter": {"Prefix": ""}, "DeleteMarkerReplication": {"Status": "Enabled"}}


def _two_destinations(s3: Any) -> None:
    _buckets(s3)
    s3.create_bucket(Bucket="third")
    s3.put_bucket_versioning(Bucket="third", VersioningConfiguration={"Status": "Enabled"})


@STRICT_OR_NOT
@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (
            [_rule("a", "destination", Priority=1, Filter={"Prefix": ""})],
            "DeleteMarkerReplication must be specified for this version",
        ),
        (
            [_rule("a", "destination", Prefix="", DeleteMarkerReplication={"Status": "Enabled"})],
            "DeleteMarkerReplication cannot be used for this version",
        ),
        (
            [_rule("a", "destination", Prefix="logs/"), _rule("b", "third", Prefix="data/")],
            "Number of distinct destination bucket ARNs cannot exceed 1",
        ),
        (
            [_rule("a", "destination", Priority=1, **V2), _rule("b", "third", Priority=1, **V2)],
            "Priority 1 is used by rules 'a' and 'b'",
        ),
    ],
    ids=["v2-without-delete-markers", "v1-with-delete-markers", "v1-two-destinations", "same-priority"],
)
def test_rules_s3_refuses_are_refused(is_strict: bool, rules: list[dict[str, Any]], message: str) -> None:
    configuration = {"Role": ROLE, "Rules": rules}
    with strict_unless(is_strict, "S3003") as client:
        s3 = client("s3")
        _two_destinations(s3)
        if not is_strict:  # moto alone stores all of these
            s3.put_bucket_replication(Bucket="source", ReplicationConfiguration=configuration)
            return
        with pytest.raises(ClientError) as raised:
            s3.put_bucket_replication(Bucket="source", ReplicationConfiguration=configuration)
        error = raised.value.response["Error"]
        assert error["Code"] == "InvalidRequest"
        assert error["Message"].startswith(message) and "[S3003, " in error["Message"]


def test_one_v2_rule_per_destination_with_distinct_priorities_is_accepted() -> None:
    configuration = {
        "Role": ROLE,
        "Rules": [_rule("a", "destination", Priority=1, **V2), _rule("b", "third", Priority=2, **V2)],
    }
    with strict() as client:
        s3 = client("s3")
        _two_destinations(s3)
        s3.put_bucket_replication(Bucket="source", ReplicationConfiguration=configuration)
        stored = s3.get_bucket_replication(Bucket="source")["ReplicationConfiguration"]["Rules"]
        assert [(r["ID"], r["Priority"]) for r in stored] == [("a", 1), ("b", 2)]
