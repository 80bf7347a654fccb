"""Give `AWS::Lambda::Permission` a physical ID and a deletion.

moto 5.2.5's model adds the statement to the function's policy but returns an object with no
ID (DescribeStackResources shows none, so nothing can find the statement again) and has no
delete: the statement outlives the stack. Here the statement ID is the physical ID (as in
CloudFormation, where it is a generated `<stack>-<LogicalId>-<suffix>` name) and deletion
removes it from the function's policy.
"""

from __future__ import annotations

import json
from typing import Any

from localaws._moto import lambda_backends
from localaws.patching import EmulatorModel, Patcher


class PermissionModel(EmulatorModel):
    def __init__(self, function_name: str, statement_id: str) -> None:
        self.function_name = function_name
        self.physical_resource_id = statement_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Permission"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> PermissionModel:
        p = dict(cloudformation_json["Properties"])
        statement_id = resource_name[:100]
        function = lambda_backends[account_id][region_name].get_function(p["FunctionName"])
        function.policy.add_statement(raw=json.dumps({**p, "StatementId": statement_id}))
        return cls(p["FunctionName"], statement_id)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = lambda_backends[account_id][region_name]
        try:
            function = backend.get_function(self.function_name)
        except Exception:  # the function went first, with its policy
            return
        if function.policy and any(
            s.get("Sid") == self.physical_resource_id for s in function.policy.statements
        ):
            function.policy.del_statement(self.physical_resource_id)


def apply(patcher: Patcher) -> None:
    patcher.register_models((PermissionModel,))
