"""The functions partial: the payment Lambda's contract, its least-privilege role, the SQS queue
pair that feeds it and the ALB route to it, in both regions and under context overrides."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from payinfra.config import Context
from payinfra.config.model import Region
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
CONTRACT_VARIABLES = {
    "LEDGER_TABLE", "SESSIONS_TABLE", "PAYMENT_API_ENDPOINT", "SSM_PARAMETER_PATH",
    "CONFIG_CACHE_TTL_S", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "DEPLOY_REGION",
    "DEAD_LETTER_QUEUE_URL",  # read by functions/payment (dead_letter.py)
    # Disaster recovery (payment_processor/settings.py): the fence (on when its cache period is set;
    # the record is an item of LEDGER_TABLE), the ledger mode, the health route.
    "ACTIVE_REGION_CACHE_S", "LEDGER_CONSISTENCY", "HEALTH_CHECK_PATH",
}
EVENTUAL = 'recovery.ledger_consistency="eventual"'
# Actions that have no resource-level permissions: the only ones allowed on Resource '*'.
STAR_RESOURCE_ACTIONS = {
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
}


def region_of(role: str, context: Context) -> Region:
    return context.primary if role == "primary" else secondary_of(context)


def function(template: Template) -> dict[str, Any]:
    return props(template, "PaymentFunction")


def variables(template: Template) -> dict[str, Any]:
    return function(template)["Environment"]["Variables"]


def ledger_arn(context: Context) -> dict[str, str]:
    """This region's replica of the one global ledger table, by name: no stack owns it outside the
    primary, and the primary's own table has the same name and region-qualified ARN."""
    return {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
            + context.names.sub("ledger_table")}


def statements(template: Template) -> list[dict[str, Any]]:
    role = props(template, "PaymentFunctionRole")
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(template: Template) -> dict[str, list[Any]]:
    """Action -> every resource an Allow statement grants it on."""
    out: dict[str, list[Any]] = {}
    for statement in statements(template):
        for action in as_list(statement["Action"]):
            out.setdefault(action, []).extend(as_list(statement["Resource"]))
    return out


def queue_event(template: Template) -> dict[str, Any]:
    events = [e for e in function(template)["Events"].values() if e["Type"] == "SQS"]
    assert len(events) == 1
    return events[0]["Properties"]


# --- The handler's contract (templates/README.md) -------------------------------------------


def test_environment_is_exactly_the_contract(regional: Template, context: Context) -> None:
    env = variables(regional)
    names = context.names
    assert set(env) == CONTRACT_VARIABLES  # strong consistency (the committed context): no AUDIT_TABLE
    # The global table's name, the same in every region (the secondary's stack owns no LedgerTable).
    assert env["LEDGER_TABLE"] == {"Fn::Sub": names.sub("ledger_table")}
    assert env["ACTIVE_REGION_CACHE_S"] == "5"
    assert env["LEDGER_CONSISTENCY"] == context.recovery.ledger_consistency == "strong"
    assert env["HEALTH_CHECK_PATH"] == context.recovery.health_check_path == "/healthz"
    assert env["SESSIONS_TABLE"] == {"Fn::Sub": names.sub("sessions_table")}
    assert env["SSM_PARAMETER_PATH"] == {"Fn::Sub": names.sub("ssm_path")}
    assert env["POWERTOOLS_SERVICE_NAME"] == "payments"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Payments"
    assert env["DEPLOY_REGION"] == {"Ref": "AWS::Region"}
    assert env["DEAD_LETTER_QUEUE_URL"] == {"Ref": "PaymentDeadLetterQueue"}


