"""Every stack's template parameters and their defaults, the one source for both places they go.

The templates' Parameters sections lay these defaults out, and samconfig passes every one of
them explicitly in `parameter_overrides`: SAM CLI replaces, rather than merges, the overrides of
a config env when any are given on the command line (aws-sam-cli#2380), so samconfig lists them
all. Building both from this data means samconfig never has to re-read the rendered YAML.
"""

from __future__ import annotations

from payinfra.config.model import Context
from payinfra.model.alarms import monitoring
from payinfra.model.site import site
from payinfra.topology import Topology


def regional_parameters(ctx: Context, role: str) -> dict[str, str]:
    """Name -> default of a regional stack's parameters, sorted by name."""
    here = site(ctx, role)
    values = {
        "EnvironmentSuffix": ctx.project.suffix,
        "CertificateArn": here.settings.certificate_arn,
        **{p.name: str(p.default) for p in monitoring(here).parameters},
    }
    if here.is_replica:
        # Empty: the replica derives the primary DB instance's ARN from the naming convention.
        values["PrimaryDbArn"] = ""
    return dict(sorted(values.items()))


def peering_parameters(ctx: Context) -> dict[str, str]:
    """Name -> default of the peering stack's parameters, sorted by name."""
    topology = Topology.from_context(ctx)
    values = {
        "EnvironmentSuffix": ctx.project.suffix,
        "PrimaryStackName": topology.primary.stack.name,
        "SecondaryStackName": topology.secondary.stack.name,
        "PeerVpcCidr": topology.secondary.vpc_cidr,
    }
    return dict(sorted(values.items()))


def stack_parameters(ctx: Context) -> dict[str, dict[str, str]]:
    """Stack role -> its parameters' defaults, for every stack of the deployment."""
    topology = Topology.from_context(ctx)
    out = {node.stack.role: regional_parameters(ctx, node.stack.role) for node in topology.regions}
    out[topology.peering.role] = peering_parameters(ctx)
    return out
