"""Apply the ELBv2 properties moto's CloudFormation models drop: targets, attributes, full names.

moto 5.2.5's `AWS::ElasticLoadBalancingV2::TargetGroup` model ignores `Targets` (a Lambda
target group has no target: DescribeTargetHealth is empty, the ALB forwards to nothing),
`TargetGroupAttributes`, `HealthCheckEnabled` and `Tags`; its `LoadBalancer` model ignores
`LoadBalancerAttributes` (access logs, drop-invalid-headers, deletion protection) and `Tags`,
and answers `Fn::GetAtt LoadBalancerFullName` with nothing (alarm dimensions end up empty).
Here those properties go through the ELBv2 backend's own operations after moto creates the
resource, and the full names (`app/<name>/<id>`, `targetgroup/<name>/<id>`) resolve; a target group, which had
no `Fn::GetAtt` at all, answers TargetGroupFullName/Arn/Name and LoadBalancerArns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import FakeLoadBalancer, FakeTargetGroup, elbv2_backends
from localaws.patching import Patcher


def _attributes(raw: list[dict[str, Any]] | None) -> dict[str, str]:
    return {
        a["Key"]: str(a["Value"]).lower() if isinstance(a["Value"], bool) else str(a["Value"])
        for a in raw or []
    }


def _create_target_group(original: Callable[..., FakeTargetGroup]) -> Callable[..., FakeTargetGroup]:
    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeTargetGroup:
        group = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        p = cloudformation_json.get("Properties", {})
        backend = elbv2_backends[account_id][region_name]
        if "HealthCheckEnabled" in p:
            group.health_check_enabled = str(p["HealthCheckEnabled"]).lower() == "true"
        if p.get("TargetGroupAttributes"):
            backend.modify_target_group_attributes(group.arn, _attributes(p["TargetGroupAttributes"]))
        if p.get("Targets"):
            backend.register_targets(group.arn, [dict(t) for t in p["Targets"]])
        if p.get("Tags"):
            backend.add_tags([group.arn], p["Tags"])
        return group

    return create


def _create_load_balancer(original: Callable[..., FakeLoadBalancer]) -> Callable[..., FakeLoadBalancer]:
    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeLoadBalancer:
        balancer = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        p = cloudformation_json.get("Properties", {})
        backend = elbv2_backends[account_id][region_name]
        if p.get("LoadBalancerAttributes"):
            backend.modify_load_balancer_attributes(balancer.arn, _attributes(p["LoadBalancerAttributes"]))
        if p.get("Tags"):
            backend.add_tags([balancer.arn], p["Tags"])
        return balancer

    return create


def _full_name(arn: str, marker: str) -> str:
    """`arn:...:loadbalancer/app/n/id` -> `app/n/id`; `arn:...:targetgroup/n/id` -> `targetgroup/n/id`."""
    resource = arn.split(":", 5)[5]
    return resource.split("/", 1)[1] if marker == "loadbalancer" else resource


def _load_balancer_attribute(original: Callable[..., Any]) -> Callable[..., Any]:
    def get(self: FakeLoadBalancer, attribute_name: str) -> Any:
        if attribute_name == "LoadBalancerFullName":
            return _full_name(self.arn, "loadbalancer")
        if attribute_name == "SecurityGroups":
            return list(self.security_groups)
        if attribute_name == "CanonicalHostedZoneID":
            return "Z35SXDOTRQ7X7K"  # the ALB hosted zone of us-east-1; only a placeholder locally
        return original(self, attribute_name)

    return get


def _target_group_attribute(self: FakeTargetGroup, attribute_name: str) -> Any:
    from localaws._moto import UnformattedGetAttTemplateException

    if attribute_name == "TargetGroupFullName":
        return _full_name(self.arn, "targetgroup")
    if attribute_name == "TargetGroupArn":
        return self.arn
    if attribute_name == "TargetGroupName":
        return self.name
    if attribute_name == "LoadBalancerArns":
        return list(self.load_balancer_arns)
    raise UnformattedGetAttTemplateException()


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(FakeTargetGroup, "create_from_cloudformation_json", _create_target_group)
    patcher.wrap_classmethod(FakeLoadBalancer, "create_from_cloudformation_json", _create_load_balancer)
    patcher.replace(
        FakeLoadBalancer, "get_cfn_attribute", _load_balancer_attribute(FakeLoadBalancer.get_cfn_attribute)
    )
    patcher.replace(FakeTargetGroup, "get_cfn_attribute", _target_group_attribute)
    patcher.replace(
        FakeTargetGroup,
        "has_cfn_attr",
        classmethod(
            lambda cls, attr: (
                attr in ("TargetGroupFullName", "TargetGroupArn", "TargetGroupName", "LoadBalancerArns")
            )
        ),
    )