def test_eventual_ledger_adds_the_audit_table_in_every_region(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with(EVENTUAL, "recovery.active_region_cache_s=2.5", 'recovery.health_check_path="/ping"')
    for name in (PRIMARY_FILE, SECONDARY_FILE):
        env = variables(out[name])
        assert set(env) == CONTRACT_VARIABLES | {"AUDIT_TABLE"}, name
        assert env["AUDIT_TABLE"] == {"Ref": "AuditTable"}, name  # region-local: each stack owns one
        assert env["LEDGER_CONSISTENCY"] == "eventual", name
        assert env["ACTIVE_REGION_CACHE_S"] == "2.5", name
        assert env["HEALTH_CHECK_PATH"] == "/ping", name


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_endpoint_and_cache_ttl_are_the_region_values(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    env = variables(request.getfixturevalue(role))
    region = region_of(role, context)
    assert env["PAYMENT_API_ENDPOINT"] == region.payment_api_endpoint
    assert env["CONFIG_CACHE_TTL_S"] == str(region.payments.config_cache_ttl_s)


def test_endpoints_differ_by_region_as_the_context_does(primary: Template, secondary: Template) -> None:
    assert variables(primary)["PAYMENT_API_ENDPOINT"] != variables(secondary)["PAYMENT_API_ENDPOINT"]


def test_handler_code_and_runtime(regional: Template, context: Context) -> None:
    fn = function(regional)
    assert fn["Handler"] == "app.lambda_handler"
    assert fn["CodeUri"] == "functions/payment/"
    assert fn["Architectures"] == ["x86_64"]
    assert fn["Runtime"] == context.primary.function.runtime


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_size_limits_and_concurrency_come_from_the_context(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    fn = function(request.getfixturevalue(role))
    settings = region_of(role, context).function
    assert fn["MemorySize"] == settings.memory_mb
    assert fn["Timeout"] == settings.timeout_s
    assert fn["ReservedConcurrentExecutions"] == settings.reserved_concurrency


def test_context_overrides_reach_the_function_per_region(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    out = render_with(
        "defaults.lambda.memory_mb=1024",
        "defaults.lambda.runtime=python3.12",
        "us-east-2.lambda.timeout_s=30",
        "us-east-2.lambda.reserved_concurrency=7",
    )
    primary, secondary = function(out[PRIMARY_FILE]), function(out[SECONDARY_FILE])
    assert primary["MemorySize"] == secondary["MemorySize"] == 1024
    assert primary["Runtime"] == secondary["Runtime"] == "python3.12"
    assert (primary["Timeout"], secondary["Timeout"]) == (15, 30)
    assert (primary["ReservedConcurrentExecutions"], secondary["ReservedConcurrentExecutions"]) == (20, 7)
    # The queue's visibility timeout follows the function timeout it protects.
    assert props(out[SECONDARY_FILE], "PaymentQueue")["VisibilityTimeout"] >= 6 * 30


def test_function_is_traced_encrypted_and_in_the_private_subnets(regional: Template) -> None:
    fn = function(regional)
    assert fn["Tracing"] == "Active"
    assert fn["KmsKeyArn"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert fn["Role"] == {"Fn::GetAtt": ["PaymentFunctionRole", "Arn"]}
    private = sorted(k for k in regional["Resources"] if k.startswith("PrivateSubnet") and k[13:].isdigit())
    assert private, "the network partial provides PrivateSubnet1..n"
    assert sorted(s["Ref"] for s in fn["VpcConfig"]["SubnetIds"]) == private
    assert fn["VpcConfig"]["SecurityGroupIds"] == [{"Fn::GetAtt": ["FunctionSecurityGroup", "GroupId"]}]


def test_function_logs_to_its_own_encrypted_log_group(regional: Template, context: Context) -> None:
    assert function(regional)["LoggingConfig"]["LogGroup"] == {"Ref": "PaymentFunctionLogGroup"}
    group = regional["Resources"]["PaymentFunctionLogGroup"]
    assert group["DeletionPolicy"] == "Delete"
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert group["Properties"]["RetentionInDays"] == context.primary.log_retention_days
    # Lambda's default group name for this function: nothing else would ever write elsewhere.
    assert group["Properties"]["LogGroupName"] == {
        "Fn::Sub": "/aws/lambda/" + context.names.sub("function")
    }


# --- The role ---------------------------------------------------------------------------------


def test_role_trusts_only_lambda_and_carries_no_managed_policies(regional: Template) -> None:
    role = props(regional, "PaymentFunctionRole")
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "lambda.amazonaws.com"}]
    assert "ManagedPolicyArns" not in role


def test_role_has_no_wildcard_actions_and_star_only_where_aws_allows_nothing_else(
    regional: Template,
) -> None:
    for statement in statements(regional):
        assert statement["Effect"] == "Allow"
        actions = as_list(statement["Action"])
        assert all("*" not in action for action in actions), actions
        if "*" in as_list(statement["Resource"]):
            assert set(actions) <= STAR_RESOURCE_ACTIONS, actions


def test_role_grants_what_the_function_needs_on_its_own_resources(
    regional: Template, context: Context
) -> None:
    names = context.names
    allowed = grants(regional)
    ledger = ledger_arn(context)
    # Region-local by name: in the secondary the sessions table is a replica the stack does not own.
    sessions = {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/"
                + names.sub("sessions_table")}
    assert allowed["dynamodb:PutItem"] == allowed["dynamodb:GetItem"] == [ledger, sessions]
    assert allowed["dynamodb:DeleteItem"] == [sessions]  # ledger records are never deleted
    parameters = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
    parameters += names.sub("ssm_path")
    path_grant = [{"Fn::Sub": parameters}, {"Fn::Sub": parameters + "/*"}]
    assert allowed["ssm:GetParametersByPath"] == allowed["ssm:GetParameter"] == path_grant
    assert allowed["kms:Decrypt"] == allowed["kms:GenerateDataKey"] == [{"Fn::GetAtt": ["Key", "Arn"]}]
    for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                   "sqs:ChangeMessageVisibility"):
        assert allowed[action] == [{"Fn::GetAtt": ["PaymentQueue", "Arn"]}], action
    assert allowed["sqs:SendMessage"] == [{"Fn::GetAtt": ["PaymentDeadLetterQueue", "Arn"]}]
    log_group = [{"Fn::GetAtt": ["PaymentFunctionLogGroup", "Arn"]}]
    assert allowed["logs:CreateLogStream"] == allowed["logs:PutLogEvents"] == log_group
    account_enis = [{"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:*"}]
    assert allowed["ec2:CreateNetworkInterface"] == allowed["ec2:DeleteNetworkInterface"] == account_enis


def test_ledger_is_write_once_and_nothing_scans_encrypts_or_puts_metrics(
    regional: Template, context: Context
) -> None:
    ledger = ledger_arn(context)
    on_ledger = {a for a, resources in grants(regional).items() if ledger in resources}
    assert on_ledger == {"dynamodb:GetItem", "dynamodb:PutItem"}
    # Not by the stack's own resource: the secondary's replica is no resource of its stack.
    assert all("LedgerTable" not in str(r) for rs in grants(regional).values() for r in rs)
    granted = set(grants(regional))
    assert not {"dynamodb:Scan", "dynamodb:DeleteTable", "kms:Encrypt"} & granted
    assert "cloudwatch:PutMetricData" not in granted  # metrics go out as EMF log lines


def test_eventual_ledger_grants_put_on_the_audit_table_for_the_one_transaction(
    render_with: Callable[..., dict[str, Template]], context: Context
) -> None:
    """The ledger put and the audit put go in one TransactWriteItems, which needs PutItem on each
    table it writes; the audit table is the region's own resource, and is never deleted from."""
    out = render_with(EVENTUAL)
    audit = {"Fn::GetAtt": ["AuditTable", "Arn"]}
    for name in (PRIMARY_FILE, SECONDARY_FILE):
        allowed = grants(out[name])
        assert audit in allowed["dynamodb:PutItem"], name
        assert ledger_arn(context) in allowed["dynamodb:PutItem"], name
        on_audit = {a for a, resources in allowed.items() if audit in resources}
        assert on_audit == {"dynamodb:GetItem", "dynamodb:PutItem"}, name


def test_strong_ledger_grants_nothing_on_an_audit_table(regional: Template) -> None:
    assert "AuditTable" not in str(statements(regional))


# --- Queues -----------------------------------------------------------------------------------


def test_sqs_event_source_reports_partial_batch_failures(regional: Template, context: Context) -> None:
    event = queue_event(regional)
    fn = function(regional)
    assert event["Queue"] == {"Fn::GetAtt": ["PaymentQueue", "Arn"]}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["BatchSize"] == context.primary.function.batch_size
    # The poller leaves concurrency for the synchronous ALB path.
    assert 2 <= event["ScalingConfig"]["MaximumConcurrency"] < fn["ReservedConcurrentExecutions"]


def test_small_reserved_concurrency_drops_the_scaling_cap(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    event = queue_event(render_with("defaults.lambda.reserved_concurrency=3")[PRIMARY_FILE])
    assert "ScalingConfig" not in event  # MaximumConcurrency must be >= 2; half of 3 is 1


@pytest.mark.parametrize("queue", ["PaymentQueue", "PaymentDeadLetterQueue"])
def test_queues_use_the_region_cmk_and_are_deleted_with_the_stack(regional: Template, queue: str) -> None:
    resource = regional["Resources"][queue]
    assert resource["Properties"]["KmsMasterKeyId"] in ({"Ref": "Key"}, {"Fn::GetAtt": ["Key", "Arn"]})
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Delete"


def test_queue_redrives_to_the_dlq_which_only_accepts_it(regional: Template, context: Context) -> None:
    queue, dlq = props(regional, "PaymentQueue"), props(regional, "PaymentDeadLetterQueue")
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["PaymentDeadLetterQueue", "Arn"]}, "maxReceiveCount": 5,
    }
    allow = dlq["RedriveAllowPolicy"]
    assert allow["redrivePermission"] == "byQueue"
    [source] = allow["sourceQueueArns"]
    assert source["Fn::Sub"].endswith(":" + context.names.sub("queue"))
    assert queue["QueueName"] == {"Fn::Sub": context.names.sub("queue")}
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600 > queue["MessageRetentionPeriod"]
    assert queue["VisibilityTimeout"] >= 6 * function(regional)["Timeout"]


def test_both_queues_refuse_plain_http(regional: Template) -> None:
    [policy] = resources_of(regional, "AWS::SQS::QueuePolicy").values()
    assert {q["Ref"] for q in policy["Properties"]["Queues"]} == {"PaymentQueue", "PaymentDeadLetterQueue"}
    [deny] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == "*"


# --- ALB route --------------------------------------------------------------------------------


def test_target_group_invokes_the_function(regional: Template, context: Context) -> None:
    group = regional["Resources"]["FunctionTargetGroup"]
    assert group["Properties"]["TargetType"] == "lambda"
    assert group["Properties"]["Targets"] == [{"Id": {"Fn::GetAtt": ["PaymentFunction", "Arn"]}}]
    attributes = {a["Key"]: a["Value"] for a in group["Properties"]["TargetGroupAttributes"]}
    assert attributes["lambda.multi_value_headers.enabled"] == "false"
    permission_id = group["DependsOn"]
    permission = props(regional, permission_id)
    assert regional["Resources"][permission_id]["Type"] == "AWS::Lambda::Permission"
    assert permission["Principal"] == "elasticloadbalancing.amazonaws.com"
    assert permission["FunctionName"] == {"Fn::GetAtt": ["PaymentFunction", "Arn"]}
    target_groups = "targetgroup/" + context.names.sub("function_target_group") + "/"
    assert target_groups in permission["SourceArn"]["Fn::Sub"]


def test_listener_rule_routes_payments_to_the_function(regional: Template) -> None:
    rule = props(regional, "PaymentsListenerRule")
    assert rule["ListenerArn"] == {
        "Fn::If": ["HasCertificate", {"Ref": "HttpsListener"}, {"Ref": "HttpListener"}]
    }
    [condition] = rule["Conditions"]
    assert condition["Field"] == "path-pattern"
    assert sorted(condition["PathPatternConfig"]["Values"]) == ["/payments", "/payments/*"]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "FunctionTargetGroup"}}]


