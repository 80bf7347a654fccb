"""The project's own checks: what cfn-lint, checkov and the Control Tower rules all miss.

Each was confirmed a blind spot of all three by breaking a template on purpose (the broken
templates are in tests/gates/test_project_checks.py). They read the expanded (plain
CloudFormation) template, so SAM Globals are already merged, and follow references
(`Ref`/`Fn::GetAtt`) within it; a value the template cannot know (a parameter, an import) is not
judged. Waive one with
`Metadata: {payinfra: {skip: [{id: PRJ..., comment: "why"}]}}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from payinfra.gates.model import PROJECT, Finding, Template

Check = Callable[[Template], Iterator[Finding]]


@dataclass(frozen=True)
class ProjectCheck:
    rule: str
    summary: str
    run: Check


CHECKS: list[ProjectCheck] = []


def check(rule: str, summary: str) -> Callable[[Check], Check]:
    def register(function: Check) -> Check:
        CHECKS.append(ProjectCheck(rule, summary, function))
        return function

    return register


def run_all(template: Template) -> list[Finding]:
    return [finding for c in CHECKS for finding in c.run(template)]


# --- template helpers -------------------------------------------------------------------------


def of_type(template: Template, *types: str) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(logical id, resource, properties) of each resource of one of `types`."""
    for logical_id, resource in template.get("Resources", {}).items():
        if isinstance(resource, dict) and resource.get("Type") in types:
            properties = resource.get("Properties")
            yield logical_id, resource, properties if isinstance(properties, dict) else {}


def target(value: Any) -> str | None:
    """The logical id a `Ref` / `Fn::GetAtt` points at, else None."""
    if isinstance(value, dict) and len(value) == 1:
        ref = value.get("Ref")
        if isinstance(ref, str):
            return ref
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att and isinstance(att[0], str):
            return att[0]
        if isinstance(att, str):
            return att.split(".", 1)[0]
    return None


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in {"true", "active"})


def _finding(rule: str, resource: str, message: str) -> Finding:
    return Finding(PROJECT, rule, resource, message)


# --- network ----------------------------------------------------------------------------------


def public_route_tables(template: Template) -> set[str]:
    """Route tables with a route to an internet gateway of this template (or a literal igw-)."""
    gateways = {lid for lid, _, _ in of_type(template, "AWS::EC2::InternetGateway")}
    public = set()
    for _, _, props in of_type(template, "AWS::EC2::Route"):
        gateway = props.get("GatewayId")
        if target(gateway) in gateways or (isinstance(gateway, str) and gateway.startswith("igw-")):
            table = target(props.get("RouteTableId"))
            if table:
                public.add(table)
    return public


def public_subnets(template: Template) -> set[str]:
    """Subnets routed to the internet, or that give instances public IPs."""
    public_tables = public_route_tables(template)
    public = {
        target(props.get("SubnetId"))
        for _, _, props in of_type(template, "AWS::EC2::SubnetRouteTableAssociation")
        if target(props.get("RouteTableId")) in public_tables
    }
    subnets = of_type(template, "AWS::EC2::Subnet")
    public |= {lid for lid, _, props in subnets if is_true(props.get("MapPublicIpOnLaunch"))}
    return {subnet for subnet in public if subnet}


