"""The global template: per region an endpoint, a fence and a calculated health check and a
weighted alias record; one zero-weight record without a health check so DNS never fails open."""

from __future__ import annotations

from typing import Any

from payinfra.cfn import load_cfn_yaml
from payinfra.config import load_context
from payinfra.paths import ROOT
from payinfra.render.renderer import render_all

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"
CERT = "arn:aws:acm:us-east-2:123456789012:certificate/abc"


def rendered(*overrides: str, path: Any = None) -> dict[str, Any]:
    ctx = load_context(path, list(overrides)) if path else load_context(overrides=list(overrides))
    return dict(load_cfn_yaml(render_all(ctx)["template.global.yaml"], "template.global.yaml"))


def records(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Route53::RecordSet"
    }


def test_every_region_has_three_checks_and_a_weighted_alias_record() -> None:
    template = rendered(path=THREE_REGIONS)
    resources = template["Resources"]
    for rid, region, stack in (("UsEast1", "us-east-1", "payments-primary-dev"),
                               ("UsEast2", "us-east-2", "payments-secondary-dev"),
                               ("UsWest2", "us-west-2", "payments-secondary-dev")):
        endpoint = resources[f"EndpointHealthCheck{rid}"]["Properties"]["HealthCheckConfig"]
        assert endpoint["FullyQualifiedDomainName"]["Fn::GetStackOutput"] == {
            "StackName": stack, "OutputName": "LoadBalancerDnsName", "Region": region}
        assert (endpoint["ResourcePath"], endpoint["RequestInterval"], endpoint["FailureThreshold"]) == (
            "/healthz", 10, 3)
        assert len(endpoint["Regions"]) >= 3
        fence = resources[f"FenceHealthCheck{rid}"]["Properties"]["HealthCheckConfig"]
        assert fence["Type"] == "CLOUDWATCH_METRIC"
        assert fence["AlarmIdentifier"]["Region"] == region
        assert fence["InsufficientDataHealthStatus"] == "Unhealthy"
        calculated = resources[f"RegionHealthCheck{rid}"]["Properties"]["HealthCheckConfig"]
        assert calculated["Type"] == "CALCULATED" and calculated["HealthThreshold"] == 2
        assert [c["Ref"] for c in calculated["ChildHealthChecks"]] == [
            f"EndpointHealthCheck{rid}", f"FenceHealthCheck{rid}"]
        record = records(template)[f"Record{rid}"]
        assert record["HealthCheckId"] == {"Ref": f"RegionHealthCheck{rid}"}
        assert record["Weight"] == 1 and record["SetIdentifier"] == region
        assert record["AliasTarget"]["HostedZoneId"]["Fn::GetStackOutput"]["Region"] == region


def test_the_group_cannot_fail_open_onto_a_fenced_region() -> None:
    group = records(rendered())
    assert {(r["HostedZoneName"], r["Name"], r["Type"]) for r in group.values()} == {
        ("payments.example.internal.", "api-dev.payments.example.internal.", "A")}
    sink = group.pop("RecordNoActiveRegion")
    assert sink["Weight"] == 0 and "HealthCheckId" not in sink and "AliasTarget" not in sink
    assert sink["ResourceRecords"] == ["192.0.2.1"]
    assert all(r["Weight"] > 0 and "HealthCheckId" in r for r in group.values())


def test_the_probe_follows_the_certificate_and_the_recovery_settings() -> None:
    template = rendered(
        f'us-east-2.certificate_arn="{CERT}"', "recovery.health_check_interval_s=30",
        'recovery.hosted_zone="pay.corp.example"', 'recovery.record_name="checkout"',
    )
    resources = template["Resources"]
    east1 = resources["EndpointHealthCheckUsEast1"]["Properties"]["HealthCheckConfig"]
    east2 = resources["EndpointHealthCheckUsEast2"]["Properties"]["HealthCheckConfig"]
    assert (east1["Type"], east1["Port"]) == ("HTTP", 80)
    assert (east2["Type"], east2["Port"], east2["RequestInterval"]) == ("HTTPS", 443, 30)
    assert {r["Name"] for r in records(template).values()} == {"checkout.pay.corp.example."}
    assert template["Outputs"]["HostedZoneName"]["Value"] == "pay.corp.example."
