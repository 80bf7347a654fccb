"""The ordered step lists of failover and failback: the CLI runner and the Step Functions
definition (`state_machine`) are both generated from them, so the two cannot drift.

Each step names the regions it calls (`target`, `survivors`: reachable regions but the target,
`source`: the region traffic leaves, `others`: secondaries to re-home), whether it sits on the
payment RTO path, and an idempotent function (read state, do only what is missing). `sdk` lists
the calls a Step Functions Task state makes in its own (the target's) region; a step without them
is a Pass state there, marked not expressible as SDK calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from payinfra.recovery import actions
from payinfra.recovery.active import ACTIVE_RECORD_ID, NEWER_ONLY, read_active
from payinfra.recovery.runtime import Run

Scope = Literal["target", "survivors", "source", "others", "reachable"]


@dataclass(frozen=True)
class SdkCall:
    """One aws-sdk Task: service and API action as Step Functions names them, and its Parameters
    (values may be JSONPath into the execution input: keys ending in `.$`)."""

    service: str
    action: str
    parameters: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    name: str
    summary: str
    scope: Scope
    rto_path: bool
    run: Callable[[Run], str]
    when: Callable[[Run], bool] = lambda run: True
    skipped_because: str = ""
    sdk: tuple[SdkCall, ...] = ()

    def regions(self, run: Run) -> tuple[str, ...]:
        return {
            "target": (run.target,),
            "survivors": run.survivors,
            "source": (run.source,),
            "others": run.others,
            "reachable": run.reachable,
        }[self.scope]


def _lock(run: Run) -> str:
    from payinfra.recovery import progress

    return progress.acquire(run, str(run.state["run_id"]))


def _unlock(run: Run) -> str:
    from payinfra.recovery import progress

    return progress.release(run, str(run.state["run_id"]))


def _rehome(run: Run) -> str:
    """N > 1 secondaries: the others follow the new writer (DB replicas, uploads, secret)."""
    if not run.others:
        return "no other secondary to re-home"
    lines = [actions.replicate_database(run, region, run.target) for region in run.others]
    lines.append(actions.replicate_uploads(run, run.target, run.others))
    lines.append(actions.replicate_secret(run, run.target, run.others))
    if run.ctx.project.peering == "mesh":
        lines.append("peering: mesh already peers every pair, nothing to change")
    else:
        lines.append(
            f"peering: hub-and-spoke peers only the primary, so {', '.join(run.others)} cannot reach "
            f"{run.target}'s network until failback (mesh peering can)"
        )
    return "; ".join(lines)


def _notify(run: Run) -> str:
    steps = run.state.get("steps", {})
    return actions.notify(run, [{"step": name, **entry} for name, entry in steps.items()])


# The active-region item in this region's ledger replica (payinfra/recovery/active.py), with the
# same never-lower-the-epoch condition as `write_active`.
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html
_RECORD_FENCE = SdkCall(
    "dynamodb",
    "putItem",
    {
        "TableName.$": "$.ledger_table",
        "Item": {
            "payment_id": {"S": ACTIVE_RECORD_ID},
            "active": {"S.$": "$.active_region"},
            "epoch": {"N.$": "$.active_epoch"},
            "written_at": {"S.$": "$.written_at"},
            "written_in": {"S.$": "$.active_region"},
        },
        "ConditionExpression": NEWER_ONLY,
        "ExpressionAttributeValues": {":epoch": {"N.$": "$.active_epoch"}},
    },
)
_METRIC_ACTIVE = SdkCall(
    "cloudwatch",
    "putMetricData",
    {
        "Namespace": "PayInfra/Recovery",
        "MetricData": [
            {
                "MetricName": "RegionActive",
                "Value": 1,
                "Dimensions": [{"Name": "Environment", "Value.$": "$.environment"}],
            }
        ],
    },
)

FAILOVER: tuple[Step, ...] = (
    Step(
        "acquire lock",
        "take the runbook lock in the target region",
        "target",
        True,
        _lock,
        sdk=(
            SdkCall(
                "ssm",
                "putParameter",
                {
                    "Name.$": "$.lock_parameter",
                    "Value.$": "$.lock_value",
                    "Type": "String",
                    "Overwrite": False,
                },
            ),
        ),
    ),
    Step(
        "drain old primary",
        "fence the old active region, wait out the handler cache and timeout",
        "source",
        True,
        actions.drain_source,
        when=lambda run: run.planned,
        skipped_because="unplanned: the lost region is never called",
    ),
    Step(
        "fence",
        "record the target as active (next epoch) in its ledger replica (eventual mode: every "
        "reachable one); RegionActive 1 there, 0 elsewhere",
        "reachable",
        True,
        actions.fence,
        sdk=(_RECORD_FENCE, _METRIC_ACTIVE),
    ),
    Step(
        "promote database",
        "PromoteReadReplica in the target, not waited for",
        "target",
        False,
        lambda run: actions.promote_database(run, run.target),
        sdk=(SdkCall("rds", "promoteReadReplica", {"DbInstanceIdentifier.$": "$.db_instance"}),),
    ),
    Step(
        "promote secret",
        "StopReplicationToReplica of the database secret in the target",
        "target",
        False,
        lambda run: actions.promote_secret(run, run.target),
        sdk=(SdkCall("secretsmanager", "stopReplicationToReplica", {"SecretId.$": "$.secret_id"}),),
    ),
    Step("validate", "a synthetic payment through the target", "target", True, actions.validate),
    Step(
        "notify",
        "publish the timeline to the target's alarm topic",
        "target",
        False,
        _notify,
        sdk=(
            SdkCall("sns", "publish", {"TopicArn.$": "$.alarm_topic", "Message.$": "States.JsonToString($)"}),
        ),
    ),
    Step(
        "wait for database",
        "the target's database is a standalone writer",
        "target",
        False,
        lambda run: actions.wait_database(run, run.target),
        sdk=(SdkCall("rds", "describeDBInstances", {"DbInstanceIdentifier.$": "$.db_instance"}),),
    ),
    # After the promotion, not before: a new replica needs an `available` source (the writer is
    # `modifying` while RDS reboots it), and re-homing is off the payment RTO path anyway.
    Step(
        "re-home secondaries",
        "other secondaries follow the new writer: DB replicas, uploads, secret",
        "others",
        False,
        _rehome,
    ),
    Step(
        "release lock",
        "delete the runbook lock",
        "target",
        False,
        _unlock,
        sdk=(SdkCall("ssm", "deleteParameter", {"Name.$": "$.lock_parameter"}),),
    ),
)


def _failover_step(name: str) -> Step:
    """A failover step failback shares, by name (not by position: the list may be reordered)."""
    return next(step for step in FAILOVER if step.name == name)


def _rebuild_primary(run: Run) -> str:
    return actions.replicate_database(run, run.target, run.source)


def _refence(run: Run) -> str:
    """The returning primary must already hold the current record (replicated while it was back);
    written there only if not. Its handler then refuses payments and its /healthz answers 503."""
    current = read_active(run.ctx, run.client, (run.source,)).state
    return actions.confirm_fenced(run, run.target, current)


def _redrive_to_primary(run: Run) -> str:
    """The primary's own queue is served again as it is; its DLQ and every other region's queue
    and DLQ (messages a fenced function handed back) move into it."""
    lines = [f"from {run.target}: {actions.redrive(run, run.target, run.target, keys=('dlq',))}"]
    lines += [
        f"from {region}: {actions.redrive(run, region, run.target)}"
        for region in run.reachable
        if region != run.target
    ]
    return "; ".join(lines)


def _rehome_back(run: Run) -> str:
    """Original topology: every secondary replicates the primary again (DB, secret); the
    recovery-time replication rules leave the old writer's bucket."""
    secondaries = tuple(r for r in run.reachable if r != run.target)
    lines = [actions.replicate_database(run, region, run.target) for region in secondaries]
    lines.append(actions.replicate_secret(run, run.target, secondaries))
    s3 = run.client("s3", run.source)
    s3.delete_bucket_replication(Bucket=actions.bucket(run, run.source))
    lines.append(f"recovery replication rules removed from {run.source}'s uploads bucket")
    return "; ".join(lines)


