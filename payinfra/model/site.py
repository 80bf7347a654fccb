"""One region seen from its own stack: its settings, its peers', and what its role implies.

Built from the topology (`payinfra.topology.Topology`), which alone decides roles and pairs: the
data of every concern depends on a few of its answers (primary or not, a read replica or not,
which regions are peered with it, which regions it replicates to).
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.config.model import Context, Project, Recovery, Region
from payinfra.topology import Relation, Role, Topology
from payinfra.topology.names import Names


@dataclass(frozen=True)
class Neighbour:
    """Another region of the deployment, as one region's template sees it."""

    name: str
    settings: Region


@dataclass(frozen=True)
class Site:
    """The region a regional template is rendered for, and the regions tied to it."""

    role: str  # primary | secondary
    name: str
    settings: Region
    peers: tuple[Neighbour, ...]  # peered with this region (context order)
    # The primary: every secondary it replicates to. A secondary: empty.
    replicas: tuple[Neighbour, ...]
    primary_name: str  # the deployment's primary region (this one, for the primary)
    # Every region that deploys this region's template, itself included (context order): all the
    # secondaries for a secondary (they share one template), the primary alone for the primary.
    siblings: tuple[Neighbour, ...]
    project: Project
    names: Names
    is_replica: bool  # this region's database is a read replica of the primary's
    recovery: Recovery  # the context's `[recovery]` (ledger consistency, health checks, backups)

    @property
    def is_primary(self) -> bool:
        return self.role == Role.PRIMARY

    @property
    def eventual_ledger(self) -> bool:
        """The ledger is an eventually consistent (MREC) global table with region-local audit entries."""
        return self.recovery.ledger_consistency == "eventual"


def region_id(region: str) -> str:
    """The region as a logical-ID part: `us-east-2` -> `UsEast2`.

    Resources declared once per other region carry this rather than a position, so adding or
    removing a region never renames the resources of the regions that stay (CloudFormation would
    replace them, creating the new one before deleting the old).
    """
    return "".join(part.capitalize() for part in region.split("-"))


def site(ctx: Context, region: str) -> Site:
    """The `Site` of one region of the deployment."""
    topology = Topology.from_context(ctx)
    node = topology.region(region)
    return Site(
        role=str(node.role),
        name=node.name,
        settings=node.settings,
        peers=tuple(Neighbour(peer.name, peer.settings) for peer in topology.peers_of(node)),
        replicas=tuple(
            Neighbour(pair.target.name, pair.target.settings)
            for pair in topology.pairs_of(Relation.REPLICATE)
            if pair.source == node
        ),
        primary_name=topology.primary.name,
        siblings=tuple(Neighbour(n.name, n.settings) for n in topology.regions if n.role is node.role),
        project=ctx.project,
        names=ctx.names,
        is_replica=not topology.runs_database_writer(node),
        recovery=ctx.recovery,
    )