def test_health_check_route_forwards_only_get_of_the_context_path(
    regional: Template, context: Context
) -> None:
    """Route 53 probes GET <health_check_path> on each ALB; the function answers it."""
    rule = props(regional, "HealthCheckListenerRule")
    assert rule["ListenerArn"] == props(regional, "PaymentsListenerRule")["ListenerArn"]
    conditions = {c["Field"]: c for c in rule["Conditions"]}
    assert conditions["path-pattern"]["PathPatternConfig"]["Values"] == [context.recovery.health_check_path]
    assert conditions["http-request-method"]["HttpRequestMethodConfig"]["Values"] == ["GET"]
    assert rule["Actions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "FunctionTargetGroup"}}]
    # A listener refuses two rules with one priority.
    rules = resources_of(regional, "AWS::ElasticLoadBalancingV2::ListenerRule").values()
    priorities = [r["Properties"]["Priority"] for r in rules]
    assert len(priorities) == len(set(priorities))


def test_outputs(regional: Template) -> None:
    outputs = regional["Outputs"]
    assert outputs["PaymentFunctionName"]["Value"] == {"Ref": "PaymentFunction"}
    assert outputs["PaymentFunctionArn"]["Value"] == {"Fn::GetAtt": ["PaymentFunction", "Arn"]}
    assert outputs["PaymentQueueUrl"]["Value"] == {"Ref": "PaymentQueue"}
    assert outputs["PaymentQueueArn"]["Value"] == {"Fn::GetAtt": ["PaymentQueue", "Arn"]}
    assert outputs["PaymentDeadLetterQueueUrl"]["Value"] == {"Ref": "PaymentDeadLetterQueue"}
