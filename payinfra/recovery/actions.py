"""The runbook's idempotent operations: each reads the state it changes and does only what is missing.

Each returns one line for the progress record. An action the backend does not implement (the local
AWS answers 501 NotImplemented) is reported "not performed by this backend", never as done.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from payinfra.recovery.active import ActiveState, ActiveStateError, read_active, read_record, write_active
from payinfra.recovery.runtime import NOT_PERFORMED, Run, RunbookError, code_of, not_implemented
from payinfra.topology.names import FENCE_METRIC, FENCE_METRIC_NAMESPACE

# The secret's description in templates/partials/data.yaml.j2: how a region finds its copy
# (the name is CloudFormation's, and a replica keeps the primary's name).
SECRET_DESCRIPTION = "Master user of the payments PostgreSQL instance ({db})"  # noqa: S105 - a description


# -- fence ---------------------------------------------------------------------------------------
def planned_state(run: Run) -> ActiveState:
    """The record this run writes: one epoch above the highest any reachable region holds.

    Chosen once and kept in the progress record, so a rerun writes the same record (idempotent).
    """
    if "active" not in run.state:
        current = read_active(run.ctx, run.client, run.reachable).state
        run.state["active"] = ActiveState(run.target, current.epoch + 1).encode()
    return ActiveState.decode(str(run.state["active"]))


def publish_fence(run: Run, region: str, active: bool) -> None:
    """RegionActive 1 or 0 in `region`'s own CloudWatch: its fence alarm and health check follow."""
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
    run.client("cloudwatch", region).put_metric_data(
        Namespace=FENCE_METRIC_NAMESPACE,
        MetricData=[
            {
                "MetricName": FENCE_METRIC,
                "Dimensions": [{"Name": "Environment", "Value": run.ctx.project.suffix}],
                "Value": 1.0 if active else 0.0,
            }
        ],
    )


def record_regions(run: Run, regions: tuple[str, ...]) -> tuple[str, ...]:
    """Where the record is written: in strong mode (MRSC) the first region only, since one
    acknowledged write is in every replica that can vote (and a returning one catches up before
    it reads); in eventual mode (MREC) each region, so none waits for the replication lag (the
    same item, harmless: the condition makes a second write of it a no-op).
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html
    """
    return regions[:1] if run.ctx.recovery.ledger_consistency == "strong" else regions


def write_record(run: Run, region: str, state: ActiveState) -> bool:
    """`write_active` with the runbook's errors: a refused write stops the run with the reason."""
    try:
        return write_active(run.ctx, run.client, region, state)
    except ActiveStateError as err:
        raise RunbookError(str(err)) from None
    except ClientError as err:
        raise RunbookError(
            f"recording {state.active} (epoch {state.epoch}) in {region}'s ledger table failed "
            f"({code_of(err)}): in strong mode a region cut off from the other members cannot "
            "record a switch; stopping (rerun once it reaches them, or choose another target)"
        ) from None


def fence_regions(run: Run, regions: tuple[str, ...], state: ActiveState) -> list[str]:
    """Record `state` (see `record_regions`); publish the metric in each of `regions`."""
    written = [r for r in record_regions(run, regions) if write_record(run, r, state)]
    for region in regions:
        publish_fence(run, region, region == state.active)
    return written


def drain_source(run: Run) -> str:
    """Planned only: fence the old active region, then wait out the handler's cache and timeout."""
    state = planned_state(run)
    written = fence_regions(run, (run.source,), state)
    wait = run.ctx.recovery.active_region_cache_s + run.function_timeout_s
    if written or not run.state.get("drained"):
        run.clock.sleep(wait)
        run.state["drained"] = True
    return f"{run.source} fenced (epoch {state.epoch}); waited {wait:g}s (cache + function timeout)"


def fence(run: Run) -> str:
    """Record the target as active, written in the target first (a lost region is not needed:
    it reads the newer record from its replica when it returns)."""
    state = planned_state(run)
    written = fence_regions(run, run.reachable, state)
    where = ", ".join(written) if written else "none (already current)"
    return f"active={state.active} epoch {state.epoch}; written in {where}; metric 1 in {state.active}"


