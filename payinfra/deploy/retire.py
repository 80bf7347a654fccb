"""Stacks of this deployment that the context no longer lists: found, then retired in order.

The context names only what should exist, so removing a region from
`project.secondary_regions` (or going from mesh to hub-and-spoke peering) leaves its stacks
deployed. `deploy` finds them after its after-deploy plugins, which have already removed what the
primary sends to a removed region (replication rules, replicas, secret replicas), and retires
them: the plugins prepare each retired region (`prepare_retirement`), its peering stacks are
deleted, then its regional stack. Everything is read from live state, so a run interrupted at any
step is finished by the next one.

Where to look: every region of the primary's partition, by name: `{app}-secondary-{suffix}` in a
region the context does not list, and `{app}-peering-{suffix}-{peer}` anywhere that is not one of
the topology's peering stacks. A disabled opt-in region answers an authentication error (disabling
a region removes all IAM access to its resources:
https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html): it holds nothing
this deployment can reach, so it counts as empty.

A protected environment retires only what the operator names (`deploy --retire us-west-2`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from payinfra.config import Context
from payinfra.config.model import region_partitions
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.graph import StepFailed, StepResult, StepState, run_graph
from payinfra.deploy.plan import Node
from payinfra.plugins.aws import RegionalSessions, error_code, error_message
from payinfra.topology import PEERING_OUTPUT, REGIONAL_OUTPUTS, Role, Stack, Topology, peering_key

# ListStacks keeps deleted stacks for 90 days; list every other status.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStacks.html
LIVE_STATUSES = (
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_FAILED", "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED",
    "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED",
    "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS",
    "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_FAILED",
    "IMPORT_ROLLBACK_COMPLETE",
)
# What a region the account has not enabled (or no longer may use) answers: nothing to retire there.
UNREACHABLE_CODES = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "AuthFailure", "OptInRequired"}
)
SCAN_THREADS = 8  # ListStacks in ~30 regions: network waits, not CPU


@dataclass(frozen=True)
class Retired:
    """A deployed stack of this deployment that the context no longer lists."""

    stack: Stack  # role secondary or peering; `config_env` is empty: samconfig has no env for it
    status: str
    retires: str  # what `--retire` names: the removed region, or a peering's key if both ends stay
    accepter: str = ""  # a peering stack's other end (the stack lives in the requester's region)

    @property
    def ends(self) -> tuple[str, ...]:
        """The regions the stack's deletion depends on: its own, and a peering's accepter."""
        return (self.stack.region, self.accepter) if self.accepter else (self.stack.region,)

    def line(self) -> str:
        return f"{self.stack.name} ({self.stack.region}, {self.status})"


@dataclass(frozen=True)
class Findings:
    stacks: tuple[Retired, ...] = ()
    unreachable: tuple[str, ...] = ()  # regions that refused our credentials: treated as empty
    regions: tuple[str, ...] = ()  # removed regions something of this deployment is left in

    @property
    def names(self) -> tuple[str, ...]:
        """Every `--retire` name the findings answer to, in order."""
        return tuple(dict.fromkeys(r.retires for r in self.stacks))


@dataclass(frozen=True)
class RetireOutcome:
    """What the retirement did: per-stack steps, failed preparations, what a protected env kept."""

    found: Findings = field(default_factory=Findings)
    stacks: dict[str, StepResult] = field(default_factory=dict)
    prepare_failures: dict[str, str] = field(default_factory=dict)  # region -> error
    refused: tuple[str, ...] = ()  # `--retire` names a protected environment still waits for

    @property
    def ok(self) -> bool:
        failed = any(r.state != StepState.OK for r in self.stacks.values())
        return not (failed or self.prepare_failures or self.refused)


def partition_regions(primary: str) -> list[str]:
    partitions = region_partitions()
    return sorted(r for r, p in partitions.items() if p == partitions[primary])


CloudFormationFor = Callable[[str], Any]  # region -> a CloudFormation client there


def scan_clients(sessions: RegionalSessions, primary: str, regions: Sequence[str]) -> CloudFormationFor:
    """One CloudFormation client per region, all from the primary's session: a session per region
    would load botocore's service model once per region (about half a second each)."""
    session = sessions.session(primary)
    clients = {region: session.client("cloudformation", region_name=region) for region in regions}
    return clients.__getitem__


def _live_stack_names(cfn: Any, region: str) -> dict[str, str] | None:
    """Name -> status of every stack in `region` that is not deleted; None: region unreachable."""
    found: dict[str, str] = {}
    try:
        for page in cfn.get_paginator("list_stacks").paginate(StackStatusFilter=list(LIVE_STATUSES)):
            for summary in page.get("StackSummaries", []):
                found[str(summary["StackName"])] = str(summary["StackStatus"])
    except ClientError as err:
        if error_code(err) in UNREACHABLE_CODES:
            return None
        raise OrchestrationError(f"cannot list stacks in {region}: {error_message(err)}") from None
    except BotoCoreError as err:
        raise OrchestrationError(f"cannot list stacks in {region}: {err}") from None
    return found


