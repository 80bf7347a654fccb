"""Lock down each VPC's default security group: no ingress, no egress rule.

CloudFormation creates the default security group with the VPC and cannot modify it, while CIS
AWS Foundations (EC2.2) requires it to allow nothing: anything launched without an explicit group
would otherwise talk to everything else in it. The stacks export its id as
`DefaultSecurityGroupId`.
"""

from __future__ import annotations

from typing import Any

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.topology.outputs import RegionalOutput


def _rules(ec2: Any, group_id: str) -> list[dict[str, Any]]:
    paginator = ec2.get_paginator("describe_security_group_rules")
    pages = paginator.paginate(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return [rule for page in pages for rule in page["SecurityGroupRules"]]


def _describe(rule: dict[str, Any]) -> str:
    peer = (
        rule.get("CidrIpv4")
        or rule.get("CidrIpv6")
        or rule.get("PrefixListId")
        or rule.get("ReferencedGroupInfo", {}).get("GroupId", "?")
    )
    ports = "all" if rule.get("IpProtocol") == "-1" else f"{rule.get('FromPort')}-{rule.get('ToPort')}"
    direction = "egress to" if rule["IsEgress"] else "ingress from"
    return f"{direction} {peer} ({rule.get('IpProtocol')}, ports {ports})"


class DefaultSecurityGroupPlugin(Plugin):
    name = "default-security-group"
    summary = "revoke every rule of each region's VPC default security group (CIS EC2.2)"
    hooks = (Hook.AFTER_DEPLOY, Hook.VERIFY)

    def _groups(self, pc: PluginContext) -> list[tuple[str, str]]:
        return [
            (node.name, pc.deployed(node).require(RegionalOutput.DEFAULT_SECURITY_GROUP_ID))
            for node in pc.topology.regions
        ]

    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        for region, group_id in self._groups(pc):
            ec2 = pc.client("ec2", region)
            rules = _rules(ec2, group_id)
            ingress = [r for r in rules if not r["IsEgress"]]
            egress = [r for r in rules if r["IsEgress"]]
            if ingress:
                ec2.revoke_security_group_ingress(
                    GroupId=group_id, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in ingress]
                )
            if egress:
                ec2.revoke_security_group_egress(
                    GroupId=group_id, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in egress]
                )
            if rules:
                revoked = "; ".join(_describe(r) for r in rules)
                out.changed(f"{region} {group_id}: revoked {len(rules)} rule(s): {revoked}")
            else:
                out.unchanged(f"{region} {group_id}: already has no rules")

    def verify(self, pc: PluginContext) -> list[Check]:
        checks = []
        for region, group_id in self._groups(pc):
            rules = _rules(pc.client("ec2", region), group_id)
            if rules:
                reason = f"{group_id} still has {len(rules)} rule(s): " + "; ".join(
                    _describe(r) for r in rules
                )
                checks.append(Check("default security group locked down", Status.BROKEN, reason, region))
            else:
                checks.append(
                    Check(
                        "default security group locked down", Status.HOLDS, f"{group_id} has no rules", region
                    )
                )
        return checks