def confirm_fenced(run: Run, region: str, current: ActiveState) -> str:
    """A returning region must already hold `current` (replicated); written there only if not.
    Its metric goes to 0 either way."""
    held = read_record(run.ctx, run.client, region)
    written = held != current and write_record(run, region, current)
    publish_fence(run, region, region == current.active)
    how = "written there" if written else "already replicated"
    return f"{region}: holds active {current.active} epoch {current.epoch} ({how}); metric 0"


# -- database --------------------------------------------------------------------------------------
def describe_db(run: Run, region: str) -> dict[str, Any] | None:
    try:
        found = run.client("rds", region).describe_db_instances(DBInstanceIdentifier=run.name("db_instance"))
    except ClientError as err:
        if code_of(err) == "DBInstanceNotFound":
            return None
        raise
    return dict(found["DBInstances"][0])


def db_arn(run: Run, region: str) -> str:
    return f"arn:aws:rds:{region}:{run.account()}:db:{run.name('db_instance')}"


def promote_database(run: Run, region: str) -> str:
    """PromoteReadReplica, without waiting (off the payment RTO path; `wait_database` waits)."""
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_PromoteReadReplica.html
    db = describe_db(run, region)
    if db is None:
        return f"no database {run.name('db_instance')} in {region}: nothing to promote"
    if not db.get("ReadReplicaSourceDBInstanceIdentifier"):
        return f"{db['DBInstanceIdentifier']} in {region} is already a standalone writer"
    try:
        run.client("rds", region).promote_read_replica(DBInstanceIdentifier=db["DBInstanceIdentifier"])
    except ClientError as err:
        # A rerun after an interruption finds the promotion under way: the instance still names
        # its source while it reboots (`modifying`), and RDS refuses a second promotion.
        busy = db.get("DBInstanceStatus") in ("modifying", "rebooting")
        if code_of(err) == "InvalidDBInstanceState" and busy:
            return f"{db['DBInstanceIdentifier']} in {region}: promotion already under way"
        raise
    return f"PromoteReadReplica {db['DBInstanceIdentifier']} in {region}: started (not waited for)"


def wait_database(run: Run, region: str) -> str:
    """Until the instance is `available` and no longer names a source (the promotion ended)."""
    waited = 0.0
    while True:
        db = describe_db(run, region)
        if db is None:
            return f"no database in {region}"
        if db.get("DBInstanceStatus") == "available" and not db.get("ReadReplicaSourceDBInstanceIdentifier"):
            return f"{db['DBInstanceIdentifier']} in {region} is a writer after {waited:g}s"
        if waited >= run.wait_timeout_s:
            raise RunbookError(f"database in {region} not promoted after {waited:g}s: rerun to keep waiting")
        run.clock.sleep(run.poll_s)
        waited += run.poll_s


def replicate_database(run: Run, region: str, writer: str) -> str:
    """Make `region`'s instance a read replica of `writer`'s: delete what is there (a snapshot
    first in a protected environment), then CreateDBInstanceReadReplica with the same name."""
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html
    rds = run.client("rds", region)
    name = run.name("db_instance")
    source_arn = db_arn(run, writer)
    db = describe_db(run, region)
    if db is not None and db.get("ReadReplicaSourceDBInstanceIdentifier") in (source_arn, name):
        return f"{name} in {region} already replicates {writer}"
    notes = []
    if db is not None and db.get("DBInstanceStatus") != "deleting":
        if run.ctx.project.protected:
            snapshot = f"{name}-before-{run.kind}-{run.state.get('run_id', 'run')}"[:255]
            rds.delete_db_instance(
                DBInstanceIdentifier=name, SkipFinalSnapshot=False, FinalDBSnapshotIdentifier=snapshot
            )
            notes.append(f"snapshot {snapshot}")
        else:
            rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)
        notes.append("old instance deleted")
    waited = 0.0
    while describe_db(run, region) is not None:
        if waited >= run.wait_timeout_s:
            raise RunbookError(f"{name} in {region} still deleting after {waited:g}s: rerun to keep waiting")
        run.clock.sleep(run.poll_s)
        waited += run.poll_s
    key = key_arn(run, region)
    rds.create_db_instance_read_replica(
        DBInstanceIdentifier=name,
        SourceDBInstanceIdentifier=source_arn,
        SourceRegion=writer,
        **({"KmsKeyId": key} if key else {}),
    )
    return f"{name} in {region}: read replica of {writer} created" + (
        f" ({', '.join(notes)})" if notes else ""
    )


