"""Checks before anything is changed: rendered files current, AWS reachable, stacks updatable."""

from __future__ import annotations

from pathlib import Path

from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from payinfra.config import Context
from payinfra.deploy.errors import OrchestrationError
from payinfra.plugins.aws import RegionalSessions, endpoint_description, error_code, error_message
from payinfra.plugins.outputs import OutputsProvider
from payinfra.render.renderer import ROOT, RenderError, Stack, render_all, stale_files

# States from which `sam deploy` cannot proceed.
BLOCKING_STATES = {
    "ROLLBACK_COMPLETE": "its creation never completed: delete it first (python -m payinfra destroy)",
    "ROLLBACK_FAILED": "it must be deleted first (python -m payinfra destroy)",
    "DELETE_FAILED": "a deletion failed: finish it with python -m payinfra destroy",
    "UPDATE_ROLLBACK_FAILED": "continue the rollback in the CloudFormation console or with "
    "`aws cloudformation continue-update-rollback`",
}


def check_rendered(ctx: Context, root: Path = ROOT) -> None:
    """`python render.py --check` semantics: deploy exactly what is committed."""
    try:
        stale = stale_files(render_all(ctx), root)
    except RenderError as err:
        raise OrchestrationError(f"render error: {err}") from None
    if stale:
        raise OrchestrationError(
            "rendered files are stale against templates/ and the context: "
            f"{', '.join(stale)}; run `python render.py` (with the same --suffix/--set) and commit"
        )


def check_credentials(sessions: RegionalSessions, region: str) -> str:
    """The account id, or a clear error about credentials or the endpoint."""
    try:
        return str(sessions.client("sts", region).get_caller_identity()["Account"])
    except (NoCredentialsError, PartialCredentialsError):
        raise OrchestrationError(
            "no AWS credentials found (default chain: environment variables, AWS_PROFILE/~/.aws, SSO, "
            "instance or container role). Configure them (`aws configure`, `aws sso login`, or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or run against the local emulator: "
            "python -m payinfra local"
        ) from None
    except EndpointConnectionError as err:
        raise OrchestrationError(f"cannot reach AWS ({endpoint_description()}): {err}") from None
    except ClientError as err:
        code = error_code(err)
        hint = (
            " (expired or invalid credentials: refresh them)"
            if "Token" in code or "Signature" in code
            else ""
        )
        raise OrchestrationError(f"AWS rejected the credentials: {error_message(err)}{hint}") from None


def check_stack_states(outputs: OutputsProvider, stacks: list[Stack]) -> None:
    problems = []
    for stack in stacks:
        current = outputs.existing(stack)
        if current is None:
            continue
        if current.status in BLOCKING_STATES:
            problems.append(
                f"{stack.name} ({stack.region}) is {current.status}: {BLOCKING_STATES[current.status]}"
            )
        elif current.status.endswith("_IN_PROGRESS"):
            problems.append(f"{stack.name} ({stack.region}) is {current.status}: wait for it to finish")
    if problems:
        raise OrchestrationError("cannot deploy:\n  " + "\n  ".join(problems))
