"""Moved to `payinfra.model.network`; kept until every importer reads from there."""

from payinfra.model.network import TIERS, Subnet, plan_subnets

__all__ = ["TIERS", "Subnet", "plan_subnets"]