def key_arn(run: Run, region: str) -> str | None:
    try:
        return str(run.client("kms", region).describe_key(KeyId=run.name("kms_alias"))["KeyMetadata"]["Arn"])
    except ClientError as err:
        if code_of(err) == "NotFoundException":
            return None
        raise


# -- secret ----------------------------------------------------------------------------------------
def find_secret(run: Run, region: str) -> dict[str, Any] | None:
    """The database secret as `region` lists it (a replica lists with its PrimaryRegion)."""
    wanted = SECRET_DESCRIPTION.format(db=run.name("db_instance"))
    sm = run.client("secretsmanager", region)
    for page in sm.get_paginator("list_secrets").paginate():
        for secret in page["SecretList"]:
            if secret.get("Description") == wanted:
                return dict(sm.describe_secret(SecretId=secret["ARN"]))
    return None


def promote_secret(run: Run, region: str) -> str:
    """StopReplicationToReplica in `region`: its replica becomes a standalone secret."""
    # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_StopReplicationToReplica.html
    secret = find_secret(run, region)
    if secret is None:
        return f"no database secret in {region}"
    if not secret.get("PrimaryRegion") or secret["PrimaryRegion"] == region:
        return f"secret in {region} is already standalone"
    try:
        run.client("secretsmanager", region).stop_replication_to_replica(SecretId=secret["ARN"])
    except ClientError as err:
        if not_implemented(err):
            return f"StopReplicationToReplica in {region}: {NOT_PERFORMED}"
        raise
    return f"secret replica in {region} promoted (StopReplicationToReplica)"


def replicate_secret(run: Run, writer: str, regions: tuple[str, ...]) -> str:
    """Replicas of `writer`'s secret in `regions`, each with its region's key, overwriting the
    standalone copy a promotion left there (ForceOverwriteReplicaSecret)."""
    # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ReplicateSecretToRegions.html
    secret = find_secret(run, writer)
    if secret is None:
        return f"no database secret in {writer}"
    if secret.get("PrimaryRegion") not in (None, writer):
        return (
            f"secret in {writer} is still a replica of {secret['PrimaryRegion']} "
            f"(promote secret not performed): {', '.join(regions)} not re-homed"
        )
    have = {r["Region"] for r in secret.get("ReplicationStatus", [])}
    missing = [r for r in regions if r not in have]
    if not missing:
        return f"secret of {writer} already replicated to {', '.join(regions) or 'no region'}"
    add = [{"Region": r, **({"KmsKeyId": k} if (k := key_arn(run, r)) else {})} for r in missing]
    run.client("secretsmanager", writer).replicate_secret_to_regions(
        SecretId=secret["ARN"], AddReplicaRegions=add, ForceOverwriteReplicaSecret=True
    )
    return f"secret of {writer} replicated to {', '.join(missing)}"


# -- uploads ---------------------------------------------------------------------------------------
def bucket(run: Run, region: str) -> str:
    return run.name("uploads_bucket", region=region, account=run.account())


