"""Keep a dotted attribute name whole in the short form `!GetAtt Resource.Attr.Sub`.

moto 5.2.5's YAML constructor splits `!GetAtt Database.Endpoint.Address` on every dot, giving
`["Database", "Endpoint", "Address"]`; its parser then reads only `Endpoint` and fails. In
CloudFormation the logical ID ends at the first dot and the rest is the attribute name
(`["Database", "Endpoint.Address"]`), which is what this processor restores.
"""

from __future__ import annotations

from typing import Any

from localaws.patching import Patcher

from . import template_hook


def join_dotted_attributes(
    template: dict[str, Any], context: template_hook.TemplateContext
) -> dict[str, Any]:
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            getatt = node.get("Fn::GetAtt")
            if (
                len(node) == 1
                and isinstance(getatt, list)
                and len(getatt) > 2
                and all(isinstance(x, str) for x in getatt)
            ):
                return {"Fn::GetAtt": [getatt[0], ".".join(getatt[1:])]}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result: dict[str, Any] = walk(template)
    return result


def apply(patcher: Patcher) -> None:
    template_hook.install(patcher, join_dotted_attributes)