def discover(
    ctx: Context,
    sessions: RegionalSessions,
    regions: Sequence[str] | None = None,
    *,
    cloudformation: CloudFormationFor | None = None,
) -> Findings:
    """This deployment's stacks that the topology no longer has, in `regions` (default: the
    primary's partition): peering stacks first, then regional stacks."""
    topology = Topology.from_context(ctx)
    names = ctx.names
    primary = topology.primary.name
    scanned = list(regions) if regions is not None else partition_regions(primary)
    client = cloudformation or scan_clients(sessions, primary, scanned)
    current = {(s.name, s.region) for s in topology.stacks}
    in_context = set(topology.region_names)
    secondary_name = names.concrete("stack_secondary")
    peering_names = {names.concrete("stack_peering", peer=r): r for r in scanned}
    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as pool:
        listed = dict(zip(scanned, pool.map(lambda r: _live_stack_names(client(r), r), scanned), strict=True))
    peerings: list[Retired] = []
    regional: list[Retired] = []
    for region, live in listed.items():
        for name, status in sorted((live or {}).items()):
            if (name, region) in current:
                continue
            if name == secondary_name and region not in in_context:
                stack = Stack(Role.SECONDARY, region, REGIONAL_OUTPUTS[Role.SECONDARY], "", name, region)
                regional.append(Retired(stack, status, region))
            elif name in peering_names:
                accepter = peering_names[name]
                key = peering_key(region, accepter, primary)
                gone = [end for end in (accepter, region) if end not in in_context]
                stack = Stack(Role.PEERING, region, PEERING_OUTPUT, "", name, key)
                peerings.append(Retired(stack, status, gone[0] if gone else key, accepter))
    found = peerings + regional
    removed = sorted({end for r in found for end in r.ends if end not in in_context})
    unreachable = tuple(r for r, live in listed.items() if live is None)
    return Findings(tuple(found), unreachable, tuple(removed))


def retirement_plan(stacks: Sequence[Retired]) -> list[Node]:
    """Peering stacks at once; a regional stack after every retired peering stack in or to its
    region (its VPC cannot be deleted while a peering connection to it is active)."""
    peerings = [r for r in stacks if r.stack.role == Role.PEERING]
    nodes = [Node(p.stack, ()) for p in peerings]
    for retired in stacks:
        if retired.stack.role != Role.PEERING:
            region = retired.stack.region
            nodes.append(Node(retired.stack, tuple(p.stack.key for p in peerings if region in p.ends)))
    return nodes


def check_names(ctx: Context, named: Sequence[str]) -> None:
    """`--retire` may not name a region the context still deploys: one clear error, before anything."""
    listed = [name for name in named if name in ctx.project.region_names]
    if listed:
        raise OrchestrationError(
            f"--retire {listed[0]}: the context still lists it (project.primary_region or "
            "project.secondary_regions); remove it from the context first, then deploy with --retire"
        )


def authorised(ctx: Context, found: Findings, named: Sequence[str]) -> tuple[list[Retired], tuple[str, ...]]:
    """(what may be retired now, the `--retire` names still needed). Development: everything.
    Protected: only what the operator named."""
    if not ctx.project.protected:
        return list(found.stacks), ()
    allowed = [r for r in found.stacks if r.retires in named]
    return allowed, tuple(n for n in found.names if n not in named)


Prepare = Callable[[str], None]  # ready a removed region for its stacks' deletion (plugins)
# Ready a peering between two regions that both stay (mesh back to hub and spoke): (requester, accepter).
PreparePeering = Callable[[str, str], None]
Delete = Callable[[Node], str]  # delete one retired stack; returns a short detail


def _no_peering_preparation(requester: str, accepter: str) -> None:
    return None


def retire(
    stacks: Sequence[Retired],
    regions: Sequence[str],
    *,
    prepare: Prepare,
    delete: Delete,
    prepare_peering: PreparePeering = _no_peering_preparation,
) -> tuple[dict[str, StepResult], dict[str, str]]:
    """Prepare each removed region and each peering whose two regions both stay, then delete the
    stacks in `retirement_plan` order. What failed to prepare keeps its stacks (a region: its
    peerings too) for the next run; the others go on. Returns (results by stack key, failed
    preparations by region or peering key)."""
    failures: dict[str, str] = {}
    for region in regions:
        try:
            prepare(region)
        except Exception as err:  # reported; that region's stacks wait for the next run
            failures[region] = _message(err)
    for retired in stacks:
        if retired.stack.role == Role.PEERING and retired.retires == retired.stack.key:
            try:
                prepare_peering(retired.stack.region, retired.accepter)
            except Exception as err:  # reported; the peering stack waits for the next run
                failures[retired.stack.key] = _message(err)
    held = {  # stack key -> what failed to prepare: a removed region, or the peering itself
        r.stack.key: next((end for end in r.ends if end in failures), r.stack.key)
        for r in stacks
        if set(r.ends) & set(failures) or r.stack.key in failures
    }

    def step(node: Node) -> str:
        if node.key in held:
            raise StepFailed(f"not run: preparing {held[node.key]} for retirement failed")
        return delete(node)

    nodes = retirement_plan(stacks)
    return (run_graph(nodes, step) if nodes else {}), failures


def _message(err: Exception) -> str:
    if isinstance(err, ClientError):
        return error_message(err)
    if isinstance(err, OrchestrationError | StepFailed):
        return str(err)
    return f"{type(err).__name__}: {err}"
