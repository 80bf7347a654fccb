"""Elastic Load Balancing v2 load balancers, listeners, rules and target groups described through
the ELBv2 API, with the load balancer attributes that carry logging and hardening settings."""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers

SERVICE = ServiceCheckers("elbv2")


@SERVICE.describes("AWS::ElasticLoadBalancingV2::LoadBalancer")
def load_balancer(c: Clients, pid: str) -> str:
    lb = c("elbv2").describe_load_balancers(LoadBalancerArns=[pid])["LoadBalancers"][0]
    return f"{lb['Type']} {lb['Scheme']} {lb['State']['Code']}"


@SERVICE.describes("AWS::ElasticLoadBalancingV2::Listener")
def listener(c: Clients, pid: str) -> str:
    li = c("elbv2").describe_listeners(ListenerArns=[pid])["Listeners"][0]
    return f"{li['Protocol']}:{li['Port']}"


@SERVICE.describes("AWS::ElasticLoadBalancingV2::ListenerRule")
def listener_rule(c: Clients, pid: str) -> str:
    r = c("elbv2").describe_rules(RuleArns=[pid])["Rules"][0]
    return f"priority {r['Priority']}"


@SERVICE.describes("AWS::ElasticLoadBalancingV2::TargetGroup")
def target_group(c: Clients, pid: str) -> str:
    g = c("elbv2").describe_target_groups(TargetGroupArns=[pid])["TargetGroups"][0]
    targets = c("elbv2").describe_target_health(TargetGroupArn=pid)["TargetHealthDescriptions"]
    return f"{g.get('TargetType')}, {len(targets)} targets"


_LB_ATTRIBUTES = (
    "deletion_protection.enabled",
    "access_logs.s3.enabled",
    "access_logs.s3.bucket",
    "access_logs.s3.prefix",
    "connection_logs.s3.enabled",
    "connection_logs.s3.bucket",
    "routing.http.drop_invalid_header_fields.enabled",
    "routing.http.desync_mitigation_mode",
    "waf.fail_open.enabled",
)


@SERVICE.reads_back(
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    CFN_DOCS + "aws-resource-elasticloadbalancingv2-loadbalancer.html",
    Prop("Scheme", "Scheme"),
    Prop("SecurityGroups", "SecurityGroups", "set"),
    *(Prop(f"LoadBalancerAttributes[{a}]", f"Attributes[{a}]") for a in _LB_ATTRIBUTES),
)
def _load_balancer_view(c: Clients, pid: str) -> dict[str, Any]:
    lb = dict(c("elbv2").describe_load_balancers(LoadBalancerArns=[pid])["LoadBalancers"][0])
    lb["Attributes"] = c("elbv2").describe_load_balancer_attributes(LoadBalancerArn=pid)["Attributes"]
    return lb


@SERVICE.reads_back(
    "AWS::ElasticLoadBalancingV2::Listener",
    CFN_DOCS + "aws-resource-elasticloadbalancingv2-listener.html",
    Prop("Protocol", "Protocol"),
    Prop("Port", "Port"),
    Prop("SslPolicy", "SslPolicy"),
    Prop("Certificates.*.CertificateArn", "Certificates.*.CertificateArn", "set"),
)
def _listener_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("elbv2").describe_listeners(ListenerArns=[pid])["Listeners"][0]
    return result
