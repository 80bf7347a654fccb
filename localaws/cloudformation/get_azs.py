"""Resolve `Fn::GetAZs` to the Availability Zones of the stack's own region (or the one named).

moto 5.2.5's `Fn::GetAZs` ignores the stack's region: `{"Fn::GetAZs": ""}` (the usual form,
equivalent to `Ref AWS::Region`) gives `us-east-1a..d` in every region, and
`{"Fn::GetAZs": {"Ref": "AWS::Region"}}` gives names built from the dict. A us-east-2 stack
therefore puts its subnets in us-east-1 zones, where they are the first subnets of their zone
(moto then makes them default subnets, with public IPs on launch).

CloudFormation returns the Region's zones in alphabetical order, only those that have a default
subnet unless none has one; an empty string means the stack's Region
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getavailabilityzones.html).
Here each `Fn::GetAZs` is replaced by that list, read from moto's EC2 backend of the Region,
after the transforms have run and before moto evaluates the other intrinsics (`Fn::Select`).
"""

from __future__ import annotations

from typing import Any

from localaws._moto import ValidationError, ec2_backends
from localaws.patching import Patcher

from . import template_hook

INTRINSIC = "Fn::GetAZs"


def _region(argument: Any, context: template_hook.TemplateContext, parameters: dict[str, Any]) -> str:
    if argument in ("", None):
        return context.region
    if isinstance(argument, str):
        return argument
    if isinstance(argument, dict) and set(argument) == {"Ref"} and argument["Ref"] in parameters:
        return str(parameters[argument["Ref"]]) or context.region
    raise ValidationError(
        message=f"Template error: {INTRINSIC} takes a Region name, an empty string or a Ref to "
        f"AWS::Region or a parameter; got {argument!r}"
    )


def availability_zones(account_id: str, region: str) -> list[str]:
    """The zones `Fn::GetAZs` lists: those with a default subnet, else all; alphabetical."""
    try:
        backend = ec2_backends[account_id][region]
    except KeyError:
        raise ValidationError(message=f"Template error: {INTRINSIC}: {region!r} is not a Region") from None
    zones = sorted(zone.name for zone in backend.describe_availability_zones())
    with_default = {
        subnet.availability_zone
        for subnets in backend.subnets.values()
        for subnet in subnets.values()
        if subnet.default_for_az
    }
    return [zone for zone in zones if zone in with_default] or zones


def resolve_get_azs(template: dict[str, Any], context: template_hook.TemplateContext) -> dict[str, Any]:
    """Return `template` with every `Fn::GetAZs` replaced by its list of zones."""
    parameters = context.parameter_values(template)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if set(node) == {INTRINSIC}:
                return availability_zones(context.account_id, _region(node[INTRINSIC], context, parameters))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    resolved: dict[str, Any] = walk(template)
    return resolved


def apply(patcher: Patcher) -> None:
    template_hook.install(patcher, resolve_get_azs)