def replicate_uploads(run: Run, writer: str, regions: tuple[str, ...]) -> str:
    """Replication rules on `writer`'s bucket to each region's bucket (the deploy's plugin sets
    them from the primary; after a failover the new writer needs its own)."""
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketReplication.html
    if not regions:
        return "no other region to replicate to"
    role = f"arn:aws:iam::{run.account()}:role/{run.name('role_replication', region=writer)}"
    rules = []
    for index, region in enumerate(regions, start=1):
        destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{bucket(run, region)}"}
        key = key_arn(run, region)
        if key:
            destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": key}
        rules.append(
            {
                "ID": f"recovery-to-{region}",
                "Priority": index,
                "Status": "Enabled",
                "Filter": {},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": destination,
                "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            }
        )
    s3 = run.client("s3", writer)
    s3.put_bucket_replication(
        Bucket=bucket(run, writer), ReplicationConfiguration={"Role": role, "Rules": rules}
    )
    return f"uploads of {writer} replicate to {', '.join(regions)}"


def copy_missing_uploads(run: Run, source: str, target: str) -> str:
    """Copy the objects `source`'s bucket has and `target`'s lacks (written during the failover)."""
    src, dst = bucket(run, source), bucket(run, target)
    s3_src, s3_dst = run.client("s3", source), run.client("s3", target)
    have = {
        o["Key"]
        for p in s3_dst.get_paginator("list_objects_v2").paginate(Bucket=dst)
        for o in p.get("Contents", [])
    }
    copied = 0
    for page in s3_src.get_paginator("list_objects_v2").paginate(Bucket=src):
        for obj in page.get("Contents", []):
            if obj["Key"] in have:
                continue
            body = s3_src.get_object(Bucket=src, Key=obj["Key"])["Body"].read()
            key = key_arn(run, target)
            extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key} if key else {}
            s3_dst.put_object(Bucket=dst, Key=obj["Key"], Body=body, **extra)
            copied += 1
    return f"{copied} upload(s) copied from {source} to {target}"


# -- queues ----------------------------------------------------------------------------------------
def queue_url(run: Run, key: str, region: str) -> str | None:
    try:
        return str(run.client("sqs", region).get_queue_url(QueueName=run.name(key))["QueueUrl"])
    except ClientError as err:
        if code_of(err) in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            return None
        raise


def redrive(run: Run, source: str, target: str, keys: tuple[str, ...] = ("queue", "dlq")) -> str:
    """Move every message left in `source`'s payment queue and DLQ (`keys`) to `target`'s queue.

    Sent before deleted: a rerun after an interruption may send one message twice, which the
    ledger's conditional put turns into a duplicate answer, never a second charge.
    """
    dest = queue_url(run, "queue", target)
    if dest is None:
        raise RunbookError(f"no payment queue {run.name('queue')} in {target}")
    counts = {}
    for key in keys:
        url = queue_url(run, key, source)
        moved = 0
        while url:
            got = (
                run.client("sqs", source)
                .receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, MessageAttributeNames=["All"]
                )
                .get("Messages", [])
            )
            if not got:
                break
            for message in got:
                attrs = message.get("MessageAttributes") or {}
                run.client("sqs", target).send_message(
                    QueueUrl=dest,
                    MessageBody=message["Body"],
                    **({"MessageAttributes": attrs} if attrs else {}),
                )
                run.client("sqs", source).delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
        counts[key] = moved
    total = int(run.state.get("redriven", 0)) + sum(counts.values())
    run.state["redriven"] = total
    queue, dlq = counts.get("queue", 0), counts.get("dlq", 0)
    return f"redriven to {target}: {queue} from the queue, {dlq} from the DLQ (run total {total})"


# -- validate, notify --------------------------------------------------------------------------------
def validate(run: Run) -> str:
    if run.prober is None:
        return f"synthetic payment in {run.target}: not performed (no prober)"
    return f"synthetic payment in {run.target}: {run.prober(run.target)}"


def notify(run: Run, timeline: list[dict[str, Any]]) -> str:
    """SNS Publish of the timeline to the target's alarm topic (the surviving region's alerting)."""
    # https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
    topic = f"arn:aws:sns:{run.target}:{run.account()}:{run.name('alarm_topic')}"
    if run.state.get("notified"):
        return f"already published to {topic}"
    subject = f"{run.kind} {run.source} -> {run.target} ({'planned' if run.planned else 'unplanned'})"
    run.client("sns", run.target).publish(
        TopicArn=topic, Subject=subject[:100], Message=json.dumps({"summary": subject, "timeline": timeline})
    )
    run.state["notified"] = True
    return f"published to {topic}"
