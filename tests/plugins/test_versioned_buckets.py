"""versioned-buckets: log delivery stopped first, every version and delete marker gone in batches,
and the ALB log bucket drained and deleted with a bounded retry (fake clock: nothing sleeps)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from payinfra.plugins.api import EventKind, PluginContext
from payinfra.plugins.errors import PluginError
from payinfra.plugins.outputs import StaticOutputs
from payinfra.plugins.versioned_buckets import LOG_DRAIN_LIMIT_S, VersionedBucketsPlugin
from tests.plugins.conftest import World


def _fill(world: World, keys: int, versions: int) -> tuple[str, int]:
    """Versions of `keys` objects, then a delete marker on each: returns bucket, total entries."""
    s3 = world.client("s3", "us-east-1")
    bucket = world.outputs["us-east-1"]["UploadsBucketName"]
    for version in range(versions):
        for key in range(keys):
            s3.put_object(Bucket=bucket, Key=f"receipts/{key}.json", Body=f"{version}".encode())
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"receipts/{k}.json"} for k in range(keys)]})
    s3.create_multipart_upload(Bucket=bucket, Key="big/upload.bin")
    return bucket, keys * versions + keys


def _left(world: World, bucket: str) -> int:
    page = world.client("s3", "us-east-1").list_object_versions(Bucket=bucket)
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


def _bucket_exists(world: World, bucket: str, region: str) -> bool:
    return bucket in {b["Name"] for b in world.client("s3", region).list_buckets()["Buckets"]}


def _with_alb(world: World, role: str = "us-east-1", region: str = "us-east-1") -> str:
    """An ALB publishing access logs to the region's log bucket; its ARN joins the outputs."""
    ec2 = world.client("ec2", region)
    vpc = world.outputs[role]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in zip(_subnet_cidrs(world.outputs[role]["VpcCidr"]), zones, strict=True)
    ]
    elbv2 = world.client("elbv2", region)
    arn = elbv2.create_load_balancer(Name="payments-alb-dev", Subnets=subnets, Type="application")[
        "LoadBalancers"
    ][0]["LoadBalancerArn"]
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": world.outputs[role]["AlbLogsBucketName"]},
        ],
    )
    world.outputs[role]["LoadBalancerArn"] = arn
    return arn


def _subnet_cidrs(vpc_cidr: str) -> list[str]:
    first, second, _, _ = vpc_cidr.split("/", maxsplit=1)[0].split(".")
    return [f"{first}.{second}.250.0/24", f"{first}.{second}.251.0/24"]


def _late_log_files(pc: PluginContext, bucket: str, region: str, arrivals: int | None) -> list[str]:
    """Before each DeleteBucket on `bucket`, a log file lands (the first `arrivals` times, or always)."""
    landed: list[str] = []

    def land(params: dict[str, Any], **_: Any) -> None:
        if params.get("Bucket") == bucket and (arrivals is None or len(landed) < arrivals):
            key = f"alb/late-{len(landed)}.log.gz"
            pc.client("s3", region).put_object(Bucket=bucket, Key=key, Body=b"log")
            landed.append(key)

    pc.client("s3", region).meta.events.register("before-parameter-build.s3.DeleteBucket", land)
    return landed


def test_empties_versions_and_markers_in_batches(world: World) -> None:
    bucket, total = _fill(world, keys=360, versions=2)
    assert total > 1000  # more than one DeleteObjects batch
    VersionedBucketsPlugin().before_destroy(world.context(), world.reporter.for_plugin("buckets"))
    assert _left(world, bucket) == 0
    assert world.client("s3", "us-east-1").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    deletes = [op for region, service, op in world.log.writes() if op == "DeleteObjects"]
    assert len(deletes) == 2
    changed = [e.message for e in world.reporter.changes() if bucket in e.message]
    assert changed == [
        f"{bucket} (us-east-1): deleted {total} object version(s)/delete marker(s), "
        "aborted 1 multipart upload(s)"
    ]
    # The bucket can now be deleted, which is all CloudFormation needs.
    world.client("s3", "us-east-1").delete_bucket(Bucket=bucket)


def test_log_buckets_are_deleted_and_a_second_run_changes_nothing(world: World) -> None:
    _fill(world, keys=3, versions=2)
    plugin = VersionedBucketsPlugin()
    plugin.before_destroy(world.context(), world.reporter.for_plugin("buckets"))
    for role, region in (("us-east-1", "us-east-1"), ("us-east-2", "us-east-2")):
        assert not _bucket_exists(world, world.outputs[role]["AlbLogsBucketName"], region)
        assert _bucket_exists(world, world.outputs[role]["UploadsBucketName"], region)  # CloudFormation's
    world.reset_log()
    plugin.before_destroy(world.context(), world.reporter.for_plugin("buckets"))
    assert world.log.writes() == []
    assert {e.kind for e in world.reporter.events} == {EventKind.NO_CHANGE}