FAILBACK: tuple[Step, ...] = (
    _failover_step("acquire lock"),
    Step(
        "fence returning primary",
        "the old primary holds the current record (replicated, else written) and RegionActive 0",
        "target",
        True,
        _refence,
    ),
    Step(
        "rebuild primary database",
        "delete the old instance (snapshot when protected), re-create it "
        "as a read replica of the current writer",
        "target",
        False,
        _rebuild_primary,
    ),
    Step(
        "copy uploads back",
        "objects written during the failover, missing in the primary's bucket",
        "reachable",
        False,
        lambda run: actions.copy_missing_uploads(run, run.source, run.target),
    ),
    Step(
        "drain active region",
        "fence the current active region, wait out the cache and timeout",
        "source",
        True,
        actions.drain_source,
    ),
    _failover_step("fence"),
    # After the switch back, not before: a fenced region's function hands every message back
    # (and after maxReceiveCount to the DLQ), so messages only move to a queue that is served.
    Step(
        "redrive messages",
        "the primary's DLQ and every other region's queue and DLQ go to the primary's queue",
        "reachable",
        False,
        _redrive_to_primary,
    ),
    _failover_step("promote database"),
    Step(
        "wait for database",
        "the primary's database is a standalone writer",
        "target",
        False,
        lambda run: actions.wait_database(run, run.target),
    ),
    Step(
        "restore replication",
        "secondaries replicate the primary again: DB replicas, secret",
        "reachable",
        False,
        _rehome_back,
    ),
    _failover_step("validate"),
    _failover_step("notify"),
    _failover_step("release lock"),
)

STEPS = {"failover": FAILOVER, "failback": FAILBACK}
