"""Where the DynamoDB global-table rules hook: the `AWS::DynamoDB::GlobalTable` model.

moto has no model for the type; the emulator's own (`services/dynamodb/tables.py`) creates the replicas.
A rule wraps its creation (which CloudFormation updates also go through), so a refused table
fails the stack before any replica exists, as on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws.patching import Patcher
from localaws.services.dynamodb.tables import GlobalTableModel

PropertiesCheck = Callable[[dict[str, Any]], None]


def consistency(properties: dict[str, Any]) -> str:
    """`MultiRegionConsistency`: EVENTUAL (the default) or STRONG."""
    return str(properties.get("MultiRegionConsistency") or "EVENTUAL").upper()


def wrap_global_table(patcher: Patcher, check: PropertiesCheck) -> None:
    def wrapper(original: Callable[..., GlobalTableModel]) -> Callable[..., GlobalTableModel]:
        def create(resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kw: Any) -> Any:
            check(cloudformation_json.get("Properties") or {})
            return original(resource_name, cloudformation_json, *args, **kw)

        return create

    patcher.wrap_classmethod(GlobalTableModel, "create_from_cloudformation_json", wrapper)
