"""s3-replication: preconditions, key grant, the exact V2 request, backend limits, teardown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from localaws.testing import fixes_applied, mock_aws
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.errors import PluginError
from payinfra.plugins.s3_replication import (
    GRANT_POLICY,
    OBJECT_SAMPLE,
    ReplicationSettings,
    S3ReplicationPlugin,
    desired_configuration,
    diff_paths,
    normalise,
    replication_evidence,
)
from tests.plugins.conftest import Interrupted, World, fresh_world


def _role(world: World) -> str:
    return world.outputs["us-east-1"]["ReplicationRoleArn"].rsplit("/", 1)[-1]


def _expected(world: World, **settings: bool) -> dict[str, Any]:
    primary, secondary = world.outputs["us-east-1"], world.outputs["us-east-2"]
    destination: dict[str, Any] = {
        "Bucket": secondary["UploadsBucketArn"],
        "EncryptionConfiguration": {"ReplicaKmsKeyID": secondary["KeyArn"]},
    }
    if settings.get("time_control"):
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": 15}}
        destination["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    return {
        "Role": primary["ReplicationRoleArn"],
        "Rules": [
            {
                "ID": "uploads-to-us-east-2",
                "Priority": 1,
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Enabled"},
                "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                "Destination": destination,
            }
        ],
    }


def run(world: World, settings: ReplicationSettings | None = None) -> None:
    S3ReplicationPlugin(settings or ReplicationSettings()).after_deploy(
        world.context(), world.reporter.for_plugin("s3")
    )


def test_on_moto_the_rule_is_put_and_the_dropped_fields_are_recorded(world: World) -> None:
    run(world)
    s3 = world.client("s3", "us-east-1")
    bucket = world.outputs["us-east-1"]["UploadsBucketName"]
    stored = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    rule = stored["Rules"][0]
    assert rule["Destination"]["Bucket"] == world.outputs["us-east-2"]["UploadsBucketArn"]
    assert (
        rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"]
        == world.outputs["us-east-2"]["KeyArn"]
    )
    # moto drops these two (local-aws.md): recorded per rule field, and reported as not performed.
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    note = tags["payinfra:not-performed-by-backend"]
    assert note.startswith("DeleteMarkerReplication.Status SourceSelectionCriteria observed ")
    kinds = [e.kind for e in world.reporter.events]
    assert EventKind.NOT_PERFORMED in kinds
    assert [op for _, _, op in world.log.writes()] == [
        "PutRolePolicy",
        "PutBucketReplication",
        "PutBucketTagging",
    ]


def test_second_run_on_moto_writes_nothing(world: World) -> None:
    run(world)
    world.reset_log()
    run(world)
    assert world.log.writes() == []
    assert [e.kind for e in world.reporter.events] == [
        EventKind.NO_CHANGE,
        EventKind.NO_CHANGE,
        EventKind.NOT_PERFORMED,
    ]


def test_grants_the_destination_key_with_an_inline_policy(world: World) -> None:
    run(world)
    iam = world.client("iam", "us-east-1")
    document = iam.get_role_policy(RoleName=_role(world), PolicyName=GRANT_POLICY)["PolicyDocument"]
    statement = document["Statement"][0]
    assert statement["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    assert statement["Resource"] == world.outputs["us-east-2"]["KeyArn"]


def test_no_grant_when_the_template_already_grants_the_key(world: World) -> None:
    key = world.outputs["us-east-2"]["KeyArn"]
    grant = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "kms:*crypt*", "Resource": key},
            {"Effect": "Allow", "Action": "kms:GenerateDataKey*", "Resource": "arn:aws:kms:*:*:key/*"},
        ],
    }
    world.client("iam", "us-east-1").put_role_policy(
        RoleName=_role(world), PolicyName="FromTemplate", PolicyDocument=json.dumps(grant)
    )
    run(world)
    assert "PutRolePolicy" not in [op for _, _, op in world.log.writes()]


@pytest.mark.parametrize("side", ["us-east-1", "us-east-2"])
def test_unversioned_bucket_is_refused_before_any_write(world: World, side: str) -> None:
    region = world.context().stacks[side].region
    bucket = world.outputs[side]["UploadsBucketName"]
    world.client("s3", region).put_bucket_versioning(
        Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
    )
    with pytest.raises(PluginError, match=f"{bucket} .* is not versioned .*Suspended"):
        run(world)
    assert world.log.writes() == []


def test_missing_destination_is_refused(world: World) -> None:
    world.outputs["us-east-2"]["UploadsBucketName"] = "payments-uploads-nowhere"
    with pytest.raises(PluginError, match="destination bucket payments-uploads-nowhere does not exist"):
        run(world)
    assert world.log.writes() == []


def test_a_configuration_reset_by_a_stack_update_is_reapplied(world: World) -> None:
    run(world)
    world.client("s3", "us-east-1").delete_bucket_replication(
        Bucket=world.outputs["us-east-1"]["UploadsBucketName"]
    )
    assert any(c.status == Status.BROKEN for c in S3ReplicationPlugin().verify(world.context()))
    world.reset_log()
    run(world)
    assert "PutBucketReplication" in [op for _, _, op in world.log.writes()]


def test_verify_states(world: World) -> None:
    plugin = S3ReplicationPlugin(ReplicationSettings())
    before = {c.promise: c.status for c in plugin.verify(world.context())}
    assert list(before.values()) == [Status.HOLDS, Status.BROKEN, Status.BROKEN, Status.BROKEN]
    run(world)
    world.reset_log()
    after = plugin.verify(world.context())
    assert [c.promise for c in after] == [
        "replication destination exists and is versioned",
        "replication configured as intended on the source bucket",
        "objects replicate to us-east-2",
        "replication role may decrypt (source key) and encrypt (destination key)",
    ]
    # unfixed moto: the configuration lacks the recorded fields; the probe gets no status.
    assert [c.status for c in after] == [
        Status.HOLDS,
        Status.NOT_PERFORMED,
        Status.NOT_PERFORMED,
        Status.HOLDS,
    ]
    assert "SourceSelectionCriteria" in after[1].reason
    assert after[2].reason.startswith("the backend set no ReplicationStatus on the probe")
    # the probe is the only write, and it is deleted again (by version ID)
    assert sorted({op for _, _, op in world.log.writes()}) == ["DeleteObject", "PutObject"]
    bucket = world.outputs["us-east-1"]["UploadsBucketName"]
    assert world.client("s3", "us-east-1").list_object_versions(Bucket=bucket).get("Versions", []) == []


def test_verify_objects_without_a_replication_status_prove_nothing(world: World) -> None:
    run(world)
    bucket = world.outputs["us-east-1"]["UploadsBucketName"]
    world.client("s3", "us-east-1").put_object(Bucket=bucket, Key="statement.pdf", Body=b"%PDF")
    objects = S3ReplicationPlugin(ReplicationSettings()).verify(world.context())[2]
    assert objects.status == Status.NOT_PERFORMED
    assert "it does not replicate objects" in objects.reason  # the probe, written next, got none


def test_before_destroy_removes_configuration_and_grant(world: World) -> None:
    run(world)
    plugin = S3ReplicationPlugin()
    plugin.before_destroy(world.context(), world.reporter.for_plugin("s3"))
    s3 = world.client("s3", "us-east-1")
    with pytest.raises(s3.exceptions.ClientError, match="ReplicationConfigurationNotFound"):
        s3.get_bucket_replication(Bucket=world.outputs["us-east-1"]["UploadsBucketName"])
    policies = world.client("iam", "us-east-1").list_role_policies(RoleName=_role(world))["PolicyNames"]
    assert policies == ["Replication"]
    world.reset_log()
    plugin.before_destroy(world.context(), world.reporter.for_plugin("s3"))
    assert world.log.writes() == []


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_converges_after_an_interruption(aws_env: None, config, fail_at: int) -> None:
    with mock_aws():
        world = fresh_world(config)
        world.log.fail_at_write = fail_at
        with pytest.raises(Interrupted):
            run(world)
        world.reset_log()
        run(world)
        world.reset_log()
        run(world)
        assert world.log.writes() == []
        statuses = [c.status for c in S3ReplicationPlugin().verify(world.context())]
        assert statuses == [Status.HOLDS, Status.NOT_PERFORMED, Status.NOT_PERFORMED, Status.HOLDS]


# -- the exact request, against a backend that stores what it is sent (as S3 does) -------------


def _stubbed_primary_s3(world: World) -> tuple[Any, Stubber]:
    client = boto3.Session(region_name="us-east-1").client("s3")
    return client, Stubber(client)


def _expect_preconditions(stub: Stubber, bucket: str) -> None:
    stub.add_response("head_bucket", {}, {"Bucket": bucket})
    stub.add_response("get_bucket_versioning", {"Status": "Enabled"}, {"Bucket": bucket})


@pytest.mark.parametrize("time_control", [False, True])
def test_exact_put_bucket_replication_request(world: World, time_control: bool) -> None:
    bucket = world.outputs["us-east-1"]["UploadsBucketName"]
    expected = _expected(world, time_control=time_control)
    client, stub = _stubbed_primary_s3(world)
    _expect_preconditions(stub, bucket)
    stub.add_client_error(
        "get_bucket_replication", "ReplicationConfigurationNotFoundError", http_status_code=404
    )
    stub.add_client_error("get_bucket_tagging", "NoSuchTagSet", http_status_code=404)
    stub.add_response("put_bucket_replication", {}, {"Bucket": bucket, "ReplicationConfiguration": expected})
    stub.add_response("get_bucket_replication", {"ReplicationConfiguration": expected}, {"Bucket": bucket})
    pc = world.context()
    pc.sessions.set_client("s3", "us-east-1", client)
    with stub:
        S3ReplicationPlugin(
            ReplicationSettings(time_control=time_control, metrics=time_control)
        ).after_deploy(pc, world.reporter.for_plugin("s3"))
        stub.assert_no_pending_responses()
    assert EventKind.NOT_PERFORMED not in [e.kind for e in world.reporter.events]


def test_faithful_backend_second_run_makes_no_put(world: World) -> None:
    bucket = world.outputs["us-east-1"]["UploadsBucketName"]
    stored = _expected(world)
    stored["Rules"][0]["Filter"] = {}  # how S3 may echo an empty prefix: the same filter
    client, stub = _stubbed_primary_s3(world)
    _expect_preconditions(stub, bucket)
    stub.add_response("get_bucket_replication", {"ReplicationConfiguration": stored}, {"Bucket": bucket})
    stub.add_response("get_bucket_tagging", {"TagSet": []}, {"Bucket": bucket})
    pc = world.context()
    pc.sessions.set_client("s3", "us-east-1", client)
    world.client("iam", "us-east-1").put_role_policy(
        RoleName=_role(world),
        PolicyName=GRANT_POLICY,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "EncryptReplicasWithTheDestinationKey",
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                        "Resource": world.outputs["us-east-2"]["KeyArn"],
                    }
                ],
            }
        ),
    )
    world.reset_log()
    with stub:
        S3ReplicationPlugin(ReplicationSettings()).after_deploy(pc, world.reporter.for_plugin("s3"))
        stub.assert_no_pending_responses()
    assert world.log.writes() == []
    assert {e.kind for e in world.reporter.events} == {EventKind.NO_CHANGE}


def test_diff_paths_and_normalise() -> None:
    desired = {"Rules": [{"A": {"B": 1}, "C": "x"}], "Role": "r"}
    assert diff_paths(desired, {"Rules": [{"A": {"B": 1}, "C": "x"}], "Role": "r"}) == []
    assert diff_paths(desired, {"Rules": [{"A": {}, "C": "y"}], "Role": "r"}) == ["Rules.0.A.B", "Rules.0.C"]
    assert diff_paths(desired, {"Rules": [{"A": {"B": 1}, "C": "x"}, {}], "Role": "r"}) == ["Rules.length"]
    assert normalise({"Rules": [{"Priority": 2, "Filter": {}}, {"Priority": 1}]})["Rules"] == [
        {"Priority": 1},
        {"Priority": 2, "Filter": {"Prefix": ""}},
    ]


def test_rtc_needs_metrics_in_the_desired_rule() -> None:
    from payinfra.plugins.s3_replication import Destination, ReplicationTarget

    destination = Destination("r2", "r1 -> r2", "dst", "arn:aws:s3:::dst", "arn:k2")
    target = ReplicationTarget("r1", "src", "arn:k1", "arn:role", (destination,))
    destination = desired_configuration(target, ReplicationSettings(time_control=True, metrics=True))[
        "Rules"
    ][0]["Destination"]
    assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
    assert destination["Metrics"]["Status"] == "Enabled"
    assert destination["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    metrics_only = desired_configuration(target, ReplicationSettings(metrics=True))["Rules"][0]["Destination"]
    assert metrics_only["Metrics"] == {"Status": "Enabled"}  # S3 refuses a threshold without RTC
    plain = desired_configuration(target, ReplicationSettings())["Rules"][0]["Destination"]
    assert "ReplicationTime" not in plain and "Metrics" not in plain


def test_settings_come_from_the_primary_storage_table() -> None:
    from types import SimpleNamespace

    def pc(**storage: bool) -> Any:
        return SimpleNamespace(
            config=SimpleNamespace(primary=SimpleNamespace(storage=SimpleNamespace(**storage)))
        )

    rtc = ReplicationSettings.from_context(pc(replication_time_control=True, replication_metrics=False))
    assert rtc == ReplicationSettings(time_control=True, metrics=True)
    metrics_only = ReplicationSettings.from_context(
        pc(replication_time_control=False, replication_metrics=True)
    )
    assert metrics_only == ReplicationSettings(time_control=False, metrics=True)


# -- the emulator's s3_replication fix makes moto keep the configuration as S3 does -------------


@pytest.fixture
def faithful_moto(world: World) -> Iterator[World]:
    """The world, with only the emulator fix that makes GetBucketReplication return what was put."""
    with fixes_applied("s3_replication"):
        yield world


def test_on_the_replicating_emulator_the_probe_proves_objects_replicate(world: World) -> None:
    with fixes_applied("s3_replication", "s3_object_replication"):
        run(world)
        checks = S3ReplicationPlugin(ReplicationSettings()).verify(world.context())
        assert [c.status for c in checks] == [Status.HOLDS] * 4, [c.reason for c in checks]
        assert checks[2].reason.endswith("(REPLICA, same ETag)")
        for region in ("us-east-1", "us-east-2"):
            bucket = world.outputs[region]["UploadsBucketName"]
            versions = world.client("s3", region).list_object_versions(Bucket=bucket).get("Versions", [])
            assert versions == []  # the probe is gone from the source and the replica


def test_on_faithful_moto_the_configuration_holds_and_nothing_is_recorded(faithful_moto: World) -> None:
    world = faithful_moto
    run(world)
    assert [op for _, _, op in world.log.writes()] == ["PutRolePolicy", "PutBucketReplication"]
    assert EventKind.NOT_PERFORMED not in [e.kind for e in world.reporter.events]
    checks = S3ReplicationPlugin(ReplicationSettings()).verify(world.context())
    assert [c.status for c in checks] == [Status.HOLDS, Status.HOLDS, Status.NOT_PERFORMED, Status.HOLDS]
    assert checks[1].reason.startswith("SSE-KMS objects, delete markers, destination key as intended")
    world.reset_log()
    run(world)
    assert world.log.writes() == []
    assert {e.kind for e in world.reporter.events} == {EventKind.NO_CHANGE}


# -- object evidence: the exact read-only requests, and what each ReplicationStatus means --------


def _listing(*keys: str) -> dict[str, Any]:
    """A ListObjectsV2 page whose objects are newer the later they come in `keys`."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return {
        "Contents": [
            {"Key": key, "LastModified": start + timedelta(minutes=i), "Size": 1}
            for i, key in enumerate(keys)
        ]
    }


