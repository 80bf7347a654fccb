"""Every stack's template parameters and their defaults, the one source for both places they go.

The templates' Parameters sections lay these defaults out, and samconfig passes every one of
them explicitly in `parameter_overrides`: SAM CLI replaces, rather than merges, the overrides of
a config env when any are given on the command line (aws-sam-cli#2380), so samconfig lists them
all. Building both from this data means samconfig never has to re-read the rendered YAML.

Keyed by `Stack.key`: several stacks share a template (every secondary deploys the secondary
template, every peering the peering template), each with its own values in its own config env.
"""

from __future__ import annotations

from payinfra.config.model import Context
from payinfra.model.alarms import monitoring
from payinfra.model.site import site
from payinfra.topology import Peering, Topology


def regional_parameters(ctx: Context, region_name: str) -> dict[str, str]:
    """Name -> default of one region's stack parameters, sorted by name."""
    here = site(ctx, region_name)
    values = {
        "EnvironmentSuffix": ctx.project.suffix,
        "CertificateArn": here.settings.certificate_arn,
        **{p.name: str(p.default) for p in monitoring(here).parameters},
    }
    if here.is_replica:
        # Empty: the replica derives the primary DB instance's ARN from the naming convention.
        values["PrimaryDbArn"] = ""
    return dict(sorted(values.items()))


def peering_parameters(ctx: Context, peering: Peering) -> dict[str, str]:
    """Name -> default of one peering stack's parameters, sorted by name.

    The requester is the stack's own region; the accepter is named with its region, since
    `Fn::GetStackOutput` reads the accepter's VPC id there.
    """
    values = {
        "EnvironmentSuffix": ctx.project.suffix,
        "RequesterStackName": peering.requester.stack.name,
        "RequesterVpcCidr": peering.requester.vpc_cidr,
        "AccepterStackName": peering.accepter.stack.name,
        "AccepterRegion": peering.accepter.name,
        "PeerVpcCidr": peering.accepter.vpc_cidr,
    }
    return dict(sorted(values.items()))


def stack_parameters(ctx: Context) -> dict[str, dict[str, str]]:
    """Stack key -> its parameters' defaults, for every stack of the deployment."""
    topology = Topology.from_context(ctx)
    out = {node.stack.key: regional_parameters(ctx, node.name) for node in topology.regions}
    out.update({peering.stack.key: peering_parameters(ctx, peering) for peering in topology.peerings})
    # The global stack names every regional stack and alarm from the suffix alone.
    out[topology.global_stack.key] = {"EnvironmentSuffix": ctx.project.suffix}
    return out
