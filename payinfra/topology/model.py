"""The deployment's shape as one typed object: regions and their roles, the pairs between them,
the stacks and the order they deploy in.

Everything that used to decide "primary or secondary" from a string or from
`project.primary_region` reads it here, so adding regions (N secondaries) or failover changes this
module and not every plugin. Roles are defined once (`Role`); so are the relations between
regions (`Relation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from payinfra.topology.names import Names

if TYPE_CHECKING:  # config imports topology.names: a runtime import here would be a cycle
    from payinfra.config.model import Context, Region


class Role(StrEnum):
    """What a stack is for. PRIMARY and SECONDARY are also the roles a region can have; the
    peering stack holds only the connection between two regions' VPCs; the one global stack holds
    what serves every region (Route 53 health checks and the records clients resolve)."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    PEERING = "peering"
    GLOBAL = "global"



REGIONAL_OUTPUTS = {Role.PRIMARY: "template.primary.yaml", Role.SECONDARY: "template.secondary.yaml"}
PEERING_OUTPUT = "template.peering.yaml"
GLOBAL_OUTPUT = "template.global.yaml"
SAMCONFIG_OUTPUT = "samconfig.toml"
# samconfig environments: SAM CLI reads `default` when no --config-env is given.
# https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html
PRIMARY_CONFIG_ENV = "default"
PEERING_CONFIG_ENV = "peering"
# The global stack's samconfig env, and its key among the stacks (no region or peering has it).
GLOBAL_CONFIG_ENV = "global"
DATABASE_REPLICA_MODE = "replica"


@dataclass(frozen=True)
class Stack:
    """One deployable stack: which template, which region, which samconfig env.

    `key` is unique among the deployment's stacks (the region name for a regional stack, the
    samconfig env for a peering or the global stack): plans, outputs and results are keyed by it.
    """

    role: str  # a `Role` value: which template the stack deploys
    region: str
    template: str
    config_env: str
    name: str
    key: str


@dataclass(frozen=True)
class RegionNode:
    """One region of the deployment: its role, its merged settings and its stack."""

    name: str
    role: Role
    settings: Region
    stack: Stack

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def vpc_cidr(self) -> str:
        return self.settings.vpc_cidr

    @property
    def peer_route_table_count(self) -> int:
        """Route tables that route to a peer: one private table per AZ plus the isolated one."""
        return self.settings.az_count + 1


class Relation(StrEnum):
    """How two regions are tied together."""

    # The primary's data is copied to a secondary: S3 uploads (one replication rule per
    # destination), the DynamoDB sessions table (global-table replica), and in replica mode the
    # database (cross-region read replica) and its master secret.
    REPLICATE = "replicate"
    # VPC peering: `source` requests (its peering stack lives in its region), `target` accepts.
    # Hub and spoke: the primary with each secondary; mesh: also every two secondaries.
    PEER = "peer"
    # Disaster recovery (next issue): a secondary takes over when the primary is lost.
    FAILOVER = "failover"


class PeeringMode(StrEnum):
    HUB_AND_SPOKE = "hub-and-spoke"
    MESH = "mesh"


@dataclass(frozen=True)
class Pair:
    """A relation from `source` to `target`: the primary to a secondary, or (mesh peering) an
    earlier secondary to a later one in the context's order."""

    relation: Relation
    source: RegionNode
    target: RegionNode

    @property
    def label(self) -> str:
        return f"{self.source.name} -> {self.target.name}"

    def other(self, node: RegionNode) -> RegionNode:
        """The end of the pair that is not `node`."""
        return self.target if node == self.source else self.source


@dataclass(frozen=True)
class Peering:
    """One VPC peering connection and the stack that declares it (in the requester's region)."""

    requester: RegionNode
    accepter: RegionNode
    stack: Stack

    @property
    def label(self) -> str:
        return f"{self.requester.name} <-> {self.accepter.name}"


def peering_key(requester: str, accepter: str, primary: str) -> str:
    """A peering stack's key and samconfig env: `peering-us-east-2` for the primary's peering with
    us-east-2; a mesh peering between two secondaries names both (`peering-us-east-2-us-west-2`).
    Takes region names so that a peering of a region no longer in the context is named alike."""
    if requester == primary:
        return f"peering-{accepter}"
    return f"peering-{requester}-{accepter}"