@pytest.mark.parametrize(
    ("statuses", "expected", "reason"),
    [
        ({}, Status.NOT_PERFORMED, "no object has replicated yet on this backend: b holds no object"),
        ({"a": None}, Status.NOT_PERFORMED, "none is COMPLETED (none has a status)"),
        ({"a": "PENDING", "b": None}, Status.NOT_PERFORMED, "none is COMPLETED (1 PENDING)"),
        ({"a": "PENDING", "b": "COMPLETED"}, Status.HOLDS, "b ReplicationStatus COMPLETED (1 of the 2"),
        ({"a": "COMPLETE"}, Status.HOLDS, "a ReplicationStatus COMPLETED"),
        ({"a": "COMPLETED", "b": "FAILED"}, Status.BROKEN, "ReplicationStatus FAILED on 1 object(s): b"),
    ],
)
def test_replication_evidence(statuses: dict[str, str | None], expected: Status, reason: str) -> None:
    client = boto3.Session(region_name="us-east-1").client("s3")
    stub = Stubber(client)
    stub.add_response("list_objects_v2", _listing(*statuses), {"Bucket": "b"})
    for key in reversed(list(statuses)):  # newest first
        head = {"ReplicationStatus": statuses[key]} if statuses[key] else {}
        stub.add_response("head_object", head, {"Bucket": "b", "Key": key})
    with stub:
        status, text = replication_evidence(client, "b")
        stub.assert_no_pending_responses()
    assert status == expected
    assert reason in text


def test_replication_evidence_reads_only_the_newest_objects() -> None:
    keys = [f"k{i:02}" for i in range(OBJECT_SAMPLE + 5)]
    client = boto3.Session(region_name="us-east-1").client("s3")
    stub = Stubber(client)
    stub.add_response("list_objects_v2", _listing(*keys), {"Bucket": "b"})
    for key in reversed(keys[-OBJECT_SAMPLE:]):
        stub.add_response("head_object", {}, {"Bucket": "b", "Key": key})
    with stub:
        status, text = replication_evidence(client, "b")
        stub.assert_no_pending_responses()
    assert status == Status.NOT_PERFORMED
    assert f"of the {OBJECT_SAMPLE} newest objects" in text
