"""Create ECS services with the properties the template sets; delete ECS resources with the stack.

moto 5.2.5's `AWS::ECS::Service` model passes only cluster, name, desired count and task
definition: `LaunchType` (so a Fargate service shows as EC2), `NetworkConfiguration`,
`LoadBalancers`, `ServiceRegistries`, `PlatformVersion`, `PropagateTags`, `DeploymentController`
and `Tags` are lost. None of the ECS models (`Cluster`, `TaskDefinition`, `Service`) can be
deleted by CloudFormation: stack deletion leaves them ACTIVE. Here the service is created with
every mapped property, and deletion does what CloudFormation does: the service is deleted
(forced, INACTIVE), the task definition revision deregistered, the cluster deleted.
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends

from ._patching import Patcher


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
    return config  # type: ignore[no-any-return]


def create_service(
    cls: type,
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
    return ecs_backends[account_id][region_name].create_service(
        _name(p.get("Cluster", "default"), "name"),
        resource_name,
        int(p["DesiredCount"]) if p.get("DesiredCount") is not None else None,  # type: ignore[arg-type]
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
    patcher.replace(Service, "delete", delete_service)
    patcher.replace(TaskDefinition, "delete", delete_task_definition)
    patcher.replace(Cluster, "delete", delete_cluster)
