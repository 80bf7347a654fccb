"""CloudFormation documents: read a template (YAML with short-form tags) into plain data.

Kept apart from the renderer so that deploy, plugins and gates can read templates without
importing the rendering machinery.
"""

from __future__ import annotations

from typing import Any

import yaml


class CfnDocumentError(ValueError):
    """A template is not parseable YAML, or not a mapping."""


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types: SafeLoader is Any
    """YAML loader that accepts CloudFormation short-form tags (`!Ref`, `!Sub`, ...)."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_cfn_yaml(text: str, source: str = "<template>") -> dict[str, Any]:
    """Parse a rendered template into plain dicts (short tags become `Fn::X` keys)."""
    try:
        document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as err:
        raise CfnDocumentError(f"{source}: YAML does not parse: {err}") from None
    if not isinstance(document, dict):
        raise CfnDocumentError(f"{source}: YAML is not a mapping")
    return document
