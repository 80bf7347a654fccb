"""One region seen from its own stack: its settings, its peer's, and what its role implies.

Built from the topology (`payinfra.topology.Topology`), which alone decides roles and pairs: the
data of every concern depends on three of its answers (primary or not, a read replica or not,
which region is the peer).
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.config.model import Context, Project, Region
from payinfra.topology import Role, Topology
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
    is_replica: bool  # this region's database is a read replica of the primary's

    @property
    def is_primary(self) -> bool:
        return self.role == Role.PRIMARY


def site(ctx: Context, role: str) -> Site:
    """The `Site` of the region whose stack has `role` (primary | secondary)."""
    topology = Topology.from_context(ctx)
    node = topology.node(role)
    (peer,) = topology.peers_of(node)  # one peer per region until N regions land
    return Site(
        role=str(node.role),
        name=node.name,
        settings=node.settings,
        peer_name=peer.name,
        peer=peer.settings,
        project=ctx.project,
        names=ctx.names,
        is_replica=not topology.runs_database_writer(node),
    )
