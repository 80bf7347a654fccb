"""ECS clusters, services and task definitions described through the ECS API; anything not
ACTIVE (an INACTIVE cluster, service or task definition revision) counts as missing.

A service's physical ID is its `Ref`, the service ARN
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html#aws-resource-ecs-service-return-values),
`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`: DescribeServices is asked in that cluster.
"""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers, one

SERVICE = ServiceCheckers("ecs")


def _cluster_of(service_arn: str) -> dict[str, str]:
    """DescribeServices' `cluster` argument for a service ARN (none for a bare name)."""
    after = service_arn.rsplit(":service/", maxsplit=1)[-1]
    return {"cluster": after.split("/", maxsplit=1)[0]} if ":service/" in service_arn and "/" in after else {}


@SERVICE.describes("AWS::ECS::Cluster")
def ecs_cluster(c: Clients, pid: str) -> str:
    cl = one(c("ecs").describe_clusters(clusters=[pid])["clusters"], "cluster", pid)
    if cl["status"] != "ACTIVE":
        raise Missing(f"cluster {pid} is {cl['status']}")
    return str(cl["status"])


@SERVICE.describes("AWS::ECS::Service")
def ecs_service(c: Clients, pid: str) -> str:
    s = one(c("ecs").describe_services(services=[pid], **_cluster_of(pid))["services"], "service", pid)
    if s["status"] != "ACTIVE":
        raise Missing(f"service {pid} is {s['status']}")
    return (
        f"{s.get('launchType')} desired {s['desiredCount']}, {len(s.get('serviceRegistries', []))} registries"
    )


@SERVICE.describes("AWS::ECS::TaskDefinition")
def task_definition(c: Clients, pid: str) -> str:
    t = c("ecs").describe_task_definition(taskDefinition=pid)["taskDefinition"]
    if t["status"] != "ACTIVE":
        raise Missing(f"task definition {pid} is {t['status']}")
    return f"{t['family']}:{t['revision']}"


@SERVICE.reads_back(
    "AWS::ECS::Cluster",
    CFN_DOCS + "aws-resource-ecs-cluster.html",
    Prop("ClusterSettings[containerInsights]", "settings[containerInsights]"),
    Prop(
        "Configuration.ExecuteCommandConfiguration.Logging",
        "configuration.executeCommandConfiguration.logging",
    ),
    Prop(
        "Configuration.ExecuteCommandConfiguration.KmsKeyId",
        "configuration.executeCommandConfiguration.kmsKeyId",
        "key",
    ),
)
def _cluster_view(c: Clients, pid: str) -> dict[str, Any]:
    clusters = c("ecs").describe_clusters(clusters=[pid], include=["SETTINGS", "CONFIGURATIONS"])["clusters"]
    result: dict[str, Any] = one(clusters, "cluster", pid)
    return result


_AWSVPC = "NetworkConfiguration.AwsvpcConfiguration"


@SERVICE.reads_back(
    "AWS::ECS::Service",
    CFN_DOCS + "aws-resource-ecs-service.html",
    Prop("LaunchType", "launchType"),
    Prop(f"{_AWSVPC}.AssignPublicIp", "networkConfiguration.awsvpcConfiguration.assignPublicIp"),
    Prop(f"{_AWSVPC}.Subnets", "networkConfiguration.awsvpcConfiguration.subnets", "set"),
    Prop(
        f"{_AWSVPC}.SecurityGroups",
        "networkConfiguration.awsvpcConfiguration.securityGroups",
        "set",
    ),
    Prop("EnableExecuteCommand", "enableExecuteCommand"),
)
def _service_view(c: Clients, pid: str) -> dict[str, Any]:
    items = c("ecs").describe_services(services=[pid], **_cluster_of(pid))["services"]
    result: dict[str, Any] = one(items, "service", pid)
    return result


_CONTAINERS = "ContainerDefinitions.*"


@SERVICE.reads_back(
    "AWS::ECS::TaskDefinition",
    CFN_DOCS + "aws-resource-ecs-taskdefinition.html",
    Prop("RequiresCompatibilities", "requiresCompatibilities", "set"),
    Prop("NetworkMode", "networkMode"),
    Prop("TaskRoleArn", "taskRoleArn"),
    Prop("ExecutionRoleArn", "executionRoleArn"),
    Prop(f"{_CONTAINERS}.Privileged", "containerDefinitions.*.privileged"),
    Prop(
        f"{_CONTAINERS}.ReadonlyRootFilesystem",
        "containerDefinitions.*.readonlyRootFilesystem",
    ),
    Prop(f"{_CONTAINERS}.User", "containerDefinitions.*.user"),
    Prop(
        f"{_CONTAINERS}.LogConfiguration.LogDriver",
        "containerDefinitions.*.logConfiguration.logDriver",
    ),
    Prop(
        f"{_CONTAINERS}.LogConfiguration.Options.awslogs-group",
        "containerDefinitions.*.logConfiguration.options.awslogs-group",
    ),
)
def _task_definition_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("ecs").describe_task_definition(taskDefinition=pid)["taskDefinition"]
    return result
