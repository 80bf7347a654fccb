"""The containers partial: a hardened Fargate service behind the ALB, with least-privilege roles."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from payinfra.config import Context
from payinfra.config.model import Region
from tests.templates.conftest import Template, props, secondary_of
from tests.templates.test_edge import CERTIFICATE, resolve

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
ROLES = ("TaskRole", "TaskExecutionRole")
PRIVATE_IMAGE = "123456789012.dkr.ecr.us-east-2.amazonaws.com/team/payments-api"
ECR_PULL = {"ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"}


def region_of(template: Template, context: Context, primary: Template) -> Region:
    return context.primary if template is primary else secondary_of(context)


def container(template: Template) -> dict[str, Any]:
    (definition,) = props(template, "TaskDefinition")["ContainerDefinitions"]
    return definition


def statements(template: Template, role: str) -> Iterator[dict[str, Any]]:
    for policy in props(template, role).get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]


def actions(statement: dict[str, Any]) -> list[str]:
    value = statement["Action"]
    return [value] if isinstance(value, str) else value


def resources(statement: dict[str, Any]) -> list[Any]:
    value = statement["Resource"]
    return value if isinstance(value, list) else [value]


# --- Cluster and task definition
def test_cluster_has_container_insights(regional: Template, context: Context) -> None:
    p = props(regional, "Cluster")
    assert {"Name": "containerInsights", "Value": "enabled"} in p["ClusterSettings"]
    assert p["ClusterName"] == {"Fn::Sub": context.names.sub("cluster")}


def test_task_is_fargate_awsvpc_sized_from_the_context(
    regional: Template, context: Context, primary: Template
) -> None:
    ecs = region_of(regional, context, primary).ecs
    p = props(regional, "TaskDefinition")
    assert p["RequiresCompatibilities"] == ["FARGATE"]
    assert p["NetworkMode"] == "awsvpc"
    assert (p["Cpu"], p["Memory"]) == (str(ecs.cpu), str(ecs.memory))
    assert p["RuntimePlatform"] == {"OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64"}
    assert p["ExecutionRoleArn"] == {"Fn::GetAtt": ["TaskExecutionRole", "Arn"]}
    assert p["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}


def test_cpu_and_memory_overrides_reach_the_task_and_its_container(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with("defaults.ecs.cpu=1024", "defaults.ecs.memory=2048")
    for name in (PRIMARY_FILE, SECONDARY_FILE):
        p = props(out[name], "TaskDefinition")
        assert (p["Cpu"], p["Memory"]) == ("1024", "2048")
        definition = container(out[name])
        assert definition["Memory"] == 2048
        assert definition["MemoryReservation"] < definition["Memory"]


def test_container_is_hardened(regional: Template) -> None:
    c = container(regional)
    assert c["ReadonlyRootFilesystem"] is True
    assert c["Privileged"] is False
    user = str(c["User"]).split(":")[0]
    assert user not in ("", "0", "root")
    assert c["LinuxParameters"]["InitProcessEnabled"] is True
    assert c["LinuxParameters"]["Capabilities"]["Drop"] == ["ALL"]
    assert "Add" not in c["LinuxParameters"]["Capabilities"]
    # Writable scratch space is a task volume, not the root filesystem.
    volumes = {v["Name"] for v in props(regional, "TaskDefinition")["Volumes"]}
    assert {m["SourceVolume"] for m in c["MountPoints"]} <= volumes


def test_container_has_a_memory_hard_limit_within_the_task(regional: Template) -> None:
    c = container(regional)
    task_memory = int(props(regional, "TaskDefinition")["Memory"])
    assert 0 < c["MemoryReservation"] < c["Memory"] <= task_memory


def test_container_runs_the_context_image_on_the_context_port(
    regional: Template, context: Context, primary: Template
) -> None:
    ecs = region_of(regional, context, primary).ecs
    c = container(regional)
    assert c["Image"] == ecs.image
    assert c["Essential"] is True
    assert [m["ContainerPort"] for m in c["PortMappings"]] == [ecs.container_port]
    command = " ".join(c["HealthCheck"]["Command"])
    assert f":{ecs.container_port}{ecs.health_check_path}" in command


def test_container_logs_to_the_encrypted_service_log_group(
    regional: Template, context: Context, primary: Template
) -> None:
    log = container(regional)["LogConfiguration"]
    assert log["LogDriver"] == "awslogs"
    assert log["Options"]["awslogs-group"] == {"Ref": "ServiceLogGroup"}
    assert log["Options"]["awslogs-region"] == {"Ref": "AWS::Region"}
    assert log["Options"]["awslogs-stream-prefix"]
    group = regional["Resources"]["ServiceLogGroup"]
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert group["Properties"]["LogGroupName"] == {"Fn::Sub": context.names.sub("log_group_ecs")}
    assert group["Properties"]["RetentionInDays"] == region_of(regional, context, primary).log_retention_days
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_container_environment_names_the_region_config_path_and_endpoint(
    regional: Template, context: Context, primary: Template
) -> None:
    env = {e["Name"]: e["Value"] for e in container(regional)["Environment"]}
    assert env == {
        "DEPLOY_REGION": {"Ref": "AWS::Region"},
        "SSM_PARAMETER_PATH": {"Fn::Sub": context.names.sub("ssm_path")},
        "PAYMENT_API_ENDPOINT": region_of(regional, context, primary).payment_api_endpoint,
    }


def test_the_regions_call_their_own_payment_api(primary: Template, secondary: Template) -> None:
    def endpoint(template: Template) -> str:
        env = {e["Name"]: e["Value"] for e in container(template)["Environment"]}
        return env["PAYMENT_API_ENDPOINT"]

    assert endpoint(primary) != endpoint(secondary)


# --- Service
def test_service_runs_in_private_subnets_without_public_ips(
    regional: Template, context: Context, primary: Template
) -> None:
    region = region_of(regional, context, primary)
    p = props(regional, "Service")
    assert p["LaunchType"] == "FARGATE"
    assert p.get("PlatformVersion", "LATEST") == "LATEST"
    vpc = p["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert vpc["AssignPublicIp"] == "DISABLED"
    assert vpc["Subnets"] == [{"Ref": f"PrivateSubnet{n}"} for n in range(1, region.az_count + 1)]
    assert vpc["SecurityGroups"] == [{"Fn::GetAtt": ["ServiceSecurityGroup", "GroupId"]}]
    assert p["DesiredCount"] == region.ecs.desired_count


def test_service_sits_behind_the_alb_target_group(regional: Template) -> None:
    p = props(regional, "Service")
    c = container(regional)
    (balancer,) = p["LoadBalancers"]
    assert balancer["TargetGroupArn"] == {"Ref": "ServiceTargetGroup"}
    assert balancer["ContainerName"] == c["Name"]
    assert balancer["ContainerPort"] == c["PortMappings"][0]["ContainerPort"]
    target_group = props(regional, "ServiceTargetGroup")
    assert target_group["TargetType"] == "ip"  # the only type awsvpc tasks can register as
    assert target_group["Port"] == balancer["ContainerPort"]
    assert p["HealthCheckGracePeriodSeconds"] > 0


def test_service_waits_for_the_listener_that_serves(
    regional: Template, render_with: Callable[..., dict[str, Template]]
) -> None:
    # ECS refuses a target group no listener forwards to; the serving listener depends on the
    # certificate, so the dependency is a conditional Ref (DependsOn cannot be conditional).
    with_certificate = render_with(f"us-east-1.certificate_arn='{CERTIFICATE}'")[PRIMARY_FILE]
    for template, listener in ((regional, "HttpListener"), (with_certificate, "HttpsListener")):
        metadata = template["Resources"]["Service"]["Metadata"]["ServingListener"]
        assert resolve(template, metadata) == {"Ref": listener}
        forwards = json.dumps(props(template, listener)["DefaultActions"])
        assert '"TargetGroupArn": {"Ref": "ServiceTargetGroup"}' in forwards


def test_service_deploys_with_a_rolling_circuit_breaker(regional: Template) -> None:
    p = props(regional, "Service")
    deployment = p["DeploymentConfiguration"]
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert deployment["MinimumHealthyPercent"] >= 100
    assert deployment["MaximumPercent"] > deployment["MinimumHealthyPercent"]
    assert p["PropagateTags"] == "SERVICE"
    assert p["EnableECSManagedTags"] is True
    assert p["EnableExecuteCommand"] is False


def test_service_registers_in_the_private_namespace(regional: Template, context: Context) -> None:
    p = props(regional, "Service")
    assert p["ServiceRegistries"] == [{"RegistryArn": {"Fn::GetAtt": ["DiscoveryService", "Arn"]}}]
    namespace = props(regional, "Namespace")
    assert namespace["Name"] == {"Fn::Sub": context.names.sub("namespace")}
    assert namespace["Vpc"] == {"Ref": "Vpc"}
    discovery = props(regional, "DiscoveryService")
    assert discovery["NamespaceId"] == {"Ref": "Namespace"}
    assert discovery["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
    assert discovery["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
    assert discovery["HealthCheckCustomConfig"] == {"FailureThreshold": 1}


# --- IAM
def test_roles_are_assumable_only_by_this_account_ecs_tasks(regional: Template, context: Context) -> None:
    for role, key in (("TaskRole", "role_task"), ("TaskExecutionRole", "role_task_execution")):
        p = props(regional, role)
        assert p["RoleName"] == {"Fn::Sub": context.names.sub(key)}
        (trust,) = p["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        assert "ManagedPolicyArns" not in p  # inline, least-privilege policies only


def test_roles_grant_no_wildcard_actions(regional: Template) -> None:
    for role in ROLES:
        for statement in statements(regional, role):
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in actions(statement)), (role, statement)


def test_execution_role_writes_only_the_service_log_group(regional: Template) -> None:
    (logs,) = [s for s in statements(regional, "TaskExecutionRole") if actions(s)[0].startswith("logs:")]
    assert set(actions(logs)) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert resources(logs) == [{"Fn::GetAtt": ["ServiceLogGroup", "Arn"]}]


def test_public_image_needs_no_registry_permissions(regional: Template, context: Context) -> None:
    assert ".dkr.ecr." not in context.primary.ecs.image  # the context's default is a public image
    granted = {a for s in statements(regional, "TaskExecutionRole") for a in actions(s)}
    assert not any(a.startswith("ecr:") for a in granted)
    assert all(r != "*" for s in statements(regional, "TaskExecutionRole") for r in resources(s))


@pytest.mark.parametrize("reference", [":1.4.2", "@sha256:" + "a" * 64, ""])
def test_private_ecr_image_gets_pull_rights_on_exactly_its_repository(
    render_with: Callable[..., dict[str, Template]], reference: str
) -> None:
    template = render_with(f"us-east-2.ecs.image='{PRIVATE_IMAGE}{reference}'")[SECONDARY_FILE]
    by_action = {a: s for s in statements(template, "TaskExecutionRole") for a in actions(s)}
    assert set(by_action) >= ECR_PULL
    for action in ECR_PULL:
        assert resources(by_action[action]) == [
            {"Fn::Sub": "arn:${AWS::Partition}:ecr:us-east-2:123456789012:repository/team/payments-api"}
        ]
    # The registry login has no resource-level permissions; it is the only "*" resource.
    star = [s for s in statements(template, "TaskExecutionRole") if "*" in resources(s)]
    assert [actions(s) for s in star] == [["ecr:GetAuthorizationToken"]]


def test_task_role_reads_only_the_config_path(regional: Template, context: Context) -> None:
    """Plain String parameters need no key: the task role holds no kms:Decrypt (least privilege)."""
    by_service: dict[str, list[dict[str, Any]]] = {}
    for statement in statements(regional, "TaskRole"):
        for action in actions(statement):
            by_service.setdefault(action.split(":")[0], []).append(statement)
    assert set(by_service) == {"ssm"}
    path = context.names.sub("ssm_path")
    for statement in by_service["ssm"]:
        assert set(actions(statement)) <= {"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"}
        for resource in resources(statement):
            assert resource["Fn::Sub"].endswith((f":parameter{path}", f":parameter{path}/*"))
    secure = [r for r in regional["Resources"].values()
              if r["Type"] == "AWS::SSM::Parameter" and r["Properties"].get("Type") == "SecureString"]
    assert secure == []


# --- Contract
def test_outputs_expose_cluster_service_and_namespace(regional: Template) -> None:
    outputs = regional["Outputs"]
    assert outputs["ClusterName"]["Value"] == {"Ref": "Cluster"}
    assert outputs["ServiceName"]["Value"] == {"Fn::GetAtt": ["Service", "Name"]}
    assert outputs["NamespaceId"]["Value"] == {"Fn::GetAtt": ["Namespace", "Id"]}


def test_container_waivers_are_only_the_context_retention(regional: Template) -> None:
    # Nothing else here is an inherent finding: a waiver would hide a real problem.
    container_ids = ("Cluster", "Namespace", "DiscoveryService", "ServiceLogGroup", "TaskExecutionRole",
                     "TaskRole", "TaskDefinition", "Service")
    waived: dict[str, list[str]] = {}
    for logical_id in container_ids:
        metadata = regional["Resources"][logical_id].get("Metadata", {})
        assert "checkov" not in metadata and "cfn-lint" not in metadata, logical_id
        for waiver in metadata.get("guard", {}).get("SuppressedRules", []):
            assert waiver["comment"].strip(), f"{logical_id}: {waiver['id']} without a reason"
            waived.setdefault(logical_id, []).append(waiver["id"])
    # The retention waiver exists only while the context keeps logs under a year (see below).
    assert waived in ({}, {"ServiceLogGroup": ["CT.CLOUDWATCH.PR.2"]})


@pytest.mark.parametrize(("days", "waived"), [(30, True), (365, False)])
def test_retention_waiver_appears_only_below_a_year(
    render_with: Callable[..., dict[str, Template]], days: int, waived: bool
) -> None:
    template = render_with(f"defaults.log_retention_days={days}")[PRIMARY_FILE]
    for group in ("ServiceLogGroup", "WebAclLogGroup"):
        metadata = template["Resources"][group].get("Metadata", {})
        assert ("guard" in metadata) is waived, group
