"""Create `AWS::CloudFormation::WaitConditionHandle` resources instead of skipping them.

moto 5.2.5 lists this type among its "null models" and skips it, so a stack resource that
CloudFormation would list (templates use an empty handle as a conditional dependency anchor)
is missing from ListStackResources. A handle has no service behind it: here it is created as
CloudFormation does, as a resource whose physical ID is its presigned signal URL.
"""

from __future__ import annotations

from typing import Any

from localaws._moto import cfn_parsing as parsing
from localaws.patching import EmulatorModel, Patcher

TYPE = "AWS::CloudFormation::WaitConditionHandle"


class WaitConditionHandleModel(EmulatorModel):
    def __init__(self, url: str) -> None:
        self.physical_resource_id = url

    @staticmethod
    def cloudformation_type() -> str:
        return TYPE

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> WaitConditionHandleModel:
        stack_id = kw.get("StackId", "")
        url = (
            f"https://cloudformation-waitcondition-{region_name}.s3.amazonaws.com/{stack_id}/{resource_name}"
        )
        return cls(url)

    def delete(self, account_id: str, region_name: str) -> None:
        """Nothing outside CloudFormation to remove."""


def apply(patcher: Patcher) -> None:
    patcher.replace(parsing, "NULL_MODELS", [t for t in parsing.NULL_MODELS if t != TYPE])
    patcher.register_models((WaitConditionHandleModel,))
