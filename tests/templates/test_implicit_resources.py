"""Issue 9, defects 5 and 7 in the templates: log groups AWS would create by itself are declared
(CMK, retention, deleted with the stack), and the function's reserved concurrency is optional."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payinfra.config import Context
from tests.templates.conftest import Template, props, resources_of

PRIMARY_FILE = "template.primary.yaml"


def _log_group_named(template: Template, name: str) -> str:
    """The logical id of the log group whose `!Sub` name is `name`."""
    found = [
        logical_id
        for logical_id, resource in resources_of(template, "AWS::Logs::LogGroup").items()
        if resource["Properties"]["LogGroupName"] == {"Fn::Sub": name}
    ]
    assert len(found) == 1, f"no (or several) log groups named {name}"
    return found[0]


@pytest.mark.parametrize(
    "name",
    [
        # ECS Container Insights (containerInsights enabled on the cluster).
        "/aws/ecs/containerinsights/payments-${EnvironmentSuffix}/performance",
        # RDS log exports: /aws/rds/instance/<DBInstanceIdentifier>/<log type>.
        "/aws/rds/instance/payments-db-${EnvironmentSuffix}/postgresql",
        "/aws/rds/instance/payments-db-${EnvironmentSuffix}/upgrade",
        # Lambda's default group /aws/lambda/<function name> (also named in LoggingConfig).
        "/aws/lambda/payments-payment-events-${EnvironmentSuffix}",
    ],
)
def test_implicit_log_groups_are_owned_by_the_stack(regional: Template, context: Context, name: str) -> None:
    logical_id = _log_group_named(regional, name)
    resource = regional["Resources"][logical_id]
    assert resource["DeletionPolicy"] == "Delete" and resource["UpdateReplacePolicy"] == "Delete"
    assert resource["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    retentions = {r.log_retention_days for r in context.regions.values()}
    assert resource["Properties"]["RetentionInDays"] in retentions


def test_cluster_waits_for_its_container_insights_group(regional: Template) -> None:
    group = _log_group_named(regional, "/aws/ecs/containerinsights/payments-${EnvironmentSuffix}/performance")
    cluster = regional["Resources"]["Cluster"]
    depends = cluster.get("DependsOn", [])
    assert group in ([depends] if isinstance(depends, str) else depends)
    assert {"Name": "containerInsights", "Value": "enabled"} in cluster["Properties"]["ClusterSettings"]
    # The cluster's name is the one in the group's name.
    assert props(regional, "Cluster")["ClusterName"] == {"Fn::Sub": "payments-${EnvironmentSuffix}"}


def test_function_name_matches_its_log_group(regional: Template) -> None:
    function = props(regional, "PaymentFunction")
    assert function["FunctionName"] == {"Fn::Sub": "payments-payment-events-${EnvironmentSuffix}"}
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "PaymentFunctionLogGroup"}}


def test_no_log_group_is_shared_with_other_stacks(regional: Template) -> None:
    """RDSOSMetrics is shared by the account and region: a stack must never own (or delete) it."""
    for resource in resources_of(regional, "AWS::Logs::LogGroup").values():
        assert "RDSOSMetrics" not in str(resource["Properties"]["LogGroupName"])


def test_reserved_concurrency_zero_renders_no_reservation(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    template = render_with("defaults.lambda.reserved_concurrency=0")[PRIMARY_FILE]
    function = props(template, "PaymentFunction")
    assert "ReservedConcurrentExecutions" not in function
    sqs = next(e for e in function["Events"].values() if e["Type"] == "SQS")["Properties"]
    assert "ScalingConfig" not in sqs  # no reservation to split with the ALB
    skipped = {s["id"] for s in template["Resources"]["PaymentFunction"]["Metadata"]["checkov"]["skip"]}
    assert "CKV_AWS_115" in skipped  # the gate knows the missing reservation is deliberate


def test_reserved_concurrency_is_rendered_when_set(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    template = render_with("defaults.lambda.reserved_concurrency=20")[PRIMARY_FILE]
    assert props(template, "PaymentFunction")["ReservedConcurrentExecutions"] == 20
    skipped = {s["id"] for s in template["Resources"]["PaymentFunction"]["Metadata"]["checkov"]["skip"]}
    assert "CKV_AWS_115" not in skipped
