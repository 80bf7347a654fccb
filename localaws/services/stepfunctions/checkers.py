"""Step Functions state machines described through the Step Functions API.

A state machine's physical ID is its ARN (CloudFormation's `Ref`); DescribeStateMachine answers
StateMachineDoesNotExist once it is deleted.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html
"""

from __future__ import annotations

from localaws.describing import Clients, Missing, ServiceCheckers

SERVICE = ServiceCheckers("stepfunctions")


@SERVICE.describes("AWS::StepFunctions::StateMachine")
def state_machine(c: Clients, pid: str) -> str:
    machine = c("stepfunctions").describe_state_machine(stateMachineArn=pid)
    if machine.get("status") == "DELETING":
        raise Missing(f"state machine {pid} is being deleted")
    return f"{machine['name']} {machine.get('type', 'STANDARD')} {machine.get('status', '')}".rstrip()
