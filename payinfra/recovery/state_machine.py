"""The Step Functions definition of the failover, generated from the same step list as the CLI.

A step with SDK calls becomes Task states `arn:aws:states:::aws-sdk:<service>:<apiAction>`
(https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html: parameters
in PascalCase as the SDK names them, e.g. RDS `DbInstanceIdentifier`); a step without them is a
Pass state whose result says it is not expressible as SDK calls (it calls other regions, waits on
the handler cache, or probes), so the CLI (or an operator) performs it. SDK tasks call their own
region: the state machine lives in every secondary region and acts there. Names come from the
execution input (`execution_input`), so the definition holds no environment-specific value.

moto runs `aws-sdk` tasks with botocore's parameter names (`DBInstanceIdentifier`):
`definition(for_moto=True)` renames them for the local AWS.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from payinfra.config import Context
from payinfra.recovery.active import ActiveState
from payinfra.recovery.steps import FAILOVER, SdkCall, Step

NOT_EXPRESSIBLE = "not expressible as SDK calls"
# Step Functions' SDK names that differ from botocore's (the only ones the steps use).
MOTO_NAMES = {"DbInstanceIdentifier": "DBInstanceIdentifier"}


def _state_name(index: int, step: Step, call: SdkCall | None = None) -> str:
    base = f"{index:02d} {step.name}"
    return f"{base}: {call.service}.{call.action}" if call else base


def _rename(value: Any, for_moto: bool) -> Any:
    if not for_moto:
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            bare, dollar = (key[:-2], ".$") if key.endswith(".$") else (key, "")
            out[MOTO_NAMES.get(bare, bare) + dollar] = _rename(item, for_moto)
        return out
    if isinstance(value, list):
        return [_rename(item, for_moto) for item in value]
    return value


def definition(steps: tuple[Step, ...] = FAILOVER, *, for_moto: bool = False) -> dict[str, Any]:
    """Amazon States Language: each step's states in order, ending in Succeed."""
    states: dict[str, Any] = {}
    chain: list[str] = []
    for index, step in enumerate(steps, start=1):
        if not step.sdk:
            name = _state_name(index, step)
            states[name] = {
                "Type": "Pass",
                "Comment": f"{step.summary}: {NOT_EXPRESSIBLE}",
                "Result": {"step": step.name, "status": f"not performed: {NOT_EXPRESSIBLE}"},
                "ResultPath": f"$.not_performed.{re.sub(r'[^a-z0-9]+', '_', step.name)}",
            }
            chain.append(name)
            continue
        for call in step.sdk:
            name = _state_name(index, step, call)
            states[name] = {
                "Type": "Task",
                "Comment": step.summary,
                "Resource": f"arn:aws:states:::aws-sdk:{call.service}:{call.action}",
                "Parameters": _rename(call.parameters, for_moto),
                "ResultPath": None,  # keep the execution input for the next state
            }
            chain.append(name)
    for current, following in pairwise(chain):
        states[current]["Next"] = following
    states[chain[-1]]["Next"] = "done"
    states["done"] = {"Type": "Succeed"}
    return {
        "Comment": "Failover to this region, generated from payinfra.recovery.steps (see state_machine.py)",
        "StartAt": chain[0],
        "States": states,
    }


def definition_json(for_moto: bool = False) -> str:
    return json.dumps(definition(for_moto=for_moto), sort_keys=True, separators=(",", ":"))


def sdk_actions(steps: tuple[Step, ...] = FAILOVER) -> list[tuple[str, str]]:
    """(service, action) of every Task: what the state machine's role must allow."""
    return [(call.service, call.action) for step in steps for call in step.sdk]


def execution_input(
    ctx: Context, *, region: str, account: str, active: ActiveState, run_id: str, lease_expires: float
) -> dict[str, Any]:
    """The names and values the Task states read (JSONPath `$.<key>`): the next active record and
    the lock's lease are computed by the caller (ASL has no clock arithmetic worth trusting)."""
    names = ctx.names
    return {
        "run_id": run_id,
        "environment": ctx.project.suffix,
        "ledger_table": names.concrete("ledger_table"),
        "active_region": active.active,
        "active_epoch": str(active.epoch),
        "written_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lock_parameter": names.concrete("runbook_lock_parameter"),
        "lock_value": json.dumps({"owner": run_id, "expires": lease_expires}),
        "db_instance": names.concrete("db_instance"),
        "secret_id": "",  # the region's database secret ARN (stack output)
        "alarm_topic": f"arn:aws:sns:{region}:{account}:{names.concrete('alarm_topic')}",
    }
