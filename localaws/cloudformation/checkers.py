"""CloudFormation's own resource types, which no other service describes."""

from __future__ import annotations

from localaws.describing import Clients, Missing, ServiceCheckers

SERVICE = ServiceCheckers("cloudformation")


@SERVICE.describes("AWS::CloudFormation::WaitConditionHandle")
def wait_condition_handle(c: Clients, pid: str) -> str:
    """A handle is only a presigned signal URL: there is no service to ask, only its form to check."""
    if not pid.startswith("https://"):
        raise Missing(f"wait condition handle {pid} is not a signal URL")
    return "signal URL (CloudFormation-internal, no service API)"
