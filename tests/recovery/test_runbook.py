"""The runbook against a moto world: convergence after an interruption at each step, no call to
the lost region, lock contention, failback to the original topology."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from localaws.faults import FAULTS
from localaws.services.dynamodb.global_tables import flush_replication
from payinfra.recovery import progress
from payinfra.recovery.active import ActiveState, read_active, read_record
from payinfra.recovery.runbook import run_failback, run_failover
from payinfra.recovery.runtime import RunbookError
from payinfra.recovery.steps import FAILBACK, FAILOVER, Step
from tests.recovery.conftest import FastClock, World

QUIET = lambda _line: None  # noqa: E731


class Interrupted(Exception):
    pass


def stop_after(k: int):  # type: ignore[no-untyped-def]
    def hook(index: int, step: Step) -> None:
        if index == k:
            raise Interrupted(step.name)

    return hook


def db(world: World, region: str) -> dict[str, Any] | None:
    rds = boto3.client("rds", region_name=region)
    found = rds.describe_db_instances()["DBInstances"]
    return found[0] if found else None


def topology(world: World) -> dict[str, Any]:
    """What the runbook changes, per region, in a comparable form."""
    state: dict[str, Any] = {}
    for region in world.ctx.project.region_names:
        ssm = boto3.client("ssm", region_name=region)
        names = world.ctx.names
        record = read_record(world.ctx, world.client, region)
        lock = ssm.get_parameters(Names=[names.concrete("runbook_lock_parameter")])["Parameters"]
        instance = db(world, region)
        state[region] = {
            "active": record and {"active": record.active, "epoch": record.epoch},
            "lock": bool(lock),
            "db_source": instance
            and (instance.get("ReadReplicaSourceDBInstanceIdentifier") or "").split(":")[3:4],
        }
    return state


def test_unplanned_failover_never_calls_the_lost_region(three: World) -> None:
    clock = FastClock()
    FAULTS.outage("us-east-1")  # replication to it is held while it is lost
    timeline = run_failover(three.ctx, three.client, to="us-east-2", clock=clock, echo=QUIET)
    assert three.created["us-east-1"] == 0
    assert clock.slept == 0  # nothing waits for the lost region's cache: it is not drained
    reading = read_active(three.ctx, three.client, ("us-east-2", "us-west-2"))
    assert reading.state.active == "us-east-2" and reading.state.epoch == 1
    # us-west-2's replica now follows the new writer
    assert db(three, "us-west-2")["ReadReplicaSourceDBInstanceIdentifier"].split(":")[3] == "us-east-2"
    assert not db(three, "us-east-2").get("ReadReplicaSourceDBInstanceIdentifier")
    assert [e.step for e in timeline.entries] == [s.name for s in FAILOVER]
    # the lost region still holds epoch 0 until it returns; then the ledger replicates the switch
    assert read_record(three.ctx, three.client, "us-east-1") == ActiveState("us-east-1", 0)
    FAULTS.restore("us-east-1")
    flush_replication()
    assert read_record(three.ctx, three.client, "us-east-1") == ActiveState("us-east-2", 1)


def fence_line(world: World) -> str:
    lines: list[str] = []
    run_failover(world.ctx, world.client, to="us-east-2", clock=FastClock(), echo=lines.append)
    return next(line for line in lines if line.startswith("[3/10] fence") and "written in" in line)


def test_strong_mode_records_the_switch_once_in_the_target(two: World) -> None:
    """One acknowledged MRSC write is in every replica that can vote."""
    assert "written in us-east-2;" in fence_line(two)
    assert read_record(two.ctx, two.client, "us-east-1") == ActiveState("us-east-2", 1)


def test_eventual_mode_records_the_switch_in_every_reachable_region(eventual: World) -> None:
    """So none waits for the replication lag; the same item, and a rewrite is a no-op."""
    FAULTS.outage("us-east-1")
    assert "written in us-east-2;" in fence_line(eventual)  # the lost region is not reachable
    FAULTS.restore("us-east-1")
    flush_replication()
    assert read_record(eventual.ctx, eventual.client, "us-east-1") == ActiveState("us-east-2", 1)


def test_a_stale_writer_cannot_lower_the_epoch(two: World) -> None:
    from payinfra.recovery.active import ActiveStateError, write_active

    assert write_active(two.ctx, two.client, "us-east-2", ActiveState("us-east-2", 1))
    assert not write_active(two.ctx, two.client, "us-east-1", ActiveState("us-east-2", 1))  # no-op
    with pytest.raises(ActiveStateError, match="newer active-region record"):
        write_active(two.ctx, two.client, "us-east-1", ActiveState("us-east-1", 0))
    with pytest.raises(ActiveStateError, match="newer active-region record"):
        # the same epoch naming another region: a concurrent switch, refused too
        write_active(two.ctx, two.client, "us-east-1", ActiveState("us-east-1", 1))
    assert read_record(two.ctx, two.client, "us-east-1") == ActiveState("us-east-2", 1)


def test_planned_failover_fences_and_waits_first(two: World) -> None:
    clock = FastClock()
    lines: list[str] = []
    run_failover(
        two.ctx,
        two.client,
        to="us-east-2",
        planned=True,
        clock=clock,
        echo=lines.append,
        function_timeout_s=30,
    )
    assert clock.slept == two.ctx.recovery.active_region_cache_s + 30
    drain = next(
        i for i, line in enumerate(lines) if line.startswith("[2/10] drain old primary") and "fenced" in line
    )
    fence = next(i for i, line in enumerate(lines) if line.startswith("[3/10] fence") and "started" in line)
    assert drain < fence
    assert topology(two)["us-east-1"]["active"] == {"active": "us-east-2", "epoch": 1}


@pytest.mark.parametrize("k", range(1, len(FAILOVER)))
def test_failover_converges_after_an_interruption_at_each_step(three: World, k: int) -> None:
    clock = FastClock()
    with pytest.raises(Interrupted):
        run_failover(
            three.ctx, three.client, to="us-east-2", clock=clock, echo=QUIET, after_step=stop_after(k)
        )
    run_failover(three.ctx, three.client, to="us-east-2", clock=clock, echo=QUIET)
    assert three.created["us-east-1"] == 0
    state = topology(three)
    assert state["us-east-2"]["active"] == {"active": "us-east-2", "epoch": 1}  # one epoch, not two
    assert state["us-west-2"]["active"] == {"active": "us-east-2", "epoch": 1}
    assert not state["us-east-2"]["lock"]
    assert state["us-west-2"]["db_source"] == ["us-east-2"]
    assert not state["us-east-2"]["db_source"]


@pytest.mark.parametrize("k", range(1, len(FAILBACK)))
def test_failback_converges_after_an_interruption_at_each_step(two: World, k: int) -> None:
    clock = FastClock()
    run_failover(two.ctx, two.client, to="us-east-2", clock=clock, echo=QUIET)
    with pytest.raises(Interrupted):
        run_failback(two.ctx, two.client, clock=clock, echo=QUIET, after_step=stop_after(k))
    run_failback(two.ctx, two.client, clock=clock, echo=QUIET)
    assert_original_topology(two)


def assert_original_topology(world: World) -> None:
    state = topology(world)
    for region in world.ctx.project.region_names:
        assert state[region]["active"] == {"active": "us-east-1", "epoch": 2}
        assert not state[region]["lock"]
    assert not state["us-east-1"]["db_source"]
    for region in world.ctx.secondaries:
        assert state[region]["db_source"] == ["us-east-1"]


def test_failback_redrives_and_copies_uploads_and_restores_topology(three: World) -> None:
    clock = FastClock()
    names = three.ctx.names
    run_failover(three.ctx, three.client, to="us-east-2", clock=clock, echo=QUIET)
    # Left behind: in the returning primary's queue (served again after the switch back, not
    # moved) and DLQ, and in the standby's queue (fenced after the switch back: moved).
    for region, key in (("us-east-1", "queue"), ("us-east-1", "dlq"), ("us-east-2", "queue")):
        sqs = boto3.client("sqs", region_name=region)
        url = sqs.get_queue_url(QueueName=names.concrete(key))["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"payment_id": f"left-in-{region}-{key}"}))
    account = boto3.client("sts", region_name="us-east-2").get_caller_identity()["Account"]
    boto3.client("s3", region_name="us-east-2").put_object(
        Bucket=names.concrete("uploads_bucket", region="us-east-2", account=account),
        Key="during/1",
        Body=b"x",
    )
    timeline = run_failback(three.ctx, three.client, clock=clock, echo=QUIET)
    assert timeline.redriven == 2
    sqs1 = boto3.client("sqs", region_name="us-east-1")
    url1 = sqs1.get_queue_url(QueueName=names.concrete("queue"))["QueueUrl"]
    bodies = [m["Body"] for m in sqs1.receive_message(QueueUrl=url1, MaxNumberOfMessages=10)["Messages"]]
    assert sorted(json.loads(b)["payment_id"] for b in bodies) == [
        "left-in-us-east-1-dlq",
        "left-in-us-east-1-queue",
        "left-in-us-east-2-queue",
    ]
    boto3.client("s3", region_name="us-east-1").head_object(
        Bucket=names.concrete("uploads_bucket", region="us-east-1", account=account), Key="during/1"
    )
    assert_original_topology(three)


def test_lock_held_by_another_run_refuses_with_one_line(two: World) -> None:
    ssm = boto3.client("ssm", region_name="us-east-2")
    lease = progress.Lease("someone-else", FastClock().now() + 600)
    ssm.put_parameter(
        Name=two.ctx.names.concrete("runbook_lock_parameter"), Value=lease.encode(), Type="String"
    )
    with pytest.raises(progress.LockHeld, match="held by someone-else"):
        run_failover(two.ctx, two.client, to="us-east-2", clock=FastClock(), echo=QUIET)
    assert topology(two)["us-east-2"]["active"]["epoch"] == 0  # nothing fenced


def test_expired_lock_is_taken_over_and_said_so(two: World) -> None:
    ssm = boto3.client("ssm", region_name="us-east-2")
    lease = progress.Lease("crashed-run", FastClock().now() - 1)
    ssm.put_parameter(
        Name=two.ctx.names.concrete("runbook_lock_parameter"), Value=lease.encode(), Type="String"
    )
    lines: list[str] = []
    run_failover(two.ctx, two.client, to="us-east-2", clock=FastClock(), echo=lines.append)
    assert any("expired lease of crashed-run taken over" in line for line in lines)


@pytest.mark.parametrize(
    ("to", "message"), [("eu-west-1", "not a region"), ("us-east-1", "already the active")]
)
def test_bad_target_is_refused(two: World, to: str, message: str) -> None:
    with pytest.raises(RunbookError, match=message):
        run_failover(two.ctx, two.client, to=to, clock=FastClock(), echo=QUIET)


def test_failback_with_nothing_to_do_is_refused(two: World) -> None:
    with pytest.raises(RunbookError, match="nothing to fail back"):
        run_failback(two.ctx, two.client, clock=FastClock(), echo=QUIET)


def test_validate_uses_the_prober_and_reports_none_as_not_performed(two: World) -> None:
    seen: list[str] = []

    def prober(region: str) -> str:
        seen.append(region)
        return "200 charged"

    timeline = run_failover(two.ctx, two.client, to="us-east-2", prober=prober, clock=FastClock(), echo=QUIET)
    assert seen == ["us-east-2"]
    assert next(e for e in timeline.entries if e.step == "validate").detail.endswith("200 charged")
