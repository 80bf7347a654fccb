"""Helpers for the strict-AWS rule tests: moto with the fixes and the rules, per test.

`strict(skip=...)` applies the fixes and every rule except the IDs in `skip` under
`moto.mock_aws`, so each negative test can show the bad request refused with the rule and
accepted by moto without it (the rule is what refuses). Stacks are made the way `sam deploy`
makes them (`deploy`: change set), so a refused resource leaves the stack ROLLBACK_COMPLETE
with the reason in its events, as CloudFormation does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from localaws.order import apply_fixes
from localaws.rules import apply_rules
from localaws.services.awslambda.rules.unreserved_concurrency import set_account_concurrency
from payinfra.cfn import load_cfn_yaml

from ..support import Clients, deploy

ACCOUNT = "123456789012"
ROOT = Path(__file__).resolve().parents[3]
STRICT_OR_NOT = pytest.mark.parametrize("is_strict", [True, False], ids=["strict", "moto-alone"])


@contextmanager
def strict(skip: frozenset[str] | set[str] = frozenset()) -> Iterator[Clients]:
    """moto with the fixes and the rules (except `skip`); yields `client(service, region)`."""
    patcher = apply_rules(apply_fixes(), skip=skip)
    try:
        with mock_aws():
            yield lambda service, region="us-east-1": boto3.client(service, region_name=region)
    finally:
        patcher.revert()
        set_account_concurrency(None)


def strict_unless(is_strict: bool, rule_id: str) -> Any:
    """`strict()` with every rule, or with all but `rule_id` (to show moto alone accepts)."""
    return strict(skip=set() if is_strict else {rule_id})


def refused(call: Any, code: str, rule_id: str) -> str:
    """Run `call()`; assert AWS's error `code` and a message naming the rule; return the message."""
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    assert error["Code"] == code, error
    assert rule_id in error["Message"], error
    return str(error["Message"])


def stack_outcome(
    client: Clients, name: str, template: dict[str, Any], region: str = "us-east-1"
) -> tuple[str, str]:
    """Deploy with a change set; return the stack status and the reasons of its failure events."""
    stack = deploy(client, name, template, region=region)
    events = client("cloudformation", region).describe_stack_events(StackName=name)["StackEvents"]
    reasons = " | ".join(e.get("ResourceStatusReason", "") for e in events if "FAILED" in e["ResourceStatus"])
    return stack["StackStatus"], reasons


def rendered_resources(template: str = "template.primary.yaml") -> dict[str, Any]:
    """The project's rendered template's resources, with `Fn::Sub` of pseudo parameters resolved."""
    text = (ROOT / template).read_text()
    document = load_cfn_yaml(text, template)
    resolved = json.dumps(document["Resources"])
    resolved = resolved.replace("${AWS::Partition}", "aws").replace("${AWS::AccountId}", ACCOUNT)
    resolved = resolved.replace("${AWS::Region}", "us-east-1")
    resources: dict[str, Any] = json.loads(resolved)

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
                return value["Fn::Sub"]
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {name: plain(resource) for name, resource in resources.items()}


def only_resources_of(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {name: r for name, r in resources.items() if r.get("Type") == resource_type}


def has_unresolved(value: Any) -> bool:
    return bool(re.search(r"\$\{|Fn::|'Ref'", json.dumps(value)))
