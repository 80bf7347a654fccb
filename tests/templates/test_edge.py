"""The edge partial: internet-facing ALB, its listeners and target group, and the regional WAF.

Listener behaviour depends on the `HasCertificate` condition, so the tests evaluate that condition
from the parameter defaults (what a deploy with samconfig's values gets) instead of only checking
that some `Fn::If` is present.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from payinfra.config import Context
from payinfra.config.model import Region
from payinfra.model.handler_limits import payment_limits
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
MANAGED_RULE_GROUPS = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
}
# The only findings the edge may waive: each is inherent to a destroyable, internet-facing ALB
# whose port 80 serves only while no certificate is configured.
ALLOWED_GUARD_WAIVERS = {
    "LoadBalancer": {"CT.ELASTICLOADBALANCING.PR.5"},  # deletion protection off
    "HttpListener": {"CT.ELASTICLOADBALANCING.PR.1"},  # HTTP listener (redirects with a certificate)
    "HttpsListener": {"CT.ELASTICLOADBALANCING.PR.2"},  # ACM ARN from a parameter, not a resource
}
# Only while the context keeps logs under a year (context.toml sets 365: PCI DSS 10.5.1).
RETENTION_WAIVER = {"WebAclLogGroup": {"CT.CLOUDWATCH.PR.2"}}


# --- A minimal evaluator for the template's own condition functions (parameter defaults only).
def resolve(template: Template, value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((fn, args),) = value.items()
        if fn == "Ref" and args in template.get("Parameters", {}):
            return template["Parameters"][args].get("Default")
        if fn == "Fn::Equals":
            return resolve(template, args[0]) == resolve(template, args[1])
        if fn == "Fn::Not":
            return not resolve(template, args[0])
        if fn == "Condition":
            return condition(template, args)
        if fn == "Fn::If":
            name, when_true, when_false = args
            return resolve(template, when_true if condition(template, name) else when_false)
    return value


def condition(template: Template, name: str) -> bool:
    return bool(resolve(template, template["Conditions"][name]))


def exists(template: Template, logical_id: str) -> bool:
    """Whether a resource is created with the parameter defaults (its Condition holds)."""
    resource = template["Resources"].get(logical_id)
    if resource is None:
        return False
    return "Condition" not in resource or condition(template, resource["Condition"])


def default_actions(template: Template, listener: str) -> list[dict[str, Any]]:
    return resolve(template, props(template, listener)["DefaultActions"])


def attributes(template: Template, logical_id: str, key: str) -> dict[str, Any]:
    return {a["Key"]: a["Value"] for a in props(template, logical_id)[key]}


def region_of(template: Template, context: Context, primary: Template) -> Region:
    return context.primary if template is primary else secondary_of(context)


def rules(template: Template) -> list[dict[str, Any]]:
    return props(template, "WebAcl")["Rules"]


def rule_with(template: Template, statement: str) -> dict[str, Any]:
    matches = [r for r in rules(template) if statement in r["Statement"]]
    assert len(matches) == 1, f"expected one {statement} rule, found {len(matches)}"
    return matches[0]


@pytest.fixture(scope="module")
def with_certificate(render_with: Callable[..., dict[str, Template]]) -> dict[str, Template]:
    return render_with(f"us-east-1.certificate_arn='{CERTIFICATE}'")


# --- Load balancer
def test_alb_is_internet_facing_in_every_public_subnet(
    regional: Template, context: Context, primary: Template
) -> None:
    region = region_of(regional, context, primary)
    p = props(regional, "LoadBalancer")
    assert (p["Type"], p["Scheme"]) == ("application", "internet-facing")
    assert p["Subnets"] == [{"Ref": f"PublicSubnet{n}"} for n in range(1, region.az_count + 1)]
    assert p["SecurityGroups"] == [{"Fn::GetAtt": ["AlbSecurityGroup", "GroupId"]}]


def test_alb_subnets_follow_the_az_count(render_with: Callable[..., dict[str, Template]]) -> None:
    two_azs = render_with("defaults.az_count=2")[SECONDARY_FILE]
    assert props(two_azs, "LoadBalancer")["Subnets"] == [{"Ref": "PublicSubnet1"}, {"Ref": "PublicSubnet2"}]


def test_alb_attributes_harden_and_log(regional: Template) -> None:
    attrs = attributes(regional, "LoadBalancer", "LoadBalancerAttributes")
    assert attrs["deletion_protection.enabled"] == "false"  # destroyable by requirement
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert attrs["routing.http.desync_mitigation_mode"] == "strictest"
    assert attrs["waf.fail_open.enabled"] == "false"
    assert int(attrs["idle_timeout.timeout_seconds"]) > 0
    assert attrs["access_logs.s3.enabled"] == "true"
    assert attrs["access_logs.s3.bucket"] == {"Ref": "AlbLogsBucket"}
    assert attrs["access_logs.s3.prefix"]
    assert all(isinstance(v, (str, dict)) for v in attrs.values())  # CFN wants strings, not booleans


def test_alb_log_prefix_is_the_one_the_bucket_policy_grants(regional: Template) -> None:
    prefix = attributes(regional, "LoadBalancer", "LoadBalancerAttributes")["access_logs.s3.prefix"]
    policy = json.dumps(props(regional, "AlbLogsBucketPolicy")["PolicyDocument"])
    assert f"/{prefix}/AWSLogs/" in policy


def test_alb_waits_for_the_log_bucket_policy_and_the_internet_gateway(regional: Template) -> None:
    # ELB test-writes to the bucket at creation; an internet-facing ALB needs an attached gateway.
    depends = regional["Resources"]["LoadBalancer"]["DependsOn"]
    assert {"AlbLogsBucketPolicy", "InternetGatewayAttachment"} <= set(depends)
    assert all(d in regional["Resources"] for d in depends)


# --- Target group
def test_service_target_group_targets_task_ips_on_the_container_port(
    regional: Template, context: Context, primary: Template
) -> None:
    ecs = region_of(regional, context, primary).ecs
    p = props(regional, "ServiceTargetGroup")
    assert p["TargetType"] == "ip"  # awsvpc tasks register by IP
    assert p["VpcId"] == {"Ref": "Vpc"}
    assert (p["Protocol"], p["Port"]) == ("HTTP", ecs.container_port)
    assert p["HealthCheckPath"] == ecs.health_check_path
    assert p["HealthCheckTimeoutSeconds"] < p["HealthCheckIntervalSeconds"]
    assert p["HealthyThresholdCount"] >= 2 and p["UnhealthyThresholdCount"] >= 2
    attrs = attributes(regional, "ServiceTargetGroup", "TargetGroupAttributes")
    assert int(attrs["deregistration_delay.timeout_seconds"]) > 0


def test_target_group_port_and_health_path_come_from_the_context(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with("us-east-2.ecs.container_port=9090", "us-east-2.ecs.health_check_path='/ready'")
    p = props(out[SECONDARY_FILE], "ServiceTargetGroup")
    assert (p["Port"], p["HealthCheckPath"]) == (9090, "/ready")
    assert props(out[PRIMARY_FILE], "ServiceTargetGroup")["Port"] == 8080


# --- Listeners and the certificate
def test_certificate_parameter_defaults_to_the_region_value(
    regional: Template, with_certificate: dict[str, Template]
) -> None:
    assert regional["Parameters"]["CertificateArn"]["Default"] == ""
    assert with_certificate[PRIMARY_FILE]["Parameters"]["CertificateArn"]["Default"] == CERTIFICATE
    assert with_certificate[SECONDARY_FILE]["Parameters"]["CertificateArn"]["Default"] == ""


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("", True),
        (CERTIFICATE, True),
        ("arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/x-1", True),
        ("arn:aws:iam::123456789012:server-certificate/abc", False),
        ("abc", False),
    ],
)
def test_certificate_parameter_accepts_only_empty_or_an_acm_arn(
    primary: Template, value: str, accepted: bool
) -> None:
    pattern = primary["Parameters"]["CertificateArn"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted


def test_without_a_certificate_port_80_serves_and_there_is_no_https(regional: Template) -> None:
    assert not condition(regional, "HasCertificate")
    assert not exists(regional, "HttpsListener")
    http = props(regional, "HttpListener")
    assert (http["Port"], http["Protocol"]) == (80, "HTTP")
    assert default_actions(regional, "HttpListener") == [
        {"Type": "forward", "TargetGroupArn": {"Ref": "ServiceTargetGroup"}}
    ]


def test_with_a_certificate_port_80_only_redirects_to_https(with_certificate: dict[str, Template]) -> None:
    template = with_certificate[PRIMARY_FILE]
    assert condition(template, "HasCertificate")
    (action,) = default_actions(template, "HttpListener")
    assert action["Type"] == "redirect"
    redirect = action["RedirectConfig"]
    assert (redirect["Protocol"], redirect["Port"], redirect["StatusCode"]) == ("HTTPS", "443", "HTTP_301")
    # Host, path and query survive the redirect.
    assert (redirect["Host"], redirect["Path"], redirect["Query"]) == ("#{host}", "/#{path}", "#{query}")


def test_with_a_certificate_https_serves_with_a_tls12_plus_policy(
    with_certificate: dict[str, Template],
) -> None:
    template = with_certificate[PRIMARY_FILE]
    assert exists(template, "HttpsListener")
    https = props(template, "HttpsListener")
    assert (https["Port"], https["Protocol"]) == (443, "HTTPS")
    assert https["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}]
    assert https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-1-2")
    assert https["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "ServiceTargetGroup"}}]


def test_the_certificate_of_one_region_does_not_change_the_other(
    with_certificate: dict[str, Template], secondary: Template
) -> None:
    assert not condition(with_certificate[SECONDARY_FILE], "HasCertificate")
    listener = with_certificate[SECONDARY_FILE]["Resources"]["HttpListener"]
    assert listener == secondary["Resources"]["HttpListener"]


def test_both_listeners_belong_to_the_load_balancer(regional: Template) -> None:
    for listener in ("HttpListener", "HttpsListener"):
        assert props(regional, listener)["LoadBalancerArn"] == {"Ref": "LoadBalancer"}
    assert regional["Resources"]["HttpsListener"]["Condition"] == "HasCertificate"


# --- WAF
def test_web_acl_is_regional_and_allows_by_default(regional: Template) -> None:
    p = props(regional, "WebAcl")
    assert p["Scope"] == "REGIONAL"
    assert p["DefaultAction"] == {"Allow": {}}
    assert p["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True


def test_geo_rule_blocks_exactly_the_region_countries(
    regional: Template, context: Context, primary: Template
) -> None:
    rule = rule_with(regional, "GeoMatchStatement")
    assert rule["Action"] == {"Block": {}}
    countries = rule["Statement"]["GeoMatchStatement"]["CountryCodes"]
    assert countries == list(region_of(regional, context, primary).waf.blocked_countries)


def test_geo_rules_differ_between_the_regions(primary: Template, secondary: Template) -> None:
    def countries(template: Template) -> set[str]:
        return set(rule_with(template, "GeoMatchStatement")["Statement"]["GeoMatchStatement"]["CountryCodes"])

    assert countries(primary) != countries(secondary)


def test_country_codes_stay_strings_even_when_yaml_would_read_a_boolean(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    # "NO" (Norway) is `false` to a YAML 1.1 reader unless quoted.
    out = render_with("us-east-2.waf.blocked_countries=['NO', 'KP']")
    rule = rule_with(out[SECONDARY_FILE], "GeoMatchStatement")
    assert rule["Statement"]["GeoMatchStatement"]["CountryCodes"] == ["KP", "NO"]


def test_rate_rule_blocks_per_ip_at_the_context_limit(
    regional: Template, context: Context, primary: Template
) -> None:
    rule = rule_with(regional, "RateBasedStatement")
    statement = rule["Statement"]["RateBasedStatement"]
    assert rule["Action"] == {"Block": {}}
    assert statement["AggregateKeyType"] == "IP"
    assert statement["Limit"] == region_of(regional, context, primary).waf.rate_limit_per_5min
    assert statement.get("EvaluationWindowSec", 300) == 300  # the context's unit is 5 minutes


def test_rate_limit_override_changes_only_that_region(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with("us-east-1.waf.rate_limit_per_5min=500")

    def limit(template: Template) -> int:
        return rule_with(template, "RateBasedStatement")["Statement"]["RateBasedStatement"]["Limit"]

    assert (limit(out[PRIMARY_FILE]), limit(out[SECONDARY_FILE])) == (500, 2000)


def test_managed_rule_groups_are_enforced(regional: Template) -> None:
    managed = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in rules(regional)
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert set(managed) >= MANAGED_RULE_GROUPS
    for rule in managed.values():
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
        assert rule["OverrideAction"] == {"None": {}}  # the groups' own block actions apply
        assert "ExcludedRules" not in rule["Statement"]["ManagedRuleGroupStatement"]
    # The only rule overridden: the common set's 8 KB body rule counts; body-size-limit answers.
    overrides = {
        name: rule["Statement"]["ManagedRuleGroupStatement"].get("RuleActionOverrides")
        for name, rule in managed.items()
    }
    assert overrides == {
        "AWSManagedRulesCommonRuleSet": [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}],
        "AWSManagedRulesKnownBadInputsRuleSet": None,
        "AWSManagedRulesSQLiRuleSet": None,
    }


# --- One body limit for the edge and the API: the handler's constant, the handler's 413 body
def test_oversize_bodies_get_the_handlers_413_before_any_managed_rule(
    regional: Template, context: Context, primary: Template
) -> None:
    limits = payment_limits()
    p = context.project
    region_name = p.primary_region if regional is primary else p.secondary_regions[0]
    rule = rule_with(regional, "SizeConstraintStatement")
    statement = rule["Statement"]["SizeConstraintStatement"]
    # WAF sees at most 8 KB of an ALB request body: a larger one is "oversize" and must match.
    assert statement["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert (statement["ComparisonOperator"], statement["Size"]) == ("GT", limits.MAX_BODY_BYTES)
    assert limits.MAX_BODY_BYTES == 8192
    assert statement["TextTransformations"] == [{"Priority": 0, "Type": "NONE"}]
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 413
    body = props(regional, "WebAcl")["CustomResponseBodies"][response["CustomResponseBodyKey"]]
    assert body == {"ContentType": "APPLICATION_JSON", "Content": limits.payload_too_large_body(region_name)}
    assert json.loads(body["Content"])["region"] == region_name  # each region answers as its handler
    assert len(body["Content"]) <= 10240  # CustomResponseBody Content maximum
    managed = [r["Priority"] for r in rules(regional) if "ManagedRuleGroupStatement" in r["Statement"]]
    assert rule["Priority"] < min(managed)


def test_the_body_limit_is_read_from_the_handler_source(tmp_path: Path) -> None:
    source = Path(payment_limits().__file__).read_text().replace("8 * 1024", "4 * 1024")
    changed = tmp_path / "limits.py"
    changed.write_text(source)
    assert payment_limits(changed).MAX_BODY_BYTES == 4096
    assert "at most 4096 bytes" in payment_limits(changed).payload_too_large_body("us-east-1")


def test_rules_have_unique_priorities_names_and_metrics(regional: Template) -> None:
    all_rules = rules(regional)
    for field in ("Priority", "Name"):
        values = [r[field] for r in all_rules]
        assert len(values) == len(set(values)), field
    metrics = [r["VisibilityConfig"]["MetricName"] for r in all_rules]
    assert len(metrics) == len(set(metrics))
    assert all(r["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True for r in all_rules)
    # Cheap, decisive rules first: geo, then rate, then the managed groups.
    order = [next(iter(r["Statement"])) for r in sorted(all_rules, key=lambda r: r["Priority"])]
    assert order[:2] == ["GeoMatchStatement", "RateBasedStatement"]


def test_association_binds_the_web_acl_to_the_alb(regional: Template) -> None:
    (association,) = resources_of(regional, "AWS::WAFv2::WebACLAssociation")
    p = props(regional, association)
    assert p == {"ResourceArn": {"Ref": "LoadBalancer"}, "WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]}}


def test_waf_logs_go_to_an_encrypted_aws_waf_logs_group(
    regional: Template, context: Context, primary: Template
) -> None:
    group = props(regional, "WebAclLogGroup")
    assert group["LogGroupName"]["Fn::Sub"].startswith("aws-waf-logs-")  # WAF's naming requirement
    assert group["KmsKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert group["RetentionInDays"] == region_of(regional, context, primary).log_retention_days
    assert regional["Resources"]["WebAclLogGroup"]["DeletionPolicy"] == "Delete"
    logging = props(regional, "WebAclLogging")
    assert logging["ResourceArn"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    (destination,) = logging["LogDestinationConfigs"]
    assert destination["Fn::Sub"].endswith(":log-group:${WebAclLogGroup}")  # no ":*" suffix
    redacted = {f["SingleHeader"]["Name"] for f in logging["RedactedFields"]}
    assert {"authorization", "cookie"} <= redacted


# --- Contract
def test_outputs_expose_the_alb_and_web_acl(regional: Template) -> None:
    outputs = regional["Outputs"]
    assert outputs["LoadBalancerArn"]["Value"] == {"Ref": "LoadBalancer"}
    assert outputs["LoadBalancerDnsName"]["Value"] == {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}
    assert outputs["WebAclArn"]["Value"] == {"Fn::GetAtt": ["WebAcl", "Arn"]}
    assert outputs["ServiceTargetGroupArn"]["Value"] == {"Ref": "ServiceTargetGroup"}


def test_explicit_names_come_from_the_naming_module(regional: Template, context: Context) -> None:
    names = context.names
    assert props(regional, "LoadBalancer")["Name"] == {"Fn::Sub": names.sub("alb")}
    assert props(regional, "ServiceTargetGroup")["Name"] == {"Fn::Sub": names.sub("service_target_group")}
    assert props(regional, "WebAcl")["Name"] == {"Fn::Sub": names.sub("web_acl")}


def test_waivers_are_only_the_inherent_ones(regional: Template) -> None:
    edge = {"LoadBalancer", "ServiceTargetGroup", "HttpListener", "HttpsListener", "WebAcl",
            "WebAclAssociation", "WebAclLogGroup", "WebAclLogging"}
    def waivers(logical_id: str, tool: str, key: str) -> list[dict[str, str]]:
        return regional["Resources"][logical_id].get("Metadata", {}).get(tool, {}).get(key, [])

    guard = {i: {w["id"] for w in waivers(i, "guard", "SuppressedRules")} for i in edge}
    found = {k: v for k, v in guard.items() if v}
    assert found in (ALLOWED_GUARD_WAIVERS, {**ALLOWED_GUARD_WAIVERS, **RETENTION_WAIVER})
    for logical_id in edge:
        declared = waivers(logical_id, "guard", "SuppressedRules") + waivers(logical_id, "checkov", "skip")
        for waiver in declared:
            assert waiver["comment"].strip(), f"{logical_id}: waiver {waiver['id']} without a reason"
