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
    peering stack holds only the connection between two regions' VPCs."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    PEERING = "peering"


# The roles a region can take (a region's stack holds its resources; the peering stack does not).
REGION_ROLES = (Role.PRIMARY, Role.SECONDARY)

REGIONAL_OUTPUTS = {Role.PRIMARY: "template.primary.yaml", Role.SECONDARY: "template.secondary.yaml"}
PEERING_OUTPUT = "template.peering.yaml"
SAMCONFIG_OUTPUT = "samconfig.toml"
# samconfig environments: SAM CLI reads `default` when no --config-env is given.
# https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html
PRIMARY_CONFIG_ENV = "default"
PEERING_CONFIG_ENV = "peering"
DATABASE_REPLICA_MODE = "replica"


@dataclass(frozen=True)
class Stack:
    """One deployable stack: which template, which region, which samconfig env."""

    role: str  # a `Role` value; the key of the stack in plans, outputs and results
    region: str
    template: str
    config_env: str
    name: str


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
    """How two regions are tied together; every pair runs from the primary to one secondary."""

    # The primary's data is copied to the secondary: S3 uploads (replication rule), the DynamoDB
    # sessions table (global-table replica), and in replica mode the database (cross-region read
    # replica) and its master secret.
    REPLICATE = "replicate"
    # VPC peering: the primary requests (the peering stack lives there), the secondary accepts.
    PEER = "peer"
    # Disaster recovery (next issue): the secondary takes over when the primary is lost.
    FAILOVER = "failover"


@dataclass(frozen=True)
class Pair:
    """A relation from `source` (the primary side) to `target` (a secondary)."""

    relation: Relation
    source: RegionNode
    target: RegionNode


@dataclass(frozen=True)
class Topology:
    """The deployment's regions, pairs and stacks, derived once from a validated context."""

    names: Names
    database_mode: str
    regions: tuple[RegionNode, ...]  # the primary first, then the secondaries
    peering: Stack
    pairs: tuple[Pair, ...]

    @classmethod
    def from_context(cls, ctx: Context) -> Topology:
        p = ctx.project
        names = ctx.names
        primary = RegionNode(
            p.primary_region,
            Role.PRIMARY,
            ctx.regions[p.primary_region],
            Stack(Role.PRIMARY, p.primary_region, REGIONAL_OUTPUTS[Role.PRIMARY], PRIMARY_CONFIG_ENV,
                  names.concrete("stack_primary")),
        )
        secondaries = tuple(
            RegionNode(
                name,
                Role.SECONDARY,
                ctx.regions[name],
                # The secondary's samconfig env is its region name (`--config-env us-east-2`).
                Stack(Role.SECONDARY, name, REGIONAL_OUTPUTS[Role.SECONDARY], name,
                      names.concrete("stack_secondary")),
            )
            for name in (p.secondary_region,)
        )
        peering = Stack(Role.PEERING, primary.name, PEERING_OUTPUT, PEERING_CONFIG_ENV,
                        names.concrete("stack_peering"))
        pairs = tuple(
            Pair(relation, primary, secondary) for secondary in secondaries for relation in Relation
        )
        return cls(names, p.database_mode, (primary, *secondaries), peering, pairs)

    # -- regions -------------------------------------------------------------------------------
    @property
    def primary(self) -> RegionNode:
        return next(node for node in self.regions if node.is_primary)

    @property
    def secondaries(self) -> tuple[RegionNode, ...]:
        return tuple(node for node in self.regions if not node.is_primary)

    @property
    def secondary(self) -> RegionNode:
        """The one secondary region (today's deployments have exactly one)."""
        (only,) = self.secondaries
        return only

    def region(self, name: str) -> RegionNode:
        for node in self.regions:
            if node.name == name:
                return node
        raise KeyError(f"{name} is not a region of this deployment ({', '.join(self.region_names)})")

    def node(self, role: str) -> RegionNode:
        """The region whose stack has this role."""
        for node in self.regions:
            if node.stack.role == role:
                return node
        raise KeyError(f"no region stack has the role {role!r}")

    @property
    def region_names(self) -> tuple[str, ...]:
        return tuple(node.name for node in self.regions)

    def peers_of(self, node: RegionNode) -> tuple[RegionNode, ...]:
        """The regions `node` is peered with (the secondaries for the primary, else the primary)."""
        return tuple(
            pair.target if pair.source == node else pair.source
            for pair in self.pairs_of(Relation.PEER)
            if node in (pair.source, pair.target)
        )

    # -- pairs ---------------------------------------------------------------------------------
    def pairs_of(self, relation: Relation) -> tuple[Pair, ...]:
        return tuple(pair for pair in self.pairs if pair.relation is relation)

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
        """Every stack, in dependency order: the regions, then the peering stack."""
        return (*(node.stack for node in self.regions), self.peering)

    def stack(self, role: str) -> Stack:
        for stack in self.stacks:
            if stack.role == role:
                return stack
        raise KeyError(f"no stack has the role {role!r}")

    def needs(self, stack: Stack) -> tuple[str, ...]:
        """The stack roles that must be deployed before `stack` (destroy reverses the edges).

        A read replica needs its source database; the peering stack reads both VPCs
        (`Fn::GetStackOutput`), so it waits for both ends of every peer pair.
        """
        if stack == self.peering:
            peers = self.pairs_of(Relation.PEER)
            ends = [end.stack.role for pair in peers for end in (pair.source, pair.target)]
            return tuple(dict.fromkeys(ends))
        if not self.replica_database:
            return ()
        return tuple(
            pair.source.stack.role
            for pair in self.pairs_of(Relation.REPLICATE)
            if pair.target.stack == stack
        )
