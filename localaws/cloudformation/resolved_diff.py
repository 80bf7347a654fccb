"""Modify only the resources whose resolved definition changes, as CloudFormation does.

moto 5.2.5 compares the raw template text of each resource: a property rewritten to an intrinsic
that resolves to the same value (a literal CIDR that becomes `!FindInMap [SecondaryRegions,
!Ref AWS::Region, ...]` when a region is added, and back when it is removed) counts as a change,
and for the types moto cannot update in place it deletes the resource and creates a new one: a
new VPC id under a deployed stack, and DescribeStacks failing while outputs point at the
resource being replaced. CloudFormation updates a resource only when what the template resolves
to differs; an unchanged resource "runs without disruption during the update":
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html

The other way round, moto misses a change that is only in a mapping (one secondary's value in the
shared template changes, its resource text does not) and leaves the resource as it was.

Here every resource the update keeps is resolved twice, with the stack's current mappings and
parameters and with the new ones, and modified exactly when the two differ. Only a definition
whose references are all to resources already created is resolved (resolving a reference to a
new resource would create it early); any other stays as moto decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from localaws._moto import cfn_parsing
from localaws.patching import Patcher

ResourceDiff = Callable[..., dict[str, Any]]
# Keys of a resource definition that take no intrinsic: compared as written.
_LITERAL = ("Type", "Condition", "DependsOn", "DeletionPolicy", "UpdateReplacePolicy", "UpdatePolicy")


def _names(value: Any) -> Iterator[str]:
    """The logical names a definition refers to (Ref, Fn::GetAtt, ${X} in Fn::Sub)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".", 1)[0]
                yield str(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                if isinstance(text, str):
                    yield from (part.split("}", 1)[0].split(".", 1)[0] for part in text.split("${")[1:])
            yield from _names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _names(inner)


def _resolvable(resource_map: Any, definition: dict[str, Any]) -> bool:
    parsed = resource_map._parsed_resources
    resources = resource_map._resource_json_map
    return all(name in parsed or name not in resources for name in _names(definition))


def _resolved(resource_map: Any, definition: dict[str, Any]) -> Any:
    literal = {key: definition.get(key) for key in _LITERAL}
    properties = cfn_parsing.clean_json(definition.get("Properties", {}), resource_map)
    return literal, properties


@contextmanager
def _evaluated_with(
    resource_map: Any, template: dict[str, Any], parameters: dict[str, Any] | None
) -> Iterator[None]:
    """The map's mappings, parameters and conditions as `template` defines them, for the block."""
    saved = (resource_map._template, resource_map.input_parameters)
    resource_map._template = template
    if parameters:
        resource_map.input_parameters = parameters
    try:
        resource_map.load_mapping()
        resource_map.load_parameters()
        resource_map.load_conditions()
        yield
    finally:
        resource_map._template, resource_map.input_parameters = saved
        resource_map.load_mapping()
        resource_map.load_parameters()
        resource_map.load_conditions()


def wrap(original: ResourceDiff) -> ResourceDiff:
    def build_resource_diff(
        self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        by_action = original(self, other_template, parameters)
        new = other_template.get("Resources", {})
        # Every resource kept by the update whose both definitions can be resolved: moto's own
        # Modify list misses a resource whose text is unchanged but whose mapping value changed.
        kept = [
            name
            for name in new
            if name in self._resource_json_map
            and name in self._parsed_resources
            and _resolvable(self, self._resource_json_map[name])
            and _resolvable(self, new[name])
        ]
        if not kept:
            return by_action
        try:
            before = {name: _resolved(self, self._resource_json_map[name]) for name in kept}
            with _evaluated_with(self, other_template, parameters):
                after = {name: _resolved(self, new[name]) for name in kept}
        except Exception:  # anything unresolvable stays as moto had it
            return by_action
        changed = {name for name in kept if before[name] != after[name]}
        unresolved = [name for name in by_action.get("Modify", []) if name not in kept]
        modify = [name for name in new if name in changed or name in unresolved]
        return {**by_action, "Modify": modify}

    return build_resource_diff


def apply(patcher: Patcher) -> None:
    resource_map = cfn_parsing.ResourceMap
    patcher.replace(resource_map, "build_resource_diff", wrap(resource_map.build_resource_diff))
