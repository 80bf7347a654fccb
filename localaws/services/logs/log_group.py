"""Keep a CloudFormation log group's `KmsKeyId`.

moto 5.2.5's `AWS::Logs::LogGroup` model hands the template's properties to the LogGroup, which
reads the key as `kmsKeyId` (the API's spelling) where CloudFormation says `KmsKeyId`: the
group is created unencrypted, and DescribeLogGroups shows no key although the template set
the region's CMK (the flow-log, WAF, ECS and Lambda groups here all do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import LogGroup
from localaws.patching import Patcher


def _with_api_key_name(original: Callable[..., LogGroup]) -> Callable[..., LogGroup]:
    def create(
        resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> LogGroup:
        properties = cloudformation_json.setdefault("Properties", {})
        if "KmsKeyId" in properties:
            properties["kmsKeyId"] = properties.pop("KmsKeyId")
        return original(resource_name, cloudformation_json, *args, **kwargs)

    return create


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(LogGroup, "create_from_cloudformation_json", _with_api_key_name)
