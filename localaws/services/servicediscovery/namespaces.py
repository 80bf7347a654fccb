"""CloudFormation support for Cloud Map private DNS namespaces and services.

moto 5.2.5 implements the Service Discovery API but has no CloudFormation model for
`AWS::ServiceDiscovery::PrivateDnsNamespace` or `AWS::ServiceDiscovery::Service`: both are
skipped, and an ECS service whose `ServiceRegistries` does `Fn::GetAtt DiscoveryService.Arn`
then fails the stack ("Fn::GetAtt references undefined resource"). Deleting a namespace through
the API also leaves its private hosted zone in Route 53; CloudFormation removes both.
Physical IDs follow CloudFormation: the namespace ID (`ns-...`) and the service ID (`srv-...`).

The namespace's hosted zone: moto names it `<namespace>-hz` and associates it with no VPC. On AWS
the private zone has the namespace's name and answers the namespace's VPC; other VPCs (a peer's)
are added with AssociateVPCWithHostedZone, which refuses a VPC already associated with another
private zone of the same name (ConflictingDomainExists: "The VPC that you specified is already
associated with another hosted zone that has the same name"). moto accepts that association, so
two regions' namespaces of one name would pass here and fail on AWS.
https://docs.aws.amazon.com/cloud-map/latest/api/API_CreatePrivateDnsNamespace.html
https://docs.aws.amazon.com/Route53/latest/APIReference/API_AssociateVPCWithHostedZone.html
"""

from __future__ import annotations

from typing import Any

from localaws._moto import (
    Route53Backend,
    Route53ClientError,
    ServiceDiscoveryBackend,
    route53_backends,
    servicediscovery_backends,
)
from localaws.patching import EmulatorModel, Patcher


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
    def create_from_cloudformation_json(
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
    def create_from_cloudformation_json(
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
            namespace_id=namespace_id,  # type: ignore[arg-type]  # moto: str, stores None as is
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


def _bare(zone_id: str) -> str:
    return zone_id.rsplit("/", 1)[-1]


def _zone_name(name: str) -> str:
    return name.rstrip(".").lower() + "."


class ConflictingDomain(Route53ClientError):
    def __init__(self, vpc_id: str, name: str) -> None:
        super().__init__(
            "ConflictingDomainExists",
            f"The VPC {vpc_id} is already associated with another hosted zone named {name}",
        )


def apply(patcher: Patcher) -> None:
    patcher.register_models((PrivateDnsNamespaceModel, ServiceModel))
    create_namespace = ServiceDiscoveryBackend.create_private_dns_namespace
    associate = Route53Backend.associate_vpc_with_hosted_zone

    def create_private_dns_namespace(self: Any, name: str, *args: Any, **kwargs: Any) -> str:
        operation_id = create_namespace(self, name, *args, **kwargs)
        namespace = self.get_namespace(self.get_operation(operation_id).targets["NAMESPACE"])
        zone = route53_backends[self.account_id]["aws"].get_hosted_zone(
            _bare(namespace.dns_properties["HostedZoneId"])
        )
        zone.name = _zone_name(name)
        zone.add_vpc(namespace.vpc, self.region_name)
        return str(operation_id)

    def associate_vpc_with_hosted_zone(self: Any, zone_id: str, vpcid: str, vpcregion: str) -> Any:
        zone = self.get_hosted_zone(zone_id)
        for other in self.zones.values():
            same_name = _zone_name(other.name) == _zone_name(zone.name)
            if (
                other is not zone
                and other.private_zone
                and same_name
                and any(v.get("vpc_id") == vpcid for v in other.vpcs)
            ):
                raise ConflictingDomain(vpcid, _zone_name(zone.name))
        return associate(self, zone_id, vpcid, vpcregion)

    patcher.replace(ServiceDiscoveryBackend, "create_private_dns_namespace", create_private_dns_namespace)
    patcher.replace(Route53Backend, "associate_vpc_with_hosted_zone", associate_vpc_with_hosted_zone)
