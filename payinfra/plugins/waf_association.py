"""Verify: each region's ALB is protected by that region's web ACL (its own geo block list)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.aws import error_code
from payinfra.topology.outputs import RegionalOutput

PROMISE = "WAF web ACL associated with the ALB"


class WafAssociationPlugin(Plugin):
    name = "waf-association"
    summary = "verify: each ALB is associated with its region's web ACL"
    hooks = (Hook.VERIFY,)

    def verify(self, pc: PluginContext) -> list[Check]:
        return [self._check(pc, node.name) for node in pc.topology.regions]

    def _check(self, pc: PluginContext, region: str) -> Check:
        outputs = pc.deployed(region)
        alb = outputs.require(RegionalOutput.LOAD_BALANCER_ARN)
        expected = outputs.require(RegionalOutput.WEB_ACL_ARN)
        try:
            found = pc.client("wafv2", region).get_web_acl_for_resource(ResourceArn=alb).get("WebACL")
        except ClientError as err:
            if error_code(err) != "WAFNonexistentItemException":
                raise
            found = None
        if not found:
            return Check(PROMISE, Status.BROKEN, f"no web ACL on {alb}", region)
        if found.get("ARN") != expected:
            return Check(PROMISE, Status.BROKEN, f"{alb} has {found.get('ARN')}, expected {expected}", region)
        return Check(PROMISE, Status.HOLDS, f"{found.get('Name', expected)} on the ALB", region)
