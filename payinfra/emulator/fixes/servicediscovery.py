"""CloudFormation support for Cloud Map private DNS namespaces and services.

moto 5.2.5 implements the Service Discovery API but has no CloudFormation model for
`AWS::ServiceDiscovery::PrivateDnsNamespace` or `AWS::ServiceDiscovery::Service`: both are
skipped, and an ECS service whose `ServiceRegistries` does `Fn::GetAtt DiscoveryService.Arn`
then fails the stack ("Fn::GetAtt references undefined resource"). Deleting a namespace through
the API also leaves its private hosted zone in Route 53; CloudFormation removes both.
Physical IDs follow CloudFormation: the namespace ID (`ns-...`) and the service ID (`srv-...`).
"""

from __future__ import annotations

from typing import Any

from moto.route53.models import route53_backends
from moto.servicediscovery.models import servicediscovery_backends

from ._patching import EmulatorModel, Patcher


class PrivateDnsNamespaceModel(EmulatorModel):
    ATTRIBUTES = ("Arn", "Id", "HostedZoneId")

    def __init__(self, namespace: Any) -> None:
        self.physical_resource_id = namespace.id
        self.hosted_zone_id = namespace.dns_properties.get("HostedZoneId")
        self.attributes = {"Arn": namespace.arn, "Id": namespace.id, "HostedZoneId": self.hosted_zone_id}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ServiceDiscovery::PrivateDnsNamespace"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> PrivateDnsNamespaceModel:
        p = cloudformation_json["Properties"]
        backend = servicediscovery_backends[account_id][region_name]
        operation_id = backend.create_private_dns_namespace(
            name=p["Name"],
            creator_request_id=kw.get("LogicalId", resource_name),
            description=p.get("Description"),
            vpc=p["Vpc"],
            tags=p.get("Tags", []),
            properties=p.get("Properties"),
        )
        namespace_id = backend.get_operation(operation_id).targets["NAMESPACE"]
        return cls(backend.get_namespace(namespace_id))

    def delete(self, account_id: str, region_name: str) -> None:
        backend = servicediscovery_backends[account_id][region_name]
        if self.physical_resource_id in backend.namespaces:
            backend.delete_namespace(self.physical_resource_id)
        if self.hosted_zone_id:
            # moto keys zones by the bare ID; the namespace holds "/hostedzone/<id>".
            route53_backends[account_id]["aws"].zones.pop(self.hosted_zone_id.rsplit("/", 1)[-1], None)


class ServiceModel(EmulatorModel):
    ATTRIBUTES = ("Arn", "Id", "Name")

    def __init__(self, service: Any) -> None:
        self.physical_resource_id = service.id
        self.attributes = {"Arn": service.arn, "Id": service.id, "Name": service.name}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ServiceDiscovery::Service"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> ServiceModel:
        p = cloudformation_json["Properties"]
        dns_config = p.get("DnsConfig")
        namespace_id = p.get("NamespaceId") or (dns_config or {}).get("NamespaceId")
        service = servicediscovery_backends[account_id][region_name].create_service(
            name=resource_name,
            namespace_id=namespace_id,
            creator_request_id=kw.get("LogicalId", resource_name),
            description=p.get("Description"),
            dns_config=dns_config,
            health_check_config=p.get("HealthCheckConfig"),
            health_check_custom_config=p.get("HealthCheckCustomConfig"),
            tags=p.get("Tags", []),
            service_type=p.get("Type"),
        )
        return cls(service)

    def delete(self, account_id: str, region_name: str) -> None:
        servicediscovery_backends[account_id][region_name].delete_service(self.physical_resource_id)


def apply(patcher: Patcher) -> None:
    patcher.register_models((PrivateDnsNamespaceModel, ServiceModel))