@dataclass(frozen=True)
class Topology:
    """The deployment's regions, pairs and stacks, derived once from a validated context."""

    names: Names
    database_mode: str
    peering_mode: str
    regions: tuple[RegionNode, ...]  # the primary first, then the secondaries in context order
    pairs: tuple[Pair, ...]
    peerings: tuple[Peering, ...]
    # Route 53 health checks and records, in the primary region; it reads every regional stack's
    # outputs (Fn::GetStackOutput), so it deploys after them and is destroyed before them.
    global_stack: Stack

    @classmethod
    def from_context(cls, ctx: Context) -> Topology:
        p = ctx.project
        names = ctx.names
        primary = RegionNode(
            p.primary_region,
            Role.PRIMARY,
            ctx.regions[p.primary_region],
            Stack(Role.PRIMARY, p.primary_region, REGIONAL_OUTPUTS[Role.PRIMARY], PRIMARY_CONFIG_ENV,
                  names.concrete("stack_primary"), p.primary_region),
        )
        secondaries = tuple(
            RegionNode(
                name,
                Role.SECONDARY,
                ctx.regions[name],
                # A secondary's samconfig env is its region name (`--config-env us-west-2`); every
                # secondary deploys the one secondary template under the same stack name.
                Stack(Role.SECONDARY, name, REGIONAL_OUTPUTS[Role.SECONDARY], name,
                      names.concrete("stack_secondary"), name),
            )
            for name in p.secondary_regions
        )
        pairs = [
            Pair(relation, primary, secondary) for secondary in secondaries for relation in Relation
        ]
        if PeeringMode(p.peering) is PeeringMode.MESH:
            pairs += [
                Pair(Relation.PEER, first, second)
                for i, first in enumerate(secondaries)
                for second in secondaries[i + 1 :]
            ]
        peerings = tuple(
            Peering(
                pair.source,
                pair.target,
                Stack(
                    Role.PEERING,
                    pair.source.name,
                    PEERING_OUTPUT,
                    peering_key(pair.source.name, pair.target.name, primary.name),
                    names.concrete("stack_peering", peer=pair.target.name),
                    peering_key(pair.source.name, pair.target.name, primary.name),
                ),
            )
            for pair in pairs
            if pair.relation is Relation.PEER
        )
        global_stack = Stack(
            Role.GLOBAL, primary.name, GLOBAL_OUTPUT, GLOBAL_CONFIG_ENV, names.concrete("stack_global"),
            GLOBAL_CONFIG_ENV,
        )
        return cls(
            names, p.database_mode, p.peering, (primary, *secondaries), tuple(pairs), peerings, global_stack
        )

    # -- regions -------------------------------------------------------------------------------
    @property
    def primary(self) -> RegionNode:
        return next(node for node in self.regions if node.is_primary)

    @property
    def secondaries(self) -> tuple[RegionNode, ...]:
        return tuple(node for node in self.regions if not node.is_primary)

    def region(self, name: str) -> RegionNode:
        for node in self.regions:
            if node.name == name:
                return node
        raise KeyError(f"{name} is not a region of this deployment ({', '.join(self.region_names)})")

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(node.name for node in self.regions)

    def peers_of(self, node: RegionNode) -> tuple[RegionNode, ...]:
        """The regions `node` is peered with, in context order."""
        return tuple(
            pair.other(node) for pair in self.pairs_of(Relation.PEER) if node in (pair.source, pair.target)
        )

    # -- pairs ---------------------------------------------------------------------------------
    def pairs_of(self, relation: Relation) -> tuple[Pair, ...]:
        return tuple(pair for pair in self.pairs if pair.relation is relation)

    def peering_of(self, a: RegionNode, b: RegionNode) -> Peering:
        """The peering between two regions, whichever of them requests it."""
        for peering in self.peerings:
            if {peering.requester, peering.accepter} == {a, b}:
                return peering
        raise KeyError(f"{a.name} and {b.name} are not peered ({self.peering_mode})")

    @property
    def replica_database(self) -> bool:
        """Whether each secondary's database is a cross-region read replica of the primary's."""
        return self.database_mode == DATABASE_REPLICA_MODE

    def runs_database_writer(self, node: RegionNode) -> bool:
        """Whether the region runs a writable primary DB instance (and owns its secret)."""
        return node.is_primary or not self.replica_database

    # -- stacks --------------------------------------------------------------------------------
    @property
    def stacks(self) -> tuple[Stack, ...]:
        """Every stack, in dependency order: the regions, then the peerings, then the global stack."""
        return (*(node.stack for node in self.regions), *(p.stack for p in self.peerings), self.global_stack)

    def stack(self, key: str) -> Stack:
        for stack in self.stacks:
            if stack.key == key:
                return stack
        raise KeyError(f"no stack has the key {key!r} ({', '.join(s.key for s in self.stacks)})")

    def needs(self, stack: Stack) -> tuple[str, ...]:
        """The keys of the stacks that must be deployed before `stack` (destroy reverses them).

        A read replica needs its source database; a peering stack reads both VPCs
        (`Fn::GetStackOutput`), so it waits for both of its ends and nothing else; the global stack
        reads every region's load balancer and fence alarm, so it waits for every regional stack.
        """
        if stack == self.global_stack:
            return tuple(node.stack.key for node in self.regions)
        for peering in self.peerings:
            if peering.stack == stack:
                return (peering.requester.stack.key, peering.accepter.stack.key)
        if not self.replica_database:
            return ()
        return tuple(
            pair.source.stack.key
            for pair in self.pairs_of(Relation.REPLICATE)
            if pair.target.stack == stack
        )
