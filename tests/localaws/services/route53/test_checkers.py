"""Route 53's describe-checkers: a stack's health checks and weighted records are described
through the Route 53 API while the stack exists, and nothing of them is described after it."""

from __future__ import annotations

from typing import Any

import boto3

from localaws import check_deleted, take_inventory
from localaws.testing import backend
from tests.localaws.support import create, emulated, physical_ids

ZONE = "payments.example.internal."
NAME = "api-dev.payments.example.internal."


def _record(set_identifier: str, weight: int, address: str, check: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "HostedZoneName": ZONE,
        "Name": NAME,
        "Type": "A",
        "SetIdentifier": set_identifier,
        "Weight": weight,
        "TTL": "60",
        "ResourceRecords": [address],
    }
    if check:
        properties["HealthCheckId"] = {"Ref": check}
    return {"Type": "AWS::Route53::RecordSet", "Properties": properties}


TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Endpoint": {
            "Type": "AWS::Route53::HealthCheck",
            "Properties": {
                "HealthCheckConfig": {
                    "Type": "HTTP",
                    "FullyQualifiedDomainName": "lb.us-east-1.example.internal",
                    "Port": 80,
                    "ResourcePath": "/healthz",
                },
            },
        },
        "Fence": {
            "Type": "AWS::Route53::HealthCheck",
            "Properties": {
                "HealthCheckConfig": {
                    "Type": "CLOUDWATCH_METRIC",
                    "AlarmIdentifier": {"Name": "payments-dev-region-active", "Region": "us-east-1"},
                    "InsufficientDataHealthStatus": "Unhealthy",
                },
            },
        },
        "Region": {
            "Type": "AWS::Route53::HealthCheck",
            "Properties": {
                "HealthCheckConfig": {
                    "Type": "CALCULATED",
                    "ChildHealthChecks": [{"Ref": "Endpoint"}, {"Ref": "Fence"}],
                    "HealthThreshold": 2,
                },
            },
        },
        "RecordUsEast1": _record("us-east-1", 1, "192.0.2.10", "Region"),
        "RecordNoActiveRegion": _record("no-active-region", 0, "192.0.2.1", None),
    },
}


def test_health_checks_and_records_are_described_and_records_gone_after_delete() -> None:
    session = boto3.Session(region_name="us-east-1")
    with emulated() as client:
        client("route53").create_hosted_zone(Name=ZONE, CallerReference="zone")
        create(client, "global", TEMPLATE)
        inventory = take_inventory("global", session)
        detail = {c.logical_id: (c.status, c.physical_id, c.detail) for c in inventory.checks}
        assert detail["Fence"][0::2] == (
            "describable",
            "CLOUDWATCH_METRIC: alarm payments-dev-region-active in us-east-1",
        )
        assert detail["Region"][0::2] == ("describable", "CALCULATED: 2 of 2")
        assert detail["Endpoint"][0::2] == ("describable", "HTTP lb.us-east-1.example.internal")
        # Both records report the name they share: each is described by the whole group.
        assert (
            detail["RecordUsEast1"]
            == detail["RecordNoActiveRegion"]
            == (
                "describable",
                NAME,
                f"2 record(s) in {ZONE}: A no-active-region, A us-east-1",
            )
        )
        assert inventory.complete

        client("cloudformation").delete_stack(StackName="global")
        left = check_deleted(inventory, session)
        assert [c.logical_id for c in left if c.resource_type == "AWS::Route53::RecordSet"] == []


def test_health_checks_are_gone_after_delete() -> None:
    """moto 5.2.5's HealthCheck model has no delete (services/route53/health_checks.py adds it)."""
    session = boto3.Session(region_name="us-east-1")
    with emulated() as client:
        client("route53").create_hosted_zone(Name=ZONE, CallerReference="zone")
        create(client, "global", TEMPLATE)
        inventory = take_inventory("global", session)
        client("cloudformation").delete_stack(StackName="global")
        assert check_deleted(inventory, session) == []


def test_a_record_or_check_removed_behind_the_stack_is_missing() -> None:
    session = boto3.Session(region_name="us-east-1")
    with emulated() as client:
        route53 = client("route53")
        zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference="zone")["HostedZone"]["Id"]
        route53.create_hosted_zone(Name="other.internal.", CallerReference="other")
        create(client, "global", TEMPLATE)
        # moto refuses an API DELETE of a record it did not create through the API (it checks its
        # change journal), so the records are removed from its state.
        backend("route53", "aws").get_hosted_zone(zone_id.split("/")[-1]).delete_rrset({"Name": NAME})
        endpoint = physical_ids(client, "global")["Endpoint"]
        route53.delete_health_check(HealthCheckId=endpoint)
        checks = {c.logical_id: c for c in take_inventory("global", session).checks}
        assert checks["RecordUsEast1"].status == "missing"
        assert checks["RecordUsEast1"].detail == f"no record named {NAME} in any hosted zone"
        assert checks["Endpoint"].status == "missing"
        assert "NoSuchHealthCheck" in checks["Endpoint"].detail
