"""Resolve `Fn::GetStackOutput` from the outputs of a stack in moto, in any region.

`{"Fn::GetStackOutput": {"StackName": ..., "OutputName": ..., "Region": ...}}` is a real
CloudFormation intrinsic (a weak cross-stack, cross-region reference resolved at create/update
time). moto 5.2.5 does not know it and would pass the dict on as a property value. Here it is
replaced by the referenced output's value before moto parses the template; its arguments may be
literals, `Ref`s to parameters or pseudo parameters, or `Fn::Sub` over those. The result may sit
inside any other intrinsic (`Fn::Split`, `Fn::Sub`, `Fn::Join`...), which moto then evaluates.
"""

from __future__ import annotations

import re
from typing import Any

from localaws._moto import ValidationError, cloudformation_backends
from localaws.patching import Patcher

from . import template_hook

INTRINSIC = "Fn::GetStackOutput"
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def _scalar(value: Any, parameters: dict[str, Any], what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in parameters:
        return str(parameters[value["Ref"]])
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in parameters:
                raise ValidationError(message=f"{INTRINSIC}: {what} uses ${{{name}}}, which is no parameter")
            return str(parameters[name])

        return _SUB_VARIABLE.sub(substitute, value["Fn::Sub"]).replace("${!", "${")
    raise ValidationError(
        message=f"{INTRINSIC}: {what} must be a string, a Ref to a parameter or a Fn::Sub over "
        f"parameters; got {value!r}"
    )


def _output_value(args: Any, context: template_hook.TemplateContext, parameters: dict[str, Any]) -> str:
    if not isinstance(args, dict) or not {"StackName", "OutputName"} <= set(args):
        raise ValidationError(
            message=f"{INTRINSIC} needs a mapping with StackName and OutputName; got {args!r}"
        )
    stack_name = _scalar(args["StackName"], parameters, "StackName")
    output_name = _scalar(args["OutputName"], parameters, "OutputName")
    region = _scalar(args.get("Region", context.region), parameters, "Region")
    backend = cloudformation_backends[context.account_id][region]
    stack = next((s for s in backend.stacks.values() if stack_name in (s.name, s.stack_id)), None)
    if stack is None:
        raise ValidationError(message=f"{INTRINSIC}: stack {stack_name} does not exist in {region}")
    for output in stack.outputs or []:
        if output["OutputKey"] == output_name:
            return str(output["OutputValue"])
    raise ValidationError(message=f"{INTRINSIC}: stack {stack_name} in {region} has no output {output_name}")


def resolve_stack_outputs(
    template: dict[str, Any], context: template_hook.TemplateContext
) -> dict[str, Any]:
    """Return `template` with every `Fn::GetStackOutput` replaced by the output's value."""
    parameters = context.parameter_values(template)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {INTRINSIC}:
                return _output_value(node[INTRINSIC], context, parameters)
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    resolved: dict[str, Any] = walk(template)
    return resolved


def apply(patcher: Patcher) -> None:
    template_hook.install(patcher, resolve_stack_outputs)
