"""versioned-buckets: every version and delete marker gone, in batches, before stack deletion."""

from __future__ import annotations

from payinfra.plugins.api import EventKind
from payinfra.plugins.outputs import StaticOutputs
from payinfra.plugins.versioned_buckets import VersionedBucketsPlugin
from tests.plugins.conftest import World


def _fill(world: World, keys: int, versions: int) -> tuple[str, int]:
    """Versions of `keys` objects, then a delete marker on each: returns bucket, total entries."""
    s3 = world.client("s3", "us-east-1")
    bucket = world.outputs["primary"]["UploadsBucketName"]
    for version in range(versions):
        for key in range(keys):
            s3.put_object(Bucket=bucket, Key=f"receipts/{key}.json", Body=f"{version}".encode())
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"receipts/{k}.json"} for k in range(keys)]})
    s3.create_multipart_upload(Bucket=bucket, Key="big/upload.bin")
    return bucket, keys * versions + keys


def _left(world: World, bucket: str) -> int:
    page = world.client("s3", "us-east-1").list_object_versions(Bucket=bucket)
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


def test_empties_versions_and_markers_in_batches(world: World) -> None:
    bucket, total = _fill(world, keys=360, versions=2)
    assert total > 1000  # more than one DeleteObjects batch
    VersionedBucketsPlugin().before_destroy(world.context(), world.reporter.for_plugin("buckets"))
    assert _left(world, bucket) == 0
    assert world.client("s3", "us-east-1").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    deletes = [op for _, _, op in world.log.writes() if op == "DeleteObjects"]
    assert len(deletes) == 2
    changed = world.reporter.changes()
    assert len(changed) == 1
    assert (
        f"deleted {total} object version(s)/delete marker(s), aborted 1 multipart upload(s)"
        in changed[0].message
    )
    # The bucket can now be deleted, which is all CloudFormation needs.
    world.client("s3", "us-east-1").delete_bucket(Bucket=bucket)


def test_second_run_and_empty_buckets_change_nothing(world: World) -> None:
    _fill(world, keys=3, versions=2)
    plugin = VersionedBucketsPlugin()
    plugin.before_destroy(world.context(), world.reporter.for_plugin("buckets"))
    world.reset_log()
    plugin.before_destroy(world.context(), world.reporter.for_plugin("buckets"))
    assert world.log.writes() == []
    assert [e.kind for e in world.reporter.events] == [EventKind.NO_CHANGE] * 4


def test_tolerates_deleted_stacks_and_buckets(world: World) -> None:
    world.client("s3", "us-east-2").delete_bucket(Bucket=world.outputs["secondary"]["AlbLogsBucketName"])
    pc = world.context()
    pc.outputs = StaticOutputs({"secondary": world.outputs["secondary"]})  # primary stack already deleted
    VersionedBucketsPlugin().before_destroy(pc, world.reporter.for_plugin("buckets"))
    messages = [e.message for e in world.reporter.events]
    assert messages[0].startswith("stack payments-primary-dev is gone")
    assert any("no longer exists" in m for m in messages)
