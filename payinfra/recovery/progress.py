"""The runbook's lock and progress record, in the TARGET region's SSM (not on the caller's machine).

Lock: PutParameter with Overwrite=False, which fails with ParameterAlreadyExists when someone holds
it (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html). Its
value is a lease (owner, expiry); an expired lease is taken over, and the takeover is reported.
Progress: JSON of the run (id, kind, from/to, planned), each step's start, end and detail, and the
state the steps chose (the epoch written), so a rerun after an interruption resumes the same run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from payinfra.recovery.runtime import Run, RunbookError, code_of

LEASE_S = 3600.0


@dataclass(frozen=True)
class Lease:
    owner: str
    expires: float

    def encode(self) -> str:
        return json.dumps({"owner": self.owner, "expires": self.expires})

    @classmethod
    def decode(cls, text: str) -> Lease:
        try:
            data = json.loads(text)
            return cls(str(data["owner"]), float(data["expires"]))
        except (ValueError, KeyError, TypeError):
            return cls("unreadable lock", 0.0)


class LockHeld(RunbookError):
    pass


def acquire(run: Run, owner: str) -> str:
    """Take the lock in the target region; ours already (a rerun) or expired: take it over."""
    ssm = run.client("ssm", run.target)
    name = run.name("runbook_lock_parameter")
    lease = Lease(owner, run.clock.now() + LEASE_S)
    try:
        ssm.put_parameter(Name=name, Value=lease.encode(), Type="String", Overwrite=False)
        return f"lock {name} taken in {run.target} by {owner}"
    except ClientError as err:
        if code_of(err) != "ParameterAlreadyExists":
            raise
    held = Lease.decode(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    if held.owner == owner:
        ssm.put_parameter(Name=name, Value=lease.encode(), Type="String", Overwrite=True)
        return f"lock {name} in {run.target} already ours ({owner}): renewed"
    if held.expires > run.clock.now():
        raise LockHeld(
            f"the runbook lock {name} in {run.target} is held by {held.owner} until "
            f"{held.expires:.0f} (epoch s): wait, or rerun that run's command to resume it"
        )
    ssm.put_parameter(Name=name, Value=lease.encode(), Type="String", Overwrite=True)
    return f"lock {name} in {run.target}: expired lease of {held.owner} taken over by {owner}"


def release(run: Run, owner: str) -> str:
    ssm = run.client("ssm", run.target)
    name = run.name("runbook_lock_parameter")
    try:
        held = Lease.decode(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    except ClientError as err:
        if code_of(err) == "ParameterNotFound":
            return f"lock {name} already released"
        raise
    if held.owner != owner:
        return f"lock {name} now held by {held.owner}: left alone"
    ssm.delete_parameter(Name=name)
    return f"lock {name} released"


def holder(run: Run) -> Lease | None:
    try:
        value = run.client("ssm", run.target).get_parameter(Name=run.name("runbook_lock_parameter"))
    except ClientError as err:
        if code_of(err) == "ParameterNotFound":
            return None
        raise
    return Lease.decode(value["Parameter"]["Value"])


def load(run: Run) -> dict[str, Any] | None:
    """The target's progress record, or None."""
    try:
        value = run.client("ssm", run.target).get_parameter(Name=run.name("runbook_progress_parameter"))
    except ClientError as err:
        if code_of(err) == "ParameterNotFound":
            return None
        raise
    try:
        record = json.loads(value["Parameter"]["Value"])
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def save(run: Run, record: dict[str, Any]) -> None:
    """Standard parameters hold 4 KB, advanced 8 KB; the record is a few hundred bytes per step."""
    # https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html
    text = json.dumps(record, separators=(",", ":"))
    tier = "Standard" if len(text) <= 4096 else "Advanced"
    run.client("ssm", run.target).put_parameter(
        Name=run.name("runbook_progress_parameter"), Value=text, Type="String", Overwrite=True, Tier=tier
    )
