"""Route 53 health checks and record sets described through the Route 53 API.

A record set's physical ID is its name, as CloudFormation's `Ref` gives it (moto's model reports
the same), and the records of a weighted group share one name, told apart by SetIdentifier. A
checker gets only the physical ID, so a record set is described by every record of that name in
the hosted zones the name belongs to: it is describable while one of them exists and gone when
none does. Whether each declared SetIdentifier is present is not checked here.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-route53-recordset.html
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html
"""

from __future__ import annotations

from typing import Any

from localaws.describing import Clients, Missing, ServiceCheckers

SERVICE = ServiceCheckers("route53")


@SERVICE.describes("AWS::Route53::HealthCheck")
def health_check(c: Clients, pid: str) -> str:
    """GetHealthCheck answers NoSuchHealthCheck for an ID that does not exist.
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheck.html"""
    config = c("route53").get_health_check(HealthCheckId=pid)["HealthCheck"]["HealthCheckConfig"]
    if config["Type"] == "CALCULATED":
        return f"CALCULATED: {config.get('HealthThreshold')} of {len(config.get('ChildHealthChecks', []))}"
    if config["Type"] == "CLOUDWATCH_METRIC":
        alarm = config.get("AlarmIdentifier") or {}
        return f"CLOUDWATCH_METRIC: alarm {alarm.get('Name')} in {alarm.get('Region')}"
    return f"{config['Type']} {config.get('FullyQualifiedDomainName') or config.get('IPAddress')}"


def _fqdn(name: str) -> str:
    """Route 53 answers names fully qualified, lower case, with the trailing dot."""
    return name.lower().rstrip(".") + "."


def _zones_of(route53: Any, name: str) -> list[dict[str, Any]]:
    """The hosted zones `name` lies in (the zone's name is the record name or one of its parents)."""
    zones = [z for page in route53.get_paginator("list_hosted_zones").paginate() for z in page["HostedZones"]]
    return [z for z in zones if name == _fqdn(z["Name"]) or name.endswith("." + _fqdn(z["Name"]))]


def _records_named(route53: Any, zone_id: str, name: str) -> list[dict[str, Any]]:
    """The zone's records of `name`: records are listed in name order from StartRecordName."""
    records: list[dict[str, Any]] = []
    pages = route53.get_paginator("list_resource_record_sets").paginate(
        HostedZoneId=zone_id, StartRecordName=name
    )
    for page in pages:
        for record in page["ResourceRecordSets"]:
            if _fqdn(record["Name"]) != name:
                return records
            records.append(record)
    return records


@SERVICE.describes("AWS::Route53::RecordSet")
def record_set(c: Clients, pid: str) -> str:
    name = _fqdn(pid)
    route53 = c("route53")
    found = [
        (zone["Name"], record)
        for zone in _zones_of(route53, name)
        for record in _records_named(route53, zone["Id"], name)
    ]
    if not found:
        raise Missing(f"no record named {name} in any hosted zone")
    records = ", ".join(sorted(f"{record['Type']} {record.get('SetIdentifier', '-')}" for _, record in found))
    return f"{len(found)} record(s) in {found[0][0]}: {records}"
