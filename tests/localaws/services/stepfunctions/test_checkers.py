"""Step Functions' describe-checker: a stack's state machine is described by its ARN while the
stack exists and is gone after it."""

from __future__ import annotations

import json
from typing import Any

import boto3

from localaws import check_deleted, take_inventory
from tests.localaws.support import create, emulated

DEFINITION = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Runbook": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": "payments-dev-failover",
                "DefinitionString": json.dumps(DEFINITION),
                "RoleArn": "arn:aws:iam::123456789012:role/payments-dev-state-machine",
            },
        },
    },
}


def test_a_state_machine_is_described_and_gone_after_delete() -> None:
    session = boto3.Session(region_name="us-east-1")
    with emulated() as client:
        create(client, "runbook", TEMPLATE)
        inventory = take_inventory("runbook", session)
        [check] = inventory.checks
        assert check.physical_id is not None
        assert check.physical_id.endswith(":stateMachine:payments-dev-failover")
        assert (check.status, check.detail) == ("describable", "payments-dev-failover STANDARD ACTIVE")

        client("cloudformation").delete_stack(StackName="runbook")
        assert check_deleted(inventory, session) == []


def test_a_state_machine_deleted_behind_the_stack_is_missing() -> None:
    session = boto3.Session(region_name="us-east-1")
    with emulated() as client:
        create(client, "runbook", TEMPLATE)
        [machine] = client("stepfunctions").list_state_machines()["stateMachines"]
        client("stepfunctions").delete_state_machine(stateMachineArn=machine["stateMachineArn"])
        [check] = take_inventory("runbook", session).checks
        assert check.status == "missing"
        assert "StateMachineDoesNotExist" in check.detail
