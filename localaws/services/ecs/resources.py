"""Create ECS clusters, task definitions and services with the properties the template sets;
delete ECS resources with the stack.

moto 5.2.5's `AWS::ECS::Service` model passes only cluster, name, desired count and task
definition: `LaunchType` (so a Fargate service shows as EC2), `NetworkConfiguration`,
`LoadBalancers`, `ServiceRegistries`, `PlatformVersion`, `PropagateTags`, `DeploymentController`,
`EnableExecuteCommand` and `Tags` are lost (moto's service has no `enableExecuteCommand` at all;
DescribeServices on AWS always returns it). Its `AWS::ECS::Cluster` model passes only the name:
`ClusterSettings` (Container Insights shows `disabled`), `Configuration` (ECS Exec logging and
key) and `Tags` are lost. Its `AWS::ECS::TaskDefinition` model passes family, containers,
volumes and memory: `RequiresCompatibilities`, `NetworkMode` (a Fargate `awsvpc` task shows
`bridge`), `Cpu`, `TaskRoleArn`, `ExecutionRoleArn`, `RuntimePlatform` and the rest are lost.
None of the ECS models (`Cluster`, `TaskDefinition`, `Service`) can be deleted by
CloudFormation: stack deletion leaves them ACTIVE.

Here each is created (and updated) with every mapped property, and deletion does what
CloudFormation does: the service is deleted (forced, INACTIVE), the task definition revision
deregistered, the cluster deleted.
- https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-cluster.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-taskdefinition.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html
- https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html (enableExecuteCommand)
"""

from __future__ import annotations

from typing import Any

from localaws._moto import (
    Cluster,
    Service,
    TaskDefinition,
    ecs_backends,
    pascal_to_camelcase,
    remap_nested_keys,
)
from localaws.patching import Patcher


