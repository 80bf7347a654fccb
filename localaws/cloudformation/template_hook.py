"""One hook through which fixes rewrite a template before moto's CloudFormation parses it.

Real CloudFormation processes a template (macros such as the SAM transform, then intrinsics
such as `Fn::GetStackOutput`) before it plans resources; moto does neither. Every entry point
that accepts a template body (CreateStack, CreateChangeSet, UpdateStack) goes through the
backend methods wrapped here, so a processor sees the template exactly once per request, with
the stack name, region, account and the parameter values of that request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localaws._moto import CloudFormationBackend, Stack, ValidationError
from localaws.patching import Patcher


@dataclass(frozen=True)
class TemplateContext:
    """What a processor may need about the request that carries the template."""

    backend: CloudFormationBackend
    stack_name: str
    parameters: dict[str, Any]

    @property
    def region(self) -> str:
        return self.backend.region_name

    @property
    def account_id(self) -> str:
        return self.backend.account_id

    def parameter_values(self, template: dict[str, Any]) -> dict[str, Any]:
        """Template defaults, overridden by the request's values, plus the pseudo parameters."""
        values: dict[str, Any] = {
            name: spec["Default"]
            for name, spec in (template.get("Parameters") or {}).items()
            if isinstance(spec, dict) and "Default" in spec
        }
        values.update(self.parameters)
        values.update(
            {
                "AWS::Region": self.region,
                "AWS::AccountId": self.account_id,
                "AWS::Partition": "aws",
                "AWS::StackName": self.stack_name,
                "AWS::URLSuffix": "amazonaws.com",
            }
        )
        return values


Processor = Callable[[dict[str, Any], TemplateContext], dict[str, Any]]


def parse_template(body: str) -> dict[str, Any]:
    """Parse a YAML or JSON body the way moto does (short-form tags become `Fn::` dicts)."""
    try:
        parsed = Stack.parse_template(body)
    except Exception as exc:
        raise ValidationError(message=f"Template format error: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValidationError(message="Template format error: the template is not a mapping")
    return parsed


def _process(body: str | dict[str, Any], context: TemplateContext, processor: Processor) -> str:
    template = parse_template(body) if isinstance(body, str) else body
    try:
        processed = processor(template, context)
    except ValidationError:
        raise
    except Exception as exc:  # an answer the client can read, never an HTTP 500 page
        raise ValidationError(
            message=f"The local emulator could not process the template: {type(exc).__name__}: {exc}"
        ) from exc
    return json.dumps(processed, default=str)


def install(patcher: Patcher, processor: Processor) -> None:
    """Run `processor` on the template of every CreateStack, CreateChangeSet and UpdateStack."""
    create_stack = CloudFormationBackend.create_stack
    create_change_set = CloudFormationBackend.create_change_set
    update_stack = CloudFormationBackend.update_stack

    def patched_create_stack(
        self: CloudFormationBackend, name: str, template: str, parameters: dict[str, Any], *a: Any, **kw: Any
    ) -> Stack:
        body = _process(template, TemplateContext(self, name, dict(parameters)), processor)
        return create_stack(self, name, body, parameters, *a, **kw)

    def patched_create_change_set(
        self: CloudFormationBackend,
        stack_name: str,
        change_set_name: str,
        template: str,
        parameters: dict[str, Any],
        *a: Any,
        **kw: Any,
    ) -> tuple[str, str]:
        body = _process(template, TemplateContext(self, stack_name, dict(parameters)), processor)
        return create_change_set(self, stack_name, change_set_name, body, parameters, *a, **kw)

    def patched_update_stack(
        self: CloudFormationBackend,
        name: str,
        template: str,
        role_arn: str | None,
        parameters: list[dict[str, Any]],
        *a: Any,
        **kw: Any,
    ) -> Stack:
        previous = self.get_stack(name).stack_parameters
        values = {
            p["ParameterKey"]: previous.get(p["ParameterKey"])
            if p.get("UsePreviousValue")
            else p.get("ParameterValue")
            for p in parameters
        }
        body = _process(template, TemplateContext(self, name, values), processor)
        return update_stack(self, name, body, role_arn, parameters, *a, **kw)

    patcher.replace(CloudFormationBackend, "create_stack", patched_create_stack)
    patcher.replace(CloudFormationBackend, "create_change_set", patched_create_change_set)
    patcher.replace(CloudFormationBackend, "update_stack", patched_update_stack)
