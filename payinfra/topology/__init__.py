"""The deployment's shape, derived once from the context: its stacks, their regions and roles,
and the files they are rendered to. Names live in `names`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config imports topology.names: a runtime import here would be a cycle
    from payinfra.config.model import Context

REGIONAL_OUTPUTS = {"primary": "template.primary.yaml", "secondary": "template.secondary.yaml"}
PEERING_OUTPUT = "template.peering.yaml"
SAMCONFIG_OUTPUT = "samconfig.toml"


@dataclass(frozen=True)
class Stack:
    """One deployable stack: which template, which region, which samconfig env."""

    role: str  # primary | secondary | peering
    region: str
    template: str
    config_env: str
    name: str


def stacks(ctx: Context) -> list[Stack]:
    """The project's stacks in dependency order (primary, secondary, peering)."""
    p = ctx.project
    names = ctx.names
    return [
        Stack("primary", p.primary_region, REGIONAL_OUTPUTS["primary"], "default",
              names.concrete("stack_primary")),
        Stack("secondary", p.secondary_region, REGIONAL_OUTPUTS["secondary"], p.secondary_region,
              names.concrete("stack_secondary")),
        Stack("peering", p.primary_region, PEERING_OUTPUT, "peering",
              names.concrete("stack_peering")),
    ]