def _camel(value: Any) -> Any:
    """CloudFormation's PascalCase keys in the ECS API's camelCase (recursively)."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def _name(value: Any, attr: str) -> Any:
    return getattr(value, attr) if isinstance(value, Cluster | TaskDefinition) else value


def _network_configuration(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """camelCase, with the lists ECS treats as optional present (moto indexes them)."""
    if not raw:
        return None
    config = _camel(raw)
    awsvpc = config.get("awsvpcConfiguration")
    if awsvpc is not None:
        awsvpc.setdefault("securityGroups", [])
        awsvpc.setdefault("subnets", [])
    result: dict[str, Any] | None = config
    return result


def create_service(
    cls: type,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **_: Any,
) -> Service:
    p = cloudformation_json["Properties"]
    task_definition = p.get("TaskDefinition")
    if isinstance(task_definition, TaskDefinition):
        task_definition = task_definition.arn
    service = ecs_backends[account_id][region_name].create_service(
        _name(p.get("Cluster", "default"), "name"),
        resource_name,
        # moto annotates int, yet its CreateService handler passes None when DesiredCount is absent
        int(p["DesiredCount"]) if p.get("DesiredCount") is not None else None,  # type: ignore[arg-type]  # moto: int, accepts None
        task_definition_str=task_definition,
        load_balancers=_camel(p.get("LoadBalancers", [])),
        scheduling_strategy=p.get("SchedulingStrategy"),
        tags=[{"key": t["Key"], "value": t["Value"]} for t in p.get("Tags", [])],
        deployment_controller=_camel(p.get("DeploymentController")),
        launch_type=p.get("LaunchType"),
        service_registries=_camel(p.get("ServiceRegistries", [])),
        platform_version=p.get("PlatformVersion"),
        propagate_tags=p.get("PropagateTags") or "NONE",
        network_configuration=_network_configuration(p.get("NetworkConfiguration")),
        role_arn=p.get("Role"),
    )
    vars(service)["enable_execute_command"] = _true(p.get("EnableExecuteCommand", False))
    return service


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _tags(p: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": t["Value"]} for t in p.get("Tags", [])]


def create_cluster(
    cls: type,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **_: Any,
) -> Cluster:
    p = cloudformation_json.get("Properties", {})
    return ecs_backends[account_id][region_name].create_cluster(
        cluster_name=resource_name,
        tags=_tags(p) or None,
        cluster_settings=_camel(p.get("ClusterSettings")),
        configuration=_camel(p.get("Configuration")),
        capacity_providers=p.get("CapacityProviders"),
        default_capacity_provider_strategy=_camel(p.get("DefaultCapacityProviderStrategy")),
        service_connect_defaults=_camel(p.get("ServiceConnectDefaults")),
    )


def update_cluster(  # noqa: PLR0917 - moto's update_from_cloudformation_json signature
    cls: type,
    original_resource: Cluster,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> Cluster:
    """A new name replaces the cluster; otherwise its settings and configuration change in place."""
    if original_resource.name != new_resource_name:
        ecs_backends[account_id][region_name].delete_cluster(original_resource.arn)
        return create_cluster(cls, new_resource_name, cloudformation_json, account_id, region_name)
    p = cloudformation_json.get("Properties", {})
    original_resource.settings = _camel(p.get("ClusterSettings")) or [
        {"name": "containerInsights", "value": "disabled"}
    ]
    original_resource.configuration = _camel(p.get("Configuration"))
    return original_resource


def create_task_definition(
    cls: type,
    /,
    resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
    **_: Any,
) -> TaskDefinition:
    p = cloudformation_json.get("Properties", {})
    return ecs_backends[account_id][region_name].register_task_definition(
        family=p.get("Family", resource_name),
        container_definitions=remap_nested_keys(p.get("ContainerDefinitions", []), pascal_to_camelcase),
        volumes=remap_nested_keys(p.get("Volumes", []), pascal_to_camelcase),
        network_mode=p.get("NetworkMode"),
        tags=_tags(p) or None,
        placement_constraints=_camel(p.get("PlacementConstraints")),
        requires_compatibilities=p.get("RequiresCompatibilities"),
        cpu=p.get("Cpu"),
        memory=p.get("Memory"),
        task_role_arn=p.get("TaskRoleArn"),
        execution_role_arn=p.get("ExecutionRoleArn"),
        proxy_configuration=_camel(p.get("ProxyConfiguration")),
        inference_accelerators=_camel(p.get("InferenceAccelerators")),
        runtime_platform=_camel(p.get("RuntimePlatform")),
        ipc_mode=p.get("IpcMode"),
        pid_mode=p.get("PidMode"),
        ephemeral_storage=_camel(p.get("EphemeralStorage")),
    )


def update_task_definition(  # noqa: PLR0917 - moto's update_from_cloudformation_json signature
    cls: type,
    original_resource: TaskDefinition,
    new_resource_name: str,
    cloudformation_json: dict[str, Any],
    account_id: str,
    region_name: str,
) -> TaskDefinition:
    """A task definition is immutable: a change registers a new revision (the old one is deregistered)."""
    delete_task_definition(original_resource, account_id, region_name)
    return create_task_definition(cls, new_resource_name, cloudformation_json, account_id, region_name)


def delete_service(self: Service, account_id: str, region_name: str) -> None:
    backend = ecs_backends[account_id][region_name]
    if f"{self.cluster_name}:{self.name}" in backend.services and self.status != "INACTIVE":
        backend.delete_service(self.cluster_name, self.name, force=True)


def delete_task_definition(self: TaskDefinition, account_id: str, region_name: str) -> None:
    if self.status != "INACTIVE":
        ecs_backends[account_id][region_name].deregister_task_definition(self.arn)


def delete_cluster(self: Cluster, account_id: str, region_name: str) -> None:
    backend = ecs_backends[account_id][region_name]
    if self.name in backend.clusters:
        backend.delete_cluster(self.name)


def apply(patcher: Patcher) -> None:
    patcher.replace(Service, "create_from_cloudformation_json", classmethod(create_service))
    patcher.replace(Service, "enable_execute_command", False)  # what API-created services describe
    patcher.replace(Cluster, "create_from_cloudformation_json", classmethod(create_cluster))
    patcher.replace(Cluster, "update_from_cloudformation_json", classmethod(update_cluster))
    patcher.replace(TaskDefinition, "create_from_cloudformation_json", classmethod(create_task_definition))
    patcher.replace(TaskDefinition, "update_from_cloudformation_json", classmethod(update_task_definition))
    patcher.replace(Service, "delete", delete_service)
    patcher.replace(TaskDefinition, "delete", delete_task_definition)
    patcher.replace(Cluster, "delete", delete_cluster)
