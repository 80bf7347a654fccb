"""The Step Functions definition comes from the same step list and its SDK tasks run on moto."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from localaws.testing import fixes_applied, mock_aws
from payinfra.config import load_context
from payinfra.recovery.active import ACTIVE_RECORD_KEY, ActiveState
from payinfra.recovery.state_machine import NOT_EXPRESSIBLE, definition, execution_input, sdk_actions
from payinfra.recovery.steps import FAILOVER
from tests.recovery.conftest import build


def test_every_step_is_a_state_in_order() -> None:
    states = definition()["States"]
    prefixes = sorted({name.split(":")[0] for name in states if name != "done"})
    assert prefixes == [f"{i:02d} {s.name}" for i, s in enumerate(FAILOVER, start=1)]
    passes = [n for n, s in states.items() if s["Type"] == "Pass"]
    assert all(NOT_EXPRESSIBLE in states[n]["Comment"] for n in passes)
    assert "02 drain old primary" in passes and "06 validate" in passes
    promote = states["04 promote database: rds.promoteReadReplica"]
    assert promote["Resource"] == "arn:aws:states:::aws-sdk:rds:promoteReadReplica"
    assert "DbInstanceIdentifier.$" in promote["Parameters"]
    assert (
        "DBInstanceIdentifier.$"
        in definition(for_moto=True)["States"]["04 promote database: rds.promoteReadReplica"]["Parameters"]
    )
    assert ("secretsmanager", "stopReplicationToReplica") in sdk_actions()


def test_sdk_states_run_on_the_local_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto runs aws-sdk tasks only with config stepfunctions.execute_state_machine (its
    stepfunctions/responses.py); states it cannot run are reported not performed."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        fixes_applied("unimplemented", "dynamodb", "dynamodb_global_tables"),
    ):
        world = build(load_context())
        ctx, region = world.ctx, "us-east-2"
        sfn = boto3.client("stepfunctions", region_name=region)
        arn = sfn.create_state_machine(
            name=ctx.names.concrete("state_machine"),
            definition=json.dumps(definition(for_moto=True)),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        record = ActiveState(region, 1)
        given = execution_input(
            ctx,
            region=region,
            account="123456789012",
            active=record,
            run_id="sfn-run",
            lease_expires=time.time() + 3600,
        )
        secret = boto3.client("secretsmanager", region_name=region).list_secrets()["SecretList"][0]
        given["secret_id"] = secret["ARN"]
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(given))["executionArn"]
        for _ in range(200):
            status = sfn.describe_execution(executionArn=execution)["status"]
            if status != "RUNNING":
                break
            time.sleep(0.05)
        history = sfn.get_execution_history(executionArn=execution)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        ssm = boto3.client("ssm", region_name=region)
        item = boto3.client("dynamodb", region_name=region).get_item(
            TableName=given["ledger_table"], Key=ACTIVE_RECORD_KEY, ConsistentRead=True
        )["Item"]
        assert ActiveState.from_item(item) == record
        assert item["written_in"] == {"S": region}
        db = boto3.client("rds", region_name=region).describe_db_instances()["DBInstances"][0]
        assert "04 promote database: rds.promoteReadReplica" in entered
        if status == "FAILED":  # StopReplicationToReplica: not performed by this backend
            assert entered[-1] == "05 promote secret: secretsmanager.stopReplicationToReplica"
            pytest.skip(
                "StopReplicationToReplica not performed by this backend (moto lacks it); "
                f"states before it ran: {entered[:-1]}; db {db['DBInstanceIdentifier']}"
            )
        assert status == "SUCCEEDED"
        assert not ssm.get_parameters(Names=[given["lock_parameter"]])["Parameters"]
