"""One region seen from its own stack: its settings, its peer's, and what its role implies.

The role decides three things the data of every concern depends on (primary or not, a read
replica or not, which region is the peer), so it is decided once here.
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.config.model import Context, Project, Region
from payinfra.topology.names import Names


@dataclass(frozen=True)
class Site:
    """The region a regional template is rendered for, and its peer."""

    role: str  # primary | secondary
    name: str
    settings: Region
    peer_name: str
    peer: Region
    project: Project
    names: Names

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"

    @property
    def is_replica(self) -> bool:
        """This region's database is a read replica of the primary's."""
        return self.project.database_mode == "replica" and not self.is_primary


def site(ctx: Context, role: str) -> Site:
    """The `Site` of `role` (primary | secondary); any other role is a programming error."""
    p = ctx.project
    if role not in ("primary", "secondary"):
        raise ValueError(f"no regional site for role {role!r}")
    name, peer = p.primary_region, p.secondary_region
    if role == "secondary":
        name, peer = peer, name
    return Site(role, name, ctx.regions[name], peer, ctx.regions[peer], p, ctx.names)
