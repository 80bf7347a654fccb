"""Peer openings toward regions that share one template with this one (a mesh of secondaries).

Every secondary deploys the same template, rendered once per secondary and merged; a resource one
render has and another has not cannot be merged. In a mesh each secondary opens its security
groups and ACLs to the other secondaries, so us-east-2's render names us-west-2 and us-west-2's
names us-east-2. The way out: the shared template declares the openings toward EVERY secondary,
each with a condition true everywhere but in that secondary (`NotInUsWest2`), so every render is
the same and a region's openings toward itself are simply not created there. A resource whose
condition is false is not created:
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-condition.html
and `!Not [!Equals [!Ref "AWS::Region", us-west-2]]` reads the region the stack is deployed in:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html

The openings toward a sibling are what the OTHER siblings open to it; they must all agree (same
ports), or one template cannot serve them, which is one clear error.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from payinfra.model.errors import ModelError
from payinfra.model.peering import AclEntry, Flow, SecurityGroupRule, network_acls, security_group_rules
from payinfra.model.site import Site


@dataclass(frozen=True)
class Openings:
    """What one region's template opens to one peer region."""

    rules: tuple[SecurityGroupRule, ...]
    entries: tuple[tuple[str, AclEntry], ...]  # (tier, entry)

    def absent_from(self, region: str) -> Openings:
        """The same openings, not created in `region`'s stack."""
        return Openings(
            tuple(dataclasses.replace(r, absent_from=region) for r in self.rules),
            tuple((tier, dataclasses.replace(e, absent_from=region)) for tier, e in self.entries),
        )

    def ports(self) -> str:
        return ", ".join(sorted({f"{r.protocol}/{r.port} {'out' if r.egress else 'in'}" for r in self.rules}))


def sibling_openings(site: Site, flows: tuple[Flow, ...]) -> dict[str, Openings]:
    """Sibling region -> the openings `site`'s template declares toward it, conditioned.

    Empty unless the site's template serves several regions that peer with each other (a mesh of
    secondaries): the primary and hub-and-spoke spokes keep plain, unconditioned resources.
    """
    siblings = [s.name for s in site.siblings]
    if not {p.name for p in site.peers} & set(siblings):
        return {}
    cidr_of = {n.name: n.settings.vpc_cidr for n in (*site.peers, *site.siblings)}
    views: dict[str, dict[str, Openings]] = {target: {} for target in siblings}
    for source in site.siblings:
        rules = security_group_rules(flows, source.name, cidr_of)
        acls = network_acls(flows, source.name, source.settings.vpc_cidr, cidr_of)
        for target in siblings:
            if target != source.name:
                views[target][source.name] = Openings(
                    tuple(r for r in rules if r.peer == target),
                    tuple((tier, e) for tier, entries in acls.items() for e in entries if e.peer == target),
                )
    return {target: _agreed(target, by_source).absent_from(target) for target, by_source in views.items()}


def _agreed(target: str, by_source: dict[str, Openings]) -> Openings:
    """The one set of openings every other sibling has toward `target`."""
    (first, openings), *others = by_source.items()
    for other, theirs in others:
        if theirs != openings:
            raise ModelError(
                f"{first} and {other} share one template but open different ports to {target} "
                f"({openings.ports()} against {theirs.ports()}): give the secondaries the same "
                "ecs.container_port (set it in [defaults])"
            )
    return openings
