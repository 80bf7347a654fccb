"""Moved to `payinfra.model.peering`; kept until the plugins and their tests import from there."""

from payinfra.model.peering import (
    DB_PORT,
    EPHEMERAL,
    PEERING_SIDE,
    Flow,
    Naming,
    declare_flows,
    dns_resolution_sides,
    region_network_plan,
    zone_associations,
)

__all__ = [
    "DB_PORT",
    "EPHEMERAL",
    "PEERING_SIDE",
    "Flow",
    "Naming",
    "declare_flows",
    "dns_resolution_sides",
    "region_network_plan",
    "zone_associations",
]
