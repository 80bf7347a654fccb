"""The deployment's shape, derived once from the context: regions and roles, the pairs between
them, its stacks and their order, the files they are rendered to (`model`), every resource name
(`names`) and every stack output name (`outputs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from payinfra.topology.model import (
    GLOBAL_OUTPUT,
    PEERING_OUTPUT,
    REGIONAL_OUTPUTS,
    SAMCONFIG_OUTPUT,
    Pair,
    Peering,
    PeeringMode,
    RegionNode,
    Relation,
    Role,
    Stack,
    Topology,
    peering_key,
)

if TYPE_CHECKING:  # config imports topology.names: a runtime import here would be a cycle
    from payinfra.config.model import Context

__all__ = [
    "GLOBAL_OUTPUT",
    "PEERING_OUTPUT",
    "REGIONAL_OUTPUTS",
    "SAMCONFIG_OUTPUT",
    "Pair",
    "Peering",
    "PeeringMode",
    "RegionNode",
    "Relation",
    "Role",
    "Stack",
    "Topology",
    "peering_key",
    "stacks",
]


def stacks(ctx: Context) -> list[Stack]:
    """The project's stacks in dependency order (the regions, then peering, then global)."""
    return list(Topology.from_context(ctx).stacks)
