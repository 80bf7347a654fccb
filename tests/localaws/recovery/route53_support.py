"""Two regions with a load balancer and a fence alarm each, for the Route 53 tests."""

from __future__ import annotations

import uuid
from typing import Any

NAMESPACE, METRIC = "PayInfra/Recovery", "RegionActive"
DIMENSIONS = [{"Name": "Environment", "Value": "dev"}]
ZONE = "payments.example.internal"
RECORD = f"api.{ZONE}"


def load_balancer(client: Any, region: str) -> str:
    """An internet-facing ALB in `region`; its DNS name."""
    ec2 = client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        for i, az in enumerate(zones)
    ]
    lb = client("elbv2", region).create_load_balancer(Name=f"alb-{region}", Subnets=subnets)
    return str(lb["LoadBalancers"][0]["DNSName"])


def put_fence_alarm(cw: Any, name: str, treat_missing: str = "ignore") -> None:
    """The template's fence alarm: ALARM while RegionActive < 1 (the alarm evaluation tests too)."""
    cw.put_metric_alarm(
        AlarmName=name,
        Namespace=NAMESPACE,
        MetricName=METRIC,
        Dimensions=DIMENSIONS,
        Statistic="Minimum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1.0,
        ComparisonOperator="LessThanThreshold",
        TreatMissingData=treat_missing,
    )


def fence_alarm(client: Any, region: str) -> str:
    name = f"fence-{region}"
    put_fence_alarm(client("cloudwatch", region), name)
    return name


def publish(client: Any, region: str, value: float) -> None:
    client("cloudwatch", region).put_metric_data(
        Namespace=NAMESPACE, MetricData=[{"MetricName": METRIC, "Dimensions": DIMENSIONS, "Value": value}]
    )


def health_check(client: Any, config: dict[str, Any]) -> str:
    created = client("route53").create_health_check(
        CallerReference=str(uuid.uuid4()), HealthCheckConfig=config
    )
    return str(created["HealthCheck"]["Id"])


def https_check(client: Any, dns_name: str, interval: int = 10, threshold: int = 3) -> str:
    return health_check(
        client,
        {
            "Type": "HTTPS",
            "FullyQualifiedDomainName": dns_name,
            "ResourcePath": "/healthz",
            "Port": 443,
            "RequestInterval": interval,
            "FailureThreshold": threshold,
        },
    )


def metric_check(client: Any, region: str, alarm: str, insufficient: str = "Unhealthy") -> str:
    return health_check(
        client,
        {
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": region, "Name": alarm},
            "InsufficientDataHealthStatus": insufficient,
        },
    )


def is_healthy(client: Any, check_id: str) -> bool:
    observations = client("route53").get_health_check_status(HealthCheckId=check_id)[
        "HealthCheckObservations"
    ]
    return all(o["StatusReport"]["Status"].startswith("Success") for o in observations)
