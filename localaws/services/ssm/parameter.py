"""Accept `AWS::SSM::Parameter` `Tags` in the map form CloudFormation documents.

For this one type CloudFormation's `Tags` is a JSON object (`{Name: ..., Environment: ...}`);
moto 5.2.5 hands it to PutParameter, which wants a `[{Key, Value}]` list, and the resource
fails with "TypeError: string indices must be integers". The map becomes the list here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import Parameter
from localaws.patching import Patcher


def _tags_as_list(original: Callable[..., Any]) -> Callable[..., Any]:
    def with_list_tags(*args: Any, **kwargs: Any) -> Any:
        cloudformation_json = args[1] if len(args) > 1 else kwargs["cloudformation_json"]
        properties = cloudformation_json.get("Properties", {})
        if isinstance(properties.get("Tags"), dict):
            properties["Tags"] = [{"Key": k, "Value": str(v)} for k, v in properties["Tags"].items()]
        return original(*args, **kwargs)

    return with_list_tags


def _update_tags_as_list(original: Callable[..., Any]) -> Callable[..., Any]:
    def with_list_tags(
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        _tags_as_list(lambda *a, **k: None)(new_resource_name, cloudformation_json)
        return original(original_resource, new_resource_name, cloudformation_json, *args, **kwargs)

    return with_list_tags


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(Parameter, "create_from_cloudformation_json", _tags_as_list)
    patcher.wrap_classmethod(Parameter, "update_from_cloudformation_json", _update_tags_as_list)
