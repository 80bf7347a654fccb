"""Store a CloudFormation KMS key's `KeyPolicy` as the JSON document KMS keeps.

CloudFormation accepts `KeyPolicy` as a JSON object; moto 5.2.5's `Key` model passes that dict
straight to `create_key`, so the key holds a dict where KMS holds a string and DescribeKey /
GetKeyPolicy answer HTTP 500. It also hands CloudFormation's `Tags` (`Key`/`Value`) to KMS's
tagger, which wants `TagKey`/`TagValue`: any tagged key fails with KeyError. Stack deletion
also removed the key at once; CloudFormation
schedules it for deletion after `PendingWindowInDays` (7-30, default 30), as done here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localaws._moto import Key, kms_backends
from localaws.patching import Patcher


def _create(original: Callable[..., Key]) -> Callable[..., Key]:
    def create(resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any) -> Key:
        properties = cloudformation_json.setdefault("Properties", {})
        if isinstance(properties.get("KeyPolicy"), dict):
            properties["KeyPolicy"] = json.dumps(properties["KeyPolicy"])
        properties["Tags"] = [
            {"TagKey": tag["Key"], "TagValue": tag["Value"]} if "Key" in tag else tag
            for tag in properties.get("Tags", [])
        ]
        key = original(resource_name, cloudformation_json, *args, **kwargs)
        vars(key)["cfn_pending_window_days"] = int(properties.get("PendingWindowInDays", 30))
        return key

    return create


def _schedule_deletion(self: Key, account_id: str, region_name: str) -> None:
    window = getattr(self, "cfn_pending_window_days", 30)
    kms_backends[account_id][region_name].schedule_key_deletion(self.id, window)


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(Key, "create_from_cloudformation_json", _create)
    patcher.replace(Key, "delete", _schedule_deletion)
