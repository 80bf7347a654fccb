"""Subnet plan: carve a region's VPC CIDR into public, private and isolated tiers per AZ.

Computed here rather than with `Fn::Cidr` so the plan is visible in the rendered template, is the
same for any AZ count, and can be asserted on by tests (no overlaps, all inside the VPC).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

TIERS = ("public", "private", "isolated")


@dataclass(frozen=True)
class Subnet:
    tier: str
    az_index: int
    cidr: str

    @property
    def logical_id(self) -> str:
        return f"{self.tier.capitalize()}Subnet{self.az_index + 1}"


def plan_subnets(vpc_cidr: str, az_count: int) -> list[Subnet]:
    """Equal-sized subnets, tier-major, leaving the upper part of the VPC free for growth."""
    vpc = ipaddress.IPv4Network(vpc_cidr)
    bits = math.ceil(math.log2(len(TIERS) * az_count))
    blocks = list(vpc.subnets(prefixlen_diff=bits))
    subnets = []
    for t, tier in enumerate(TIERS):
        for az in range(az_count):
            subnets.append(Subnet(tier, az, str(blocks[t * az_count + az])))
    return subnets