def test_tolerates_deleted_stacks_and_buckets(world: World) -> None:
    world.client("s3", "us-east-2").delete_bucket(Bucket=world.outputs["us-east-2"]["AlbLogsBucketName"])
    pc = world.context()
    pc.outputs = StaticOutputs({"us-east-2": world.outputs["us-east-2"]})  # primary stack already deleted
    VersionedBucketsPlugin().before_destroy(pc, world.reporter.for_plugin("buckets"))
    messages = [e.message for e in world.reporter.events]
    assert messages[0].startswith("stack payments-primary-dev is gone")
    assert any("no longer exists" in m for m in messages)


def test_delivery_stops_before_emptying_and_late_files_are_retried(world: World) -> None:
    alb = _with_alb(world)
    uploads = world.outputs["us-east-1"]["UploadsBucketName"]
    logs = world.outputs["us-east-1"]["AlbLogsBucketName"]
    s3 = world.client("s3", "us-east-1")
    s3.put_bucket_acl(Bucket=logs, ACL="log-delivery-write")  # lets moto accept the logging target
    s3.put_bucket_logging(
        Bucket=uploads,
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": logs, "TargetPrefix": "s3-access/"}},
    )
    s3.put_object(Bucket=logs, Key="alb/early.log.gz", Body=b"log")
    pc = world.context()
    landed = _late_log_files(pc, logs, "us-east-1", arrivals=2)

    VersionedBucketsPlugin().before_destroy(pc, world.reporter.for_plugin("buckets"))

    attributes = world.client("elbv2", "us-east-1").describe_load_balancer_attributes(LoadBalancerArn=alb)
    assert {a["Key"]: a["Value"] for a in attributes["Attributes"]}["access_logs.s3.enabled"] == "false"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=uploads)
    assert landed == ["alb/late-0.log.gz", "alb/late-1.log.gz"]
    assert not _bucket_exists(world, logs, "us-east-1")
    # Delivery was stopped before anything was deleted from either bucket.
    writes = [op for region, _, op in world.log.writes() if region == "us-east-1"]
    assert writes.index("ModifyLoadBalancerAttributes") < writes.index("PutBucketLogging")
    assert writes.index("PutBucketLogging") < writes.index("DeleteObjects")
    assert writes.count("DeleteBucket") == 3  # refused twice (late files), then deleted
    assert world.clock.sleeps == [10.0, 10.0]  # the context's poll interval; no real sleep
    deleted = f"{logs} (us-east-1) deleted after 3 attempt(s)"
    assert any(deleted in e.message for e in world.reporter.changes())


def test_drain_is_bounded_by_a_deadline(world: World) -> None:
    logs = world.outputs["us-east-1"]["AlbLogsBucketName"]
    pc = world.context(wait_timeout_s=3600.0, poll_interval_s=60.0)
    _late_log_files(pc, logs, "us-east-1", arrivals=None)  # files never stop arriving
    with pytest.raises(PluginError, match=rf"{logs} \(us-east-1\) still receives objects after 900s"):
        VersionedBucketsPlugin().before_destroy(pc, world.reporter.for_plugin("buckets"))
    assert world.clock.t == LOG_DRAIN_LIMIT_S  # capped at 900 s even with a longer --wait-timeout
    assert len(world.clock.sleeps) == LOG_DRAIN_LIMIT_S / 60.0
    assert _bucket_exists(world, logs, "us-east-1")


# -- after destroy: log groups left, and the shared one left on purpose ---------------------------------


class _Aws:
    """The part of LocalAws that `check_log_groups_left` uses."""

    def client(self, service: str, region: str) -> Any:
        return boto3.client(service, region_name=region)


def test_nothing_left_check_lists_log_groups_and_the_shared_one_apart(world: World) -> None:
    from payinfra.deploy.commands import Outcome
    from payinfra.local_job import LocalRun, check_log_groups_left

    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName="RDSOSMetrics")
    boto3.client("logs", region_name="us-east-2").create_log_group(
        logGroupName="/aws/ecs/containerinsights/payments-dev/performance"
    )
    run = LocalRun()
    check_log_groups_left(_Aws(), run, world.config)  # type: ignore[arg-type]
    assert run.shared_left == ["RDSOSMetrics (us-east-1)"]
    assert run.log_groups_left == ["/aws/ecs/containerinsights/payments-dev/performance (us-east-2)"]
    # An implicit group left fails the run; the shared one alone does not.
    done = Outcome(stacks={})
    assert LocalRun(deploy=done, destroy=done, shared_left=run.shared_left).exit_code == 0
    assert LocalRun(deploy=done, destroy=done, log_groups_left=run.log_groups_left).exit_code == 1


def test_destroy_says_what_it_leaves_on_purpose(config: Any) -> None:
    from payinfra.deploy.commands import left_on_purpose

    lines = left_on_purpose(config)
    monitored = sorted(r for r, s in config.regions.items() if s.database.monitoring_interval_s)
    if monitored:
        assert lines == [
            f"shared, left on purpose: log group RDSOSMetrics in {', '.join(monitored)} (RDS Enhanced "
            "Monitoring, shared by every DB instance of the account and region; docs/operations.md#teardown)"
        ]
    else:
        assert lines == []
