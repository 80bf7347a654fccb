"""CloudFormation documents: read a template (YAML with short-form tags) into plain data.

Parsing is cfn-flip's (`cfn_tools`), the AWS Labs loader that `cfn-flip` itself uses, so short
tags come out in the long form CloudFormation stores: `!Ref X` -> `{"Ref": "X"}`, `!Sub s` ->
`{"Fn::Sub": "s"}`, `!Condition C` -> `{"Condition": "C"}`, and `!GetAtt A.B` -> `{"Fn::GetAtt":
["A", "B"]}`, the JSON array form (the attribute keeps any further dots, as in
`SourceSecurityGroup.OwnerAlias`), see
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getatt.html
The result is made of plain dicts and lists, so callers can compare and serialise it freely.
One limit of cfn_tools: in the list form `!GetAtt [A, !Ref B]` it keeps the tag's value, `B`, not
`{"Ref": "B"}`; the templates here name attributes literally.

Kept apart from the renderer so that deploy, plugins and gates can read templates without
importing the rendering machinery.
"""

from __future__ import annotations

from typing import Any

import yaml
from cfn_tools import load_yaml


class CfnDocumentError(ValueError):
    """A template is not parseable YAML, or not a mapping."""


def load_cfn_yaml(text: str, source: str = "<template>") -> dict[str, Any]:
    """Parse a rendered template into plain dicts and lists (short tags become long-form keys).

    `source` names the document in the error, e.g. the template's file name.
    """
    try:
        document = load_yaml(text)
    except yaml.YAMLError as err:
        raise CfnDocumentError(f"{_where(source, err)}: YAML does not parse: {_problem(err)}") from None
    except (TypeError, ValueError, AttributeError) as err:
        # cfn_tools raises these for what YAML allows but a template cannot hold: a mapping as
        # a mapping key (TypeError: unhashable), `!GetAtt` given a mapping (AttributeError).
        reason = f"{type(err).__name__}: {err}"
        raise CfnDocumentError(f"{source}: not a CloudFormation document ({reason})") from None
    if not isinstance(document, dict):
        raise CfnDocumentError(f"{source}: YAML is not a mapping")
    plain: dict[str, Any] = _plain(document)
    return plain


def _plain(node: Any) -> Any:
    """cfn_tools' ordered `ODict`s -> plain dicts (insertion order kept), recursively."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    return node


def _where(source: str, err: yaml.YAMLError) -> str:
    """`source:line:column` when PyYAML knows the position (it counts from 0)."""
    mark = getattr(err, "problem_mark", None)
    return f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source


def _problem(err: yaml.YAMLError) -> str:
    """The problem alone, on one line (PyYAML's str() adds a multi-line excerpt with a caret)."""
    parts = [getattr(err, "context", None), getattr(err, "problem", None)]
    words = " ".join(str(part) for part in parts if part) or str(err)
    return " ".join(words.split())
