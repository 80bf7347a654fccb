"""Refuse a template whose `Fn::FindInMap` names a missing map or key when the stack is requested.

CloudFormation resolves `Fn::FindInMap` while it processes the template: its arguments may only
be literals, `Ref` (to parameters and pseudo parameters) and nested `Fn::FindInMap`
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap.html),
so every lookup is known before a resource is planned. A lookup that misses (the shared secondary
template deployed to a Region its `SecondaryRegions` mapping lacks) fails CreateChangeSet,
CreateStack or UpdateStack with a ValidationError "Template error: Unable to get mapping for
Map::TopLevelKey::SecondLevelKey", and nothing is created. moto 5.2.5 looks up a mapping only
when it creates the resource that uses it: it creates the stack, then rolls it back with a
`KeyError`.

Here every `Fn::FindInMap` in `Conditions`, `Resources` and `Outputs` is looked up before moto
sees the template, whatever `Fn::If` branch it sits in (CloudFormation fails on a miss in the
branch not taken: https://github.com/aws-cloudformation/aws-cloudformation-templates/issues/271;
the message is the one AWS users report, e.g.
https://github.com/aws-quickstart/quickstart-tableau-server/issues/77). A lookup
whose arguments are not known here (a `Ref` to a resource, an SSM-typed parameter, a parameter
with no value) stays as moto has it; so does one with a `DefaultValue` (the
`AWS::LanguageExtensions` form, which returns the default instead of failing:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-findinmap-enhancements.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from localaws._moto import ValidationError
from localaws.patching import Patcher

from . import template_hook

INTRINSIC = "Fn::FindInMap"
CHECKED_SECTIONS = ("Conditions", "Resources", "Outputs")
# A parameter of these types holds a name that CloudFormation resolves later, not the key itself.
_DEFERRED_TYPE_PREFIX = "AWS::SSM::Parameter::Value<"
_MISSING = object()


class _Unknown(Exception):
    """An argument whose value is not known before resources exist: the lookup is left to moto."""


def known_values(template: dict[str, Any], values: Mapping[str, Any]) -> dict[str, str]:
    """Of the parameter and pseudo-parameter `values`, those a key may `Ref`: strings, not SSM-typed."""
    declared = template.get("Parameters") or {}
    deferred = {
        name
        for name, spec in declared.items()
        if isinstance(spec, dict) and str(spec.get("Type", "")).startswith(_DEFERRED_TYPE_PREFIX)
    }
    return {name: value for name, value in values.items() if isinstance(value, str) and name not in deferred}


def _key(argument: Any, mappings: Mapping[str, Any], values: Mapping[str, str]) -> str:
    if isinstance(argument, str | int):
        return str(argument)
    if isinstance(argument, dict) and set(argument) == {"Ref"} and argument["Ref"] in values:
        return values[argument["Ref"]]
    if isinstance(argument, dict) and set(argument) == {INTRINSIC}:
        found = _look_up(argument[INTRINSIC], mappings, values)
        if isinstance(found, str | int):
            return str(found)
    raise _Unknown


def _look_up(arguments: Any, mappings: Mapping[str, Any], values: Mapping[str, str]) -> Any:
    """The value `Fn::FindInMap` returns; ValidationError if a map or key is missing, `_Unknown`
    if an argument cannot be known before resources exist (or a `DefaultValue` is given)."""
    if not isinstance(arguments, list) or len(arguments) != 3:
        raise _Unknown  # the DefaultValue form, or a malformed one moto reports as before
    name, top, second = (_key(argument, mappings, values) for argument in arguments)
    found = _entry(_entry(_entry(mappings, name), top), second)
    if found is _MISSING:
        raise ValidationError(message=f"Template error: Unable to get mapping for {name}::{top}::{second}")
    return found


def _entry(table: Any, key: str) -> Any:
    """`table[key]`, keys compared as text (YAML reads an account ID key as a number)."""
    if isinstance(table, dict):
        for name, value in table.items():
            if str(name) == key:
                return value
    return _MISSING


def check_mappings(template: dict[str, Any], values: Mapping[str, Any]) -> None:
    """Raise CloudFormation's ValidationError for the first `Fn::FindInMap` that misses.

    `values`: the stack's parameter and pseudo-parameter values (`AWS::Region`, ...).
    """
    mappings = template.get("Mappings") or {}
    keys = known_values(template, values)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {INTRINSIC}:
                with suppress(_Unknown):
                    _look_up(node[INTRINSIC], mappings, keys)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for section in CHECKED_SECTIONS:
        walk(template.get(section))


def _checked(template: dict[str, Any], context: template_hook.TemplateContext) -> dict[str, Any]:
    check_mappings(template, context.parameter_values(template))
    return template


def apply(patcher: Patcher) -> None:
    template_hook.install(patcher, _checked)