@check("PRJ.RDS.PRIVATE_SUBNETS", "databases are not publicly accessible and sit only in non-public subnets")
def rds_private_subnets(template: Template) -> Iterator[Finding]:
    rule = "PRJ.RDS.PRIVATE_SUBNETS"
    public = public_subnets(template)
    groups = {lid: props for lid, _, props in of_type(template, "AWS::RDS::DBSubnetGroup")}
    for lid, _, props in of_type(template, "AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        if is_true(props.get("PubliclyAccessible")):
            yield _finding(rule, lid, "PubliclyAccessible is true: set it to false")
        if "DBClusterIdentifier" in props:
            continue  # an Aurora cluster member: placement is the cluster's
        if "DBSubnetGroupName" not in props:
            yield _finding(rule, lid, "no DBSubnetGroupName: the database would land in the default VPC")
            continue
        group = groups.get(target(props["DBSubnetGroupName"]) or "")
        subnets = group.get("SubnetIds", []) if group else []
        for subnet in (target(s) for s in subnets if isinstance(subnets, list)):
            if subnet in public:
                yield _finding(
                    rule, lid, f"subnet group includes {subnet}, which routes to an internet gateway"
                )


@check("PRJ.VPC.FLOW_LOGS", "every VPC has a flow log capturing ALL traffic")
def vpc_flow_logs(template: Template) -> Iterator[Finding]:
    logged = {
        target(props.get("ResourceId"))
        for _, _, props in of_type(template, "AWS::EC2::FlowLog")
        if props.get("ResourceType") == "VPC" and props.get("TrafficType") == "ALL"
    }
    for lid, _, _ in of_type(template, "AWS::EC2::VPC"):
        if lid not in logged:
            yield _finding(
                "PRJ.VPC.FLOW_LOGS", lid, "no AWS::EC2::FlowLog with ResourceType VPC and TrafficType ALL"
            )


@check("PRJ.WAF.ALB_ASSOCIATED", "every internet-facing ALB has a WAFv2 web ACL association")
def waf_on_alb(template: Template) -> Iterator[Finding]:
    protected = {
        target(props.get("ResourceArn")) for _, _, props in of_type(template, "AWS::WAFv2::WebACLAssociation")
    }
    for lid, _, props in of_type(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"):
        internet_facing = props.get("Scheme", "internet-facing") == "internet-facing"
        if props.get("Type", "application") == "application" and internet_facing and lid not in protected:
            yield _finding(
                "PRJ.WAF.ALB_ASSOCIATED", lid, "internet-facing ALB without an AWS::WAFv2::WebACLAssociation"
            )


# --- compute ----------------------------------------------------------------------------------


@check("PRJ.LAMBDA.TRACING", "every Lambda function has X-Ray active tracing")
def lambda_tracing(template: Template) -> Iterator[Finding]:
    for lid, _, props in of_type(template, "AWS::Lambda::Function"):
        mode = (props.get("TracingConfig") or {}).get("Mode")
        if mode != "Active":
            yield _finding(
                "PRJ.LAMBDA.TRACING", lid, f"TracingConfig.Mode is {mode or 'unset'}: set Tracing: Active"
            )


# --- encryption -------------------------------------------------------------------------------


def aws_managed(key: Any) -> bool:
    """`alias/aws/sns`, `arn:...:alias/aws/sqs`: a key AWS manages, whose policy we cannot scope."""
    return isinstance(key, str) and (key.startswith("alias/aws/") or ":alias/aws/" in key)


def _cmk_problem(key: Any, prop: str) -> str | None:
    if key is None or key == "":
        return f"{prop} is unset: an AWS-owned or AWS-managed key is used; set the region's CMK"
    if aws_managed(key):
        return f"{prop} is the AWS-managed key {key}: use the region's CMK"
    return None


def _topic_key(props: dict[str, Any]) -> Iterator[str | None]:
    yield _cmk_problem(props.get("KmsMasterKeyId"), "KmsMasterKeyId")


def _queue_key(props: dict[str, Any]) -> Iterator[str | None]:
    if is_true(props.get("SqsManagedSseEnabled")):
        yield "SqsManagedSseEnabled uses SQS-owned keys: set KmsMasterKeyId to the CMK instead"
    else:
        yield _cmk_problem(props.get("KmsMasterKeyId"), "KmsMasterKeyId")


def _table_key(props: dict[str, Any]) -> Iterator[str | None]:
    sse = props.get("SSESpecification") or {}
    if not is_true(sse.get("SSEEnabled")):
        yield "SSESpecification.SSEEnabled is not true: the table uses an AWS-owned key"
    else:
        yield _cmk_problem(sse.get("KMSMasterKeyId"), "SSESpecification.KMSMasterKeyId")


def _global_table_keys(props: dict[str, Any]) -> Iterator[str | None]:
    """Each replica needs its own region's CMK (a key is regional)."""
    sse = props.get("SSESpecification") or {}
    if not is_true(sse.get("SSEEnabled")) or sse.get("SSEType") != "KMS":
        yield "SSESpecification needs SSEEnabled: true and SSEType: KMS"
    for replica in props.get("Replicas") or []:
        key = ((replica or {}).get("SSESpecification") or {}).get("KMSMasterKeyId")
        yield _cmk_problem(key, f"replica {replica.get('Region')}: SSESpecification.KMSMasterKeyId")


def _bucket_keys(props: dict[str, Any]) -> Iterator[str | None]:
    """SSE-KMS without a key id means aws/s3. (SSE-S3 is checkov's CKV_AWS_145, waivable there.)"""
    encryption = (props.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    for entry in encryption:
        default = (entry or {}).get("ServerSideEncryptionByDefault") or {}
        if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
            yield _cmk_problem(default.get("KMSMasterKeyID"), "KMSMasterKeyID")


def _database_keys(props: dict[str, Any]) -> Iterator[str | None]:
    if "DBClusterIdentifier" not in props:  # an Aurora member is encrypted by its cluster
        if not is_true(props.get("StorageEncrypted")) and "SourceDBInstanceIdentifier" not in props:
            yield "StorageEncrypted is not true"
        else:  # a cross-region read replica needs a key in its own region too
            yield _cmk_problem(props.get("KmsKeyId"), "KmsKeyId")
    if is_true(props.get("ManageMasterUserPassword")):
        secret_key = (props.get("MasterUserSecret") or {}).get("KmsKeyId")
        yield _cmk_problem(secret_key, "MasterUserSecret.KmsKeyId")


def _secret_key(props: dict[str, Any]) -> Iterator[str | None]:
    yield _cmk_problem(props.get("KmsKeyId"), "KmsKeyId")


_KEY_RULES: dict[str, Callable[[dict[str, Any]], Iterator[str | None]]] = {
    "AWS::SNS::Topic": _topic_key,
    "AWS::SQS::Queue": _queue_key,
    "AWS::DynamoDB::Table": _table_key,
    "AWS::DynamoDB::GlobalTable": _global_table_keys,
    "AWS::S3::Bucket": _bucket_keys,
    "AWS::RDS::DBInstance": _database_keys,
    "AWS::RDS::DBCluster": _database_keys,
    "AWS::SecretsManager::Secret": _secret_key,
}


@check("PRJ.KMS.CMK", "data at rest uses the region's customer-managed key, never an AWS-managed key")
def customer_managed_keys(template: Template) -> Iterator[Finding]:
    for lid, resource, props in of_type(template, *_KEY_RULES):
        for problem in _KEY_RULES[resource["Type"]](props):
            if problem:
                yield _finding("PRJ.KMS.CMK", lid, problem)


# --- destroyability / production protection -----------------------------------------------------

KEEPING_POLICIES = {"Retain", "RetainExceptOnCreate", "Snapshot"}
# Types that keep data: their policies must be explicit (RDS defaults to Snapshot): Delete in a
# development environment, a keeping policy in a protected one.
STATEFUL_TYPES = (
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
    "AWS::EFS::FileSystem",
    "AWS::EC2::Volume",
)
# Where deletion protection lives, per type: a property name, or the ALB attribute.
PROTECTION_FLAGS = {
    "AWS::RDS::DBInstance": "DeletionProtection",
    "AWS::RDS::DBCluster": "DeletionProtection",
    "AWS::DynamoDB::Table": "DeletionProtectionEnabled",
    "AWS::DynamoDB::GlobalTable": "DeletionProtectionEnabled",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "deletion_protection.enabled",
}


def protected(template: Template) -> bool:
    """The template's environment is protected (`Metadata.Environment.protected`, set by render)."""
    environment = (template.get("Metadata") or {}).get("Environment") or {}
    return isinstance(environment, dict) and is_true(environment.get("protected"))


@check(
    "PRJ.DELETE.POLICY",
    "development: every stateful resource says Delete; protected: every stateful resource is kept",
)
def deletion_policies(template: Template) -> Iterator[Finding]:
    rule = "PRJ.DELETE.POLICY"
    keep = protected(template)
    for lid, resource in template.get("Resources", {}).items():
        if not isinstance(resource, dict):
            continue
        stateful = resource.get("Type") in STATEFUL_TYPES
        for attribute in ("DeletionPolicy", "UpdateReplacePolicy"):
            value = resource.get(attribute)
            if keep and stateful and value not in KEEPING_POLICIES:
                problem = f"{attribute}: {value or 'unset'} in a protected environment"
                yield _finding(rule, lid, f"{problem}: use Retain or Snapshot")
            elif not keep and value in KEEPING_POLICIES:
                yield _finding(rule, lid, f"{attribute}: {value} leaves data behind on teardown: use Delete")
            elif not keep and value is None and stateful:
                yield _finding(rule, lid, f"{attribute} unset on a stateful resource: say Delete explicitly")


def _protection_flag(resource_type: str, props: dict[str, Any]) -> bool | None:
    """The deletion-protection setting of a resource (None: the type has none)."""
    name = PROTECTION_FLAGS.get(resource_type)
    if name is None:
        return None
    if resource_type == "AWS::ElasticLoadBalancingV2::LoadBalancer":
        pairs = props.get("LoadBalancerAttributes") or []
        attributes = {(a or {}).get("Key"): (a or {}).get("Value") for a in pairs}
        return is_true(attributes.get(name))
    return is_true(props.get(name))


@check(
    "PRJ.DELETE.PROTECTION",
    "development: deletion protection off (teardown works); protected: on for databases, tables, ALBs",
)
def deletion_protection(template: Template) -> Iterator[Finding]:
    rule = "PRJ.DELETE.PROTECTION"
    keep = protected(template)
    for lid, resource in template.get("Resources", {}).items():
        props = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(props, dict):
            continue
        if not keep and is_true(props.get("DisableApiTermination")):
            yield _finding(rule, lid, "DisableApiTermination is on: teardown would fail; set it off")
        flag = _protection_flag(resource.get("Type", ""), props)
        name = PROTECTION_FLAGS.get(resource.get("Type", ""))
        if flag is True and not keep:
            yield _finding(rule, lid, f"{name} is on: teardown would fail; set it off")
        elif flag is False and keep:
            yield _finding(rule, lid, f"{name} is off in a protected environment: turn it on")
