"""Resources a stack's template declares but the stack never created.

On AWS a stack in a `*_COMPLETE` state has created every unconditional resource of its template.
Some backends report success while skipping resource types they do not implement (moto skips
WAFv2, CloudWatch alarms and more: docs/local-aws.md). Comparing the processed
template with the stack's resource list detects that, so `verify` can say "not performed by this
backend" instead of "broken" for those promises, from observed state alone.
"""

from __future__ import annotations

from typing import Any

from payinfra.cfn import load_cfn_yaml
from payinfra.plugins.api import PluginContext


def _template(cfn: Any, stack_name: str) -> dict[str, Any]:
    body = cfn.get_template(StackName=stack_name, TemplateStage="Processed")["TemplateBody"]
    return body if isinstance(body, dict) else load_cfn_yaml(body, stack_name)


def skipped_resources(pc: PluginContext, role: str, *resource_types: str) -> list[str]:
    """Logical ids of unconditional resources of `resource_types` declared but absent from the stack.

    One template read and one resource listing, however many types are asked for.
    """
    stack = pc.stacks[role]
    cfn = pc.client("cloudformation", stack.region)
    resources = _template(cfn, stack.name).get("Resources") or {}
    declared = {
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") in resource_types and "Condition" not in resource
    }
    if not declared:
        return []
    created = {
        summary["LogicalResourceId"]
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack.name)
        for summary in page["StackResourceSummaries"]
    }
    return sorted(declared - created)
