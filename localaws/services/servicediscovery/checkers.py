"""Cloud Map namespaces and services described through the Service Discovery API."""

from __future__ import annotations

from localaws.describing import Clients, ServiceCheckers

SERVICE = ServiceCheckers("servicediscovery")


@SERVICE.describes(
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::PublicDnsNamespace",
    "AWS::ServiceDiscovery::HttpNamespace",
)
def namespace(c: Clients, pid: str) -> str:
    n = c("servicediscovery").get_namespace(Id=pid)["Namespace"]
    return f"{n['Name']} ({n['Type']})"


@SERVICE.describes("AWS::ServiceDiscovery::Service")
def discovery_service(c: Clients, pid: str) -> str:
    return str(c("servicediscovery").get_service(Id=pid)["Service"]["Name"])


SERVICE.reads_attribute(
    "AWS::ServiceDiscovery::Service",
    "Arn",
    lambda c, pid: c("servicediscovery").get_service(Id=pid)["Service"]["Arn"],
)
