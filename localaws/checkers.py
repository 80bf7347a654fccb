"""One describe-check per CloudFormation resource type, through that resource's OWN service API.

A checker gets a client factory and the physical ID CloudFormation reports, and returns a short
description of what it found. It raises `Missing` when the resource does not exist (or only
exists as deleted / being deleted: a KMS key pending deletion, an INACTIVE ECS service, a
deleted peering connection). A botocore "not found" error means the same. A type without a
checker is reported as unchecked by the inventory, never as fine.

The physical IDs follow CloudFormation's `Ref` where CloudFormation has one; for the few types
AWS gives no ID of their own, the emulator's models document the ID they report (e.g. a network
ACL entry is `<acl-id>:<ingress|egress>:<rule>`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

Clients = Callable[[str], Any]  # service name -> boto3 client
Checker = Callable[[Clients, str], str]

CHECKERS: dict[str, Checker] = {}


class Missing(Exception):
    """The resource is not there (or is deleted / being deleted)."""


def checks(*resource_types: str) -> Callable[[Checker], Checker]:
    def register(checker: Checker) -> Checker:
        for resource_type in resource_types:
            CHECKERS[resource_type] = checker
        return checker

    return register


def _one(items: list[Any], what: str, physical_id: str) -> Any:
    if not items:
        raise Missing(f"{what} {physical_id} not found")
    return items[0]


# -- EC2 -------------------------------------------------------------------------------------------
@checks("AWS::EC2::VPC")
def vpc(c: Clients, pid: str) -> str:
    v = _one(c("ec2").describe_vpcs(VpcIds=[pid])["Vpcs"], "VPC", pid)
    return f"{v['CidrBlock']} {v['State']}"


@checks("AWS::EC2::Subnet")
def subnet(c: Clients, pid: str) -> str:
    s = _one(c("ec2").describe_subnets(SubnetIds=[pid])["Subnets"], "subnet", pid)
    return f"{s['CidrBlock']} in {s['AvailabilityZone']}"


@checks("AWS::EC2::InternetGateway")
def internet_gateway(c: Clients, pid: str) -> str:
    g = _one(c("ec2").describe_internet_gateways(InternetGatewayIds=[pid])["InternetGateways"], "IGW", pid)
    vpcs = ",".join(a["VpcId"] for a in g.get("Attachments", []))
    return f"attached to {vpcs}" if vpcs else "detached"


@checks("AWS::EC2::VPCGatewayAttachment")
def gateway_attachment(c: Clients, pid: str) -> str:
    # moto reports the VPC ID; CloudFormation `IGW|vpc-...`: either way the VPC ID ends it.
    vpc_id = pid.rsplit("|", maxsplit=1)[-1]
    gateways = c("ec2").describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    g = _one(gateways, "internet gateway attachment of", vpc_id)
    return f"{g['InternetGatewayId']} -> {vpc_id}"


@checks("AWS::EC2::EIP")
def elastic_ip(c: Clients, pid: str) -> str:
    key = {"AllocationIds": [pid]} if pid.startswith("eipalloc-") else {"PublicIps": [pid]}
    a = _one(c("ec2").describe_addresses(**key)["Addresses"], "EIP", pid)
    return f"{a['PublicIp']} ({a.get('AllocationId')})"


@checks("AWS::EC2::NatGateway")
def nat_gateway(c: Clients, pid: str) -> str:
    n = _one(c("ec2").describe_nat_gateways(NatGatewayIds=[pid])["NatGateways"], "NAT gateway", pid)
    if n["State"] in ("deleting", "deleted"):
        raise Missing(f"NAT gateway {pid} is {n['State']}")
    return f"{n['State']} in {n['SubnetId']}"


@checks("AWS::EC2::RouteTable")
def route_table(c: Clients, pid: str) -> str:
    t = _one(c("ec2").describe_route_tables(RouteTableIds=[pid])["RouteTables"], "route table", pid)
    return f"{len(t['Routes'])} routes, {len(t.get('Associations', []))} associations"


@checks("AWS::EC2::Route")
def route(c: Clients, pid: str) -> str:
    # moto reports `<route-table>~<destination>`; CloudFormation `<route-table>|<destination>`.
    table_id, _, destination = pid.replace("|", "~").partition("~")
    if not destination:
        raise Missing(f"route id {pid} is not <route-table>~<destination>")
    t = _one(c("ec2").describe_route_tables(RouteTableIds=[table_id])["RouteTables"], "route table", table_id)
    for r in t["Routes"]:
        if destination in (r.get("DestinationCidrBlock"), r.get("DestinationIpv6CidrBlock")):
            target = next(
                (v for k, v in r.items() if k.endswith("Id") and k != "DestinationPrefixListId"), "?"
            )
            return f"{destination} -> {target}"
    raise Missing(f"no route to {destination} in {table_id}")


@checks("AWS::EC2::SubnetRouteTableAssociation")
def route_table_association(c: Clients, pid: str) -> str:
    t = _one(
        c("ec2").describe_route_tables(
            Filters=[{"Name": "association.route-table-association-id", "Values": [pid]}]
        )["RouteTables"],
        "route table association",
        pid,
    )
    a = next(a for a in t["Associations"] if a["RouteTableAssociationId"] == pid)
    return f"{a.get('SubnetId')} -> {t['RouteTableId']}"


@checks("AWS::EC2::SecurityGroup")
def security_group(c: Clients, pid: str) -> str:
    key = {"GroupIds": [pid]} if pid.startswith("sg-") else {"GroupNames": [pid]}
    g = _one(c("ec2").describe_security_groups(**key)["SecurityGroups"], "security group", pid)
    return f"{g['GroupId']} ({len(g['IpPermissions'])} in, {len(g['IpPermissionsEgress'])} out)"


@checks("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
def security_group_rule(c: Clients, pid: str) -> str:
    r = _one(
        c("ec2").describe_security_group_rules(SecurityGroupRuleIds=[pid])["SecurityGroupRules"],
        "security group rule",
        pid,
    )
    peer = r.get("CidrIpv4") or r.get("ReferencedGroupInfo", {}).get("GroupId") or r.get("PrefixListId")
    direction = "egress" if r["IsEgress"] else "ingress"
    return f"{r['GroupId']} {direction} {r['IpProtocol']}:{r.get('FromPort')} {peer}"


@checks("AWS::EC2::NetworkAcl")
def network_acl(c: Clients, pid: str) -> str:
    a = _one(c("ec2").describe_network_acls(NetworkAclIds=[pid])["NetworkAcls"], "network ACL", pid)
    return f"{len(a['Entries'])} entries, {len(a['Associations'])} subnets"


@checks("AWS::EC2::NetworkAclEntry")
def network_acl_entry(c: Clients, pid: str) -> str:
    parts = pid.split(":")
    if len(parts) != 3:
        raise Missing(f"entry id {pid} is not <acl-id>:<ingress|egress>:<rule>")
    acl_id, direction, rule = parts
    a = _one(c("ec2").describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"], "network ACL", acl_id)
    for e in a["Entries"]:
        if e["RuleNumber"] == int(rule) and e["Egress"] == (direction == "egress"):
            return f"{direction} {rule} {e['RuleAction']} {e.get('CidrBlock')}"
    raise Missing(f"{acl_id} has no {direction} rule {rule}")


@checks("AWS::EC2::SubnetNetworkAclAssociation")
def network_acl_association(c: Clients, pid: str) -> str:
    a = _one(
        c("ec2").describe_network_acls(Filters=[{"Name": "association.association-id", "Values": [pid]}])[
            "NetworkAcls"
        ],
        "network ACL association",
        pid,
    )
    assoc = next(x for x in a["Associations"] if x["NetworkAclAssociationId"] == pid)
    return f"{assoc['SubnetId']} -> {a['NetworkAclId']}"


@checks("AWS::EC2::FlowLog")
def flow_log(c: Clients, pid: str) -> str:
    f = _one(c("ec2").describe_flow_logs(FlowLogIds=[pid])["FlowLogs"], "flow log", pid)
    return f"{f['ResourceId']} -> {f.get('LogGroupName') or f.get('LogDestination')}"


@checks("AWS::EC2::VPCPeeringConnection")
def peering(c: Clients, pid: str) -> str:
    p = _one(
        c("ec2").describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])["VpcPeeringConnections"],
        "peering connection",
        pid,
    )
    status = p["Status"]["Code"]
    if status in ("deleted", "deleting", "rejected", "failed", "expired"):
        raise Missing(f"peering {pid} is {status}")
    accepter = p["AccepterVpcInfo"]
    return f"{p['RequesterVpcInfo']['VpcId']} -> {accepter['VpcId']} ({accepter.get('Region')}) {status}"


# -- KMS, IAM, Logs, SSM, Secrets ---------------------------------------------------------------------
@checks("AWS::KMS::Key")
def kms_key(c: Clients, pid: str) -> str:
    k = c("kms").describe_key(KeyId=pid)["KeyMetadata"]
    if k["KeyState"] in ("PendingDeletion", "PendingReplicaDeletion"):
        raise Missing(f"key {pid} is {k['KeyState']}")
    json.loads(c("kms").get_key_policy(KeyId=pid, PolicyName="default")["Policy"])
    return f"{k['KeyState']}, rotation {c('kms').get_key_rotation_status(KeyId=pid)['KeyRotationEnabled']}"


@checks("AWS::KMS::Alias")
def kms_alias(c: Clients, pid: str) -> str:
    aliases = [a for page in c("kms").get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    a = _one([a for a in aliases if a["AliasName"] == pid], "alias", pid)
    return f"-> {a.get('TargetKeyId')}"


@checks("AWS::IAM::Role")
def iam_role(c: Clients, pid: str) -> str:
    result: str = c("iam").get_role(RoleName=pid)["Role"]["Arn"]
    return result


@checks("AWS::Logs::LogGroup")
def log_group(c: Clients, pid: str) -> str:
    groups = c("logs").describe_log_groups(logGroupNamePrefix=pid)["logGroups"]
    g = _one([g for g in groups if g["logGroupName"] == pid], "log group", pid)
    return f"retention {g.get('retentionInDays')}, key {'yes' if g.get('kmsKeyId') else 'no'}"


@checks("AWS::SSM::Parameter")
def ssm_parameter(c: Clients, pid: str) -> str:
    p = c("ssm").get_parameter(Name=pid)["Parameter"]
    return f"{p['Type']} = {p['Value'][:40]}"


@checks("AWS::SecretsManager::Secret")
def secret(c: Clients, pid: str) -> str:
    s = c("secretsmanager").describe_secret(SecretId=pid)
    if s.get("DeletedDate"):
        raise Missing(f"secret {pid} is scheduled for deletion")
    return str(s["Name"])


@checks("AWS::SecretsManager::SecretTargetAttachment")
def secret_attachment(c: Clients, pid: str) -> str:
    """The physical ID is the secret's ARN; the attachment lives in the secret (never read here)."""
    s = c("secretsmanager").describe_secret(SecretId=pid)
    if s.get("DeletedDate"):
        raise Missing(f"secret {pid} is scheduled for deletion")
    return f"target attached to {s['Name']}"


@checks("AWS::SecretsManager::RotationSchedule")
def rotation_schedule(c: Clients, pid: str) -> str:
    """The physical ID is the secret's ARN; a schedule exists while its rotation is enabled."""
    s = c("secretsmanager").describe_secret(SecretId=pid)
    if s.get("DeletedDate") or not s.get("RotationEnabled"):
        raise Missing(f"secret {pid} has no rotation enabled")
    return f"every {s.get('RotationRules', {}).get('AutomaticallyAfterDays', '?')} days"


# -- Data -------------------------------------------------------------------------------------------
@checks("AWS::RDS::DBInstance")
def db_instance(c: Clients, pid: str) -> str:
    d = _one(c("rds").describe_db_instances(DBInstanceIdentifier=pid)["DBInstances"], "DB instance", pid)
    role = (
        f"replica of {d['ReadReplicaSourceDBInstanceIdentifier']}"
        if d.get("ReadReplicaSourceDBInstanceIdentifier")
        else "primary"
    )
    return f"{d['Engine']} {d['EngineVersion']} {d['DBInstanceStatus']}, {role}"


@checks("AWS::RDS::DBSubnetGroup")
def db_subnet_group(c: Clients, pid: str) -> str:
    g = _one(c("rds").describe_db_subnet_groups(DBSubnetGroupName=pid)["DBSubnetGroups"], "subnet group", pid)
    return f"{len(g['Subnets'])} subnets"


@checks("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")
def dynamodb_table(c: Clients, pid: str) -> str:
    t = c("dynamodb").describe_table(TableName=pid)["Table"]
    sse = t.get("SSEDescription", {}).get("Status", "default")
    return f"{t['TableStatus']}, SSE {sse}"


@checks("AWS::S3::Bucket")
def bucket(c: Clients, pid: str) -> str:
    c("s3").head_bucket(Bucket=pid)
    return f"versioning {c('s3').get_bucket_versioning(Bucket=pid).get('Status', 'off')}"


@checks("AWS::S3::BucketPolicy")
def bucket_policy(c: Clients, pid: str) -> str:
    policy = json.loads(c("s3").get_bucket_policy(Bucket=pid)["Policy"])
    return f"{len(policy.get('Statement', []))} statements"


# -- Edge -------------------------------------------------------------------------------------------
@checks("AWS::ElasticLoadBalancingV2::LoadBalancer")
def load_balancer(c: Clients, pid: str) -> str:
    lb = c("elbv2").describe_load_balancers(LoadBalancerArns=[pid])["LoadBalancers"][0]
    return f"{lb['Type']} {lb['Scheme']} {lb['State']['Code']}"


@checks("AWS::ElasticLoadBalancingV2::Listener")
def listener(c: Clients, pid: str) -> str:
    li = c("elbv2").describe_listeners(ListenerArns=[pid])["Listeners"][0]
    return f"{li['Protocol']}:{li['Port']}"


@checks("AWS::ElasticLoadBalancingV2::ListenerRule")
def listener_rule(c: Clients, pid: str) -> str:
    r = c("elbv2").describe_rules(RuleArns=[pid])["Rules"][0]
    return f"priority {r['Priority']}"


@checks("AWS::ElasticLoadBalancingV2::TargetGroup")
def target_group(c: Clients, pid: str) -> str:
    g = c("elbv2").describe_target_groups(TargetGroupArns=[pid])["TargetGroups"][0]
    targets = c("elbv2").describe_target_health(TargetGroupArn=pid)["TargetHealthDescriptions"]
    return f"{g.get('TargetType')}, {len(targets)} targets"


@checks("AWS::WAFv2::WebACL")
def web_acl(c: Clients, pid: str) -> str:
    name, acl_id, scope = pid.split("|")
    acl = c("wafv2").get_web_acl(Name=name, Id=acl_id, Scope=scope)["WebACL"]
    return f"{len(acl.get('Rules', []))} rules"


@checks("AWS::WAFv2::WebACLAssociation")
def web_acl_association(c: Clients, pid: str) -> str:
    acl_arn, _, resource_arn = pid.partition("|")
    acl = c("wafv2").get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL")
    if not acl or acl["ARN"] != acl_arn:
        raise Missing(f"{resource_arn} is not associated with {acl_arn}")
    return f"{acl['Name']} on {resource_arn.rsplit('/', 2)[-2]}"


@checks("AWS::WAFv2::LoggingConfiguration")
def waf_logging(c: Clients, pid: str) -> str:
    conf = c("wafv2").get_logging_configuration(ResourceArn=pid)["LoggingConfiguration"]
    return "-> " + ",".join(d.rsplit(":", 1)[-1] for d in conf["LogDestinationConfigs"])


# -- Containers and functions -----------------------------------------------------------------------
@checks("AWS::ECS::Cluster")
def ecs_cluster(c: Clients, pid: str) -> str:
    cl = _one(c("ecs").describe_clusters(clusters=[pid])["clusters"], "cluster", pid)
    if cl["status"] != "ACTIVE":
        raise Missing(f"cluster {pid} is {cl['status']}")
    return str(cl["status"])


@checks("AWS::ECS::Service")
def ecs_service(c: Clients, pid: str) -> str:
    # arn:aws:ecs:<region>:<account>:service/<cluster>/<name>
    after = pid.rsplit(":service/", maxsplit=1)[-1]
    kwargs = {"cluster": after.split("/", maxsplit=1)[0]} if ":service/" in pid and "/" in after else {}
    s = _one(c("ecs").describe_services(services=[pid], **kwargs)["services"], "service", pid)
    if s["status"] != "ACTIVE":
        raise Missing(f"service {pid} is {s['status']}")
    return (
        f"{s.get('launchType')} desired {s['desiredCount']}, {len(s.get('serviceRegistries', []))} registries"
    )


@checks("AWS::ECS::TaskDefinition")
def task_definition(c: Clients, pid: str) -> str:
    t = c("ecs").describe_task_definition(taskDefinition=pid)["taskDefinition"]
    if t["status"] != "ACTIVE":
        raise Missing(f"task definition {pid} is {t['status']}")
    return f"{t['family']}:{t['revision']}"


@checks(
    "AWS::ServiceDiscovery::PrivateDnsNamespace",
    "AWS::ServiceDiscovery::PublicDnsNamespace",
    "AWS::ServiceDiscovery::HttpNamespace",
)
def namespace(c: Clients, pid: str) -> str:
    n = c("servicediscovery").get_namespace(Id=pid)["Namespace"]
    return f"{n['Name']} ({n['Type']})"


@checks("AWS::ServiceDiscovery::Service")
def discovery_service(c: Clients, pid: str) -> str:
    return str(c("servicediscovery").get_service(Id=pid)["Service"]["Name"])


@checks("AWS::Lambda::Function")
def function(c: Clients, pid: str) -> str:
    f = c("lambda").get_function(FunctionName=pid)["Configuration"]
    return f"{f['Runtime']} {f.get('State', '')}".strip()


@checks("AWS::Lambda::Permission")
def function_permission(c: Clients, pid: str) -> str:
    # CloudFormation's physical ID of a permission is its statement id; the function is in the
    # statement's resource, so look through every function's policy for it.
    for page in c("lambda").get_paginator("list_functions").paginate():
        for f in page["Functions"]:
            try:
                policy = json.loads(c("lambda").get_policy(FunctionName=f["FunctionName"])["Policy"])
            except Exception:  # noqa: S112 - a function without a policy
                continue
            for statement in policy.get("Statement", []):
                if statement.get("Sid") == pid:
                    return f"{f['FunctionName']} <- {statement.get('Principal')}"
    raise Missing(f"no function policy has statement {pid}")


@checks("AWS::Lambda::EventSourceMapping")
def event_source_mapping(c: Clients, pid: str) -> str:
    m = c("lambda").get_event_source_mapping(UUID=pid)
    return f"{m['EventSourceArn'].rsplit(':', 1)[-1]} {m['State']}"


@checks("AWS::SQS::Queue")
def queue(c: Clients, pid: str) -> str:
    attrs = c("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["All"])["Attributes"]
    return f"{attrs['QueueArn'].rsplit(':', 1)[-1]}, key {'yes' if attrs.get('KmsMasterKeyId') else 'no'}"


@checks("AWS::SQS::QueuePolicy")
def queue_policy(c: Clients, pid: str) -> str:
    for url in pid.split(","):
        attrs = c("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        if not attrs.get("Policy"):
            raise Missing(f"queue {url} has no policy")
    return f"{len(pid.split(','))} queue(s)"


@checks("AWS::SNS::Topic")
def topic(c: Clients, pid: str) -> str:
    attrs = c("sns").get_topic_attributes(TopicArn=pid)["Attributes"]
    return f"key {'yes' if attrs.get('KmsMasterKeyId') else 'no'}"


@checks("AWS::SNS::TopicPolicy")
def topic_policy(c: Clients, pid: str) -> str:
    for arn in pid.split(","):
        policy = json.loads(c("sns").get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
        if any(s.get("Sid") == "__default_statement_ID" for s in policy.get("Statement", [])):
            raise Missing(f"topic {arn} has only SNS's default policy")
    return f"{len(pid.split(','))} topic(s)"


@checks("AWS::SNS::Subscription")
def subscription(c: Clients, pid: str) -> str:
    attrs = c("sns").get_subscription_attributes(SubscriptionArn=pid)["Attributes"]
    pending = str(attrs.get("PendingConfirmation", "false")).lower() == "true"
    return f"{attrs.get('Protocol')} {'pending confirmation' if pending else 'confirmed'}"


# -- Monitoring -------------------------------------------------------------------------------------
@checks("AWS::CloudWatch::Alarm")
def alarm(c: Clients, pid: str) -> str:
    a = _one(c("cloudwatch").describe_alarms(AlarmNames=[pid])["MetricAlarms"], "alarm", pid)
    return f"{a['ComparisonOperator']} {a.get('Threshold')}"


@checks("AWS::CloudWatch::Dashboard")
def dashboard(c: Clients, pid: str) -> str:
    body = json.loads(c("cloudwatch").get_dashboard(DashboardName=pid)["DashboardBody"])
    return f"{len(body.get('widgets', []))} widgets"


# -- CloudFormation-internal ------------------------------------------------------------------------
@checks("AWS::CloudFormation::WaitConditionHandle")
def wait_condition_handle(c: Clients, pid: str) -> str:
    """A handle is only a presigned signal URL: there is no service to ask, only its form to check."""
    if not pid.startswith("https://"):
        raise Missing(f"wait condition handle {pid} is not a signal URL")
    return "signal URL (CloudFormation-internal, no service API)"


# == Property read-back: what the template declares, as the resource's own service describes it ==
# "Created and describable" is not enough: a resource can exist without the key, tracing, logging,
# public-access block, deletion protection or replication its template declares (a backend that
# drops a property, or a property AWS silently ignores in a combination). Each `Readback` names,
# for one resource type, how to describe it (`view`: a dict built from its own service's API,
# as AWS answers it) and which declared property maps to which described field (`Prop`).
#
# Paths (declared: into the resource's template `Properties`; described: into the view):
#   `A.B`  nested keys;  `A.*.B`  every element of list A;
#   `A[k]` in a list of {Key|Name|Region: ..., Value: ...} items, the item named k (its Value if it
#          has one, else the item itself); `{region}` in k is the stack's region.
# Kinds: `value` (booleans, numbers and strings compare as text; dicts/lists recursively),
#   `key` (KMS key references: ARN, key id or alias compare by key id), `set` (order-free list),
#   `member` (the declared value is one of the described list).
# A property the template does not declare is not compared (AWS's default applies, and checking
# defaults is the security gate's job).
ReadbackKind = Literal["value", "key", "set", "member"]
View = Callable[[Clients, str], dict[str, Any]]


@dataclass(frozen=True)
class Prop:
    """Declared path -> described path, compared as `kind`; reported under the declared path."""

    declared: str
    described: str
    kind: ReadbackKind = "value"
    # When set: declaring `declared` (any value) implies the described field reads `implies`
    # (e.g. a DB instance given a KmsKeyId is encrypted, replicas included, which do not
    # declare StorageEncrypted because they inherit it).
    implies: Any = None

    @property
    def label(self) -> str:
        if self.implies is None:
            return self.declared
        return f"{self.described} (implied by {self.declared})"


@dataclass(frozen=True)
class Readback:
    view: View
    props: tuple[Prop, ...]
    doc: str  # the CloudFormation reference page of the type: what each declared property means


READBACKS: dict[str, Readback] = {}


def reads_back(resource_type: str, doc: str, *props: Prop) -> Callable[[View], View]:
    def register(view: View) -> View:
        READBACKS[resource_type] = Readback(view, props, doc)
        return view

    return register


def _absent_unless(call: Callable[[], dict[str, Any]], *codes: str) -> dict[str, Any]:
    """The response, or {} when the service answers that nothing is configured (`codes`)."""
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in codes:
            return {}
        raise


_CFN = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"


@reads_back(
    "AWS::Lambda::Function",
    _CFN + "aws-resource-lambda-function.html",
    Prop("TracingConfig.Mode", "TracingConfig.Mode"),
    Prop("KmsKeyArn", "KMSKeyArn", "key"),
    Prop("LoggingConfig.LogGroup", "LoggingConfig.LogGroup"),
    Prop("LoggingConfig.LogFormat", "LoggingConfig.LogFormat"),
    Prop("VpcConfig.SubnetIds", "VpcConfig.SubnetIds", "set"),
    Prop("VpcConfig.SecurityGroupIds", "VpcConfig.SecurityGroupIds", "set"),
)
def _function_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("lambda").get_function_configuration(FunctionName=pid)
    return result


@reads_back(
    "AWS::RDS::DBInstance",
    _CFN + "aws-resource-rds-dbinstance.html",
    Prop("StorageEncrypted", "StorageEncrypted"),
    Prop("KmsKeyId", "KmsKeyId", "key"),
    # "If you specify the KmsKeyId property, then you must enable encryption"; a cross-region
    # read replica is encrypted with the KmsKeyId given in its own region.
    Prop("KmsKeyId", "StorageEncrypted", implies=True),
    Prop("PubliclyAccessible", "PubliclyAccessible"),
    Prop("DeletionProtection", "DeletionProtection"),
    Prop("EnableCloudwatchLogsExports", "EnabledCloudwatchLogsExports", "set"),
    Prop("EnableIAMDatabaseAuthentication", "IAMDatabaseAuthenticationEnabled"),
    Prop("MasterUserSecret.KmsKeyId", "MasterUserSecret.KmsKeyId", "key"),
    Prop("PerformanceInsightsKMSKeyId", "PerformanceInsightsKMSKeyId", "key"),
    Prop("BackupRetentionPeriod", "BackupRetentionPeriod"),
    Prop("VPCSecurityGroups", "VpcSecurityGroups.*.VpcSecurityGroupId", "set"),
)
def _db_instance_view(c: Clients, pid: str) -> dict[str, Any]:
    items = c("rds").describe_db_instances(DBInstanceIdentifier=pid)["DBInstances"]
    result: dict[str, Any] = _one(items, "DB instance", pid)
    return result


def _dynamodb_view(c: Clients, pid: str) -> dict[str, Any]:
    table = dict(c("dynamodb").describe_table(TableName=pid)["Table"])
    backups = c("dynamodb").describe_continuous_backups(TableName=pid)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    sse = table.get("SSEDescription", {})
    # DescribeTable has no SSEEnabled: a table shows an SSEDescription (status ENABLED) only when
    # encrypted with a KMS key (customer managed or aws/dynamodb); AWS-owned-key tables show none.
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_SSEDescription.html
    table["SSEEnabled"] = sse.get("Status") in ("ENABLED", "UPDATING")
    table["PointInTimeRecoveryEnabled"] = pitr == "ENABLED"
    return table


reads_back(
    "AWS::DynamoDB::Table",
    _CFN + "aws-resource-dynamodb-table.html",
    Prop("SSESpecification.SSEEnabled", "SSEEnabled"),
    Prop("SSESpecification.SSEType", "SSEDescription.SSEType"),
    Prop("SSESpecification.KMSMasterKeyId", "SSEDescription.KMSMasterKeyArn", "key"),
    Prop("StreamSpecification.StreamViewType", "StreamSpecification.StreamViewType"),
    Prop(
        "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
        "PointInTimeRecoveryEnabled",
    ),
    Prop("DeletionProtectionEnabled", "DeletionProtectionEnabled"),
)(_dynamodb_view)
# A global table's Ref is its name; this stack's region holds the replica it reads back.
reads_back(
    "AWS::DynamoDB::GlobalTable",
    _CFN + "aws-resource-dynamodb-globaltable.html",
    Prop("SSESpecification.SSEEnabled", "SSEEnabled"),
    Prop(
        "Replicas[{region}].SSESpecification.KMSMasterKeyId",
        "SSEDescription.KMSMasterKeyArn",
        "key",
    ),
    Prop("StreamSpecification.StreamViewType", "StreamSpecification.StreamViewType"),
    Prop(
        "Replicas[{region}].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
        "PointInTimeRecoveryEnabled",
    ),
    Prop(
        "Replicas[{region}].DeletionProtectionEnabled",
        "DeletionProtectionEnabled",
    ),
)(_dynamodb_view)


_S3_SSE = "BucketEncryption.ServerSideEncryptionConfiguration.*"
_S3_PAB = "PublicAccessBlockConfiguration"


@reads_back(
    "AWS::S3::Bucket",
    _CFN + "aws-resource-s3-bucket.html",
    Prop(
        f"{_S3_SSE}.ServerSideEncryptionByDefault.SSEAlgorithm",
        "Rules.*.ApplyServerSideEncryptionByDefault.SSEAlgorithm",
    ),
    Prop(
        f"{_S3_SSE}.ServerSideEncryptionByDefault.KMSMasterKeyID",
        "Rules.*.ApplyServerSideEncryptionByDefault.KMSMasterKeyID",
        "key",
    ),
    Prop(f"{_S3_SSE}.BucketKeyEnabled", "Rules.*.BucketKeyEnabled"),
    Prop("VersioningConfiguration.Status", "Versioning.Status"),
    *(
        Prop(f"{_S3_PAB}.{flag}", f"{_S3_PAB}.{flag}")
        for flag in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    ),
    Prop("LoggingConfiguration.DestinationBucketName", "LoggingEnabled.TargetBucket"),
    Prop("LoggingConfiguration.LogFilePrefix", "LoggingEnabled.TargetPrefix"),
    Prop("OwnershipControls.Rules.*.ObjectOwnership", "OwnershipControls.Rules.*.ObjectOwnership"),
)
def _bucket_view(c: Clients, pid: str) -> dict[str, Any]:
    s3 = c("s3")
    encryption = _absent_unless(
        lambda: s3.get_bucket_encryption(Bucket=pid), "ServerSideEncryptionConfigurationNotFoundError"
    )
    return {
        **encryption.get("ServerSideEncryptionConfiguration", {}),
        "Versioning": s3.get_bucket_versioning(Bucket=pid),
        **_absent_unless(
            lambda: s3.get_public_access_block(Bucket=pid), "NoSuchPublicAccessBlockConfiguration"
        ),
        **s3.get_bucket_logging(Bucket=pid),
        **_absent_unless(
            lambda: s3.get_bucket_ownership_controls(Bucket=pid), "OwnershipControlsNotFoundError"
        ),
    }


@reads_back(
    "AWS::SQS::Queue",
    _CFN + "aws-resource-sqs-queue.html",
    Prop("KmsMasterKeyId", "KmsMasterKeyId", "key"),
    Prop("SqsManagedSseEnabled", "SqsManagedSseEnabled"),
    Prop("KmsDataKeyReusePeriodSeconds", "KmsDataKeyReusePeriodSeconds"),
)
def _queue_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("sqs").get_queue_attributes(QueueUrl=pid, AttributeNames=["All"])["Attributes"]
    return result


@reads_back(
    "AWS::SNS::Topic",
    _CFN + "aws-resource-sns-topic.html",
    Prop("KmsMasterKeyId", "KmsMasterKeyId", "key"),
)
def _topic_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("sns").get_topic_attributes(TopicArn=pid)["Attributes"]
    return result


@reads_back(
    "AWS::KMS::Key",
    _CFN + "aws-resource-kms-key.html",
    Prop("EnableKeyRotation", "KeyRotationEnabled"),
    Prop("Enabled", "Enabled"),
    Prop("KeySpec", "KeySpec"),
    Prop("KeyUsage", "KeyUsage"),
    Prop("MultiRegion", "MultiRegion"),
)
def _key_view(c: Clients, pid: str) -> dict[str, Any]:
    meta = dict(c("kms").describe_key(KeyId=pid)["KeyMetadata"])
    meta["KeyRotationEnabled"] = c("kms").get_key_rotation_status(KeyId=pid)["KeyRotationEnabled"]
    return meta


@reads_back(
    "AWS::Logs::LogGroup",
    _CFN + "aws-resource-logs-loggroup.html",
    Prop("KmsKeyId", "kmsKeyId", "key"),
    Prop("RetentionInDays", "retentionInDays"),
)
def _log_group_view(c: Clients, pid: str) -> dict[str, Any]:
    groups = c("logs").describe_log_groups(logGroupNamePrefix=pid)["logGroups"]
    result: dict[str, Any] = _one([g for g in groups if g["logGroupName"] == pid], "log group", pid)
    return result


_LB_ATTRIBUTES = (
    "deletion_protection.enabled",
    "access_logs.s3.enabled",
    "access_logs.s3.bucket",
    "access_logs.s3.prefix",
    "connection_logs.s3.enabled",
    "connection_logs.s3.bucket",
    "routing.http.drop_invalid_header_fields.enabled",
    "routing.http.desync_mitigation_mode",
    "waf.fail_open.enabled",
)


@reads_back(
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    _CFN + "aws-resource-elasticloadbalancingv2-loadbalancer.html",
    Prop("Scheme", "Scheme"),
    Prop("SecurityGroups", "SecurityGroups", "set"),
    *(Prop(f"LoadBalancerAttributes[{a}]", f"Attributes[{a}]") for a in _LB_ATTRIBUTES),
)
def _load_balancer_view(c: Clients, pid: str) -> dict[str, Any]:
    lb = dict(c("elbv2").describe_load_balancers(LoadBalancerArns=[pid])["LoadBalancers"][0])
    lb["Attributes"] = c("elbv2").describe_load_balancer_attributes(LoadBalancerArn=pid)["Attributes"]
    return lb


@reads_back(
    "AWS::ElasticLoadBalancingV2::Listener",
    _CFN + "aws-resource-elasticloadbalancingv2-listener.html",
    Prop("Protocol", "Protocol"),
    Prop("Port", "Port"),
    Prop("SslPolicy", "SslPolicy"),
    Prop("Certificates.*.CertificateArn", "Certificates.*.CertificateArn", "set"),
)
def _listener_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("elbv2").describe_listeners(ListenerArns=[pid])["Listeners"][0]
    return result


@reads_back(
    "AWS::WAFv2::WebACL",
    _CFN + "aws-resource-wafv2-webacl.html",
    Prop("DefaultAction", "DefaultAction"),
    Prop("Rules.*.Name", "Rules.*.Name"),
    Prop("Rules.*.Priority", "Rules.*.Priority"),
)
def _web_acl_view(c: Clients, pid: str) -> dict[str, Any]:
    name, acl_id, scope = pid.split("|")
    result: dict[str, Any] = c("wafv2").get_web_acl(Name=name, Id=acl_id, Scope=scope)["WebACL"]
    return result


# ListResourcesForWebACL lists one resource type per call, named by the protected resource's
# service: https://docs.aws.amazon.com/waf/latest/APIReference/API_ListResourcesForWebACL.html
WAF_RESOURCE_TYPES = {
    "elasticloadbalancing": "APPLICATION_LOAD_BALANCER",
    "apigateway": "API_GATEWAY",
    "appsync": "APPSYNC",
    "cognito-idp": "COGNITO_USER_POOL",
    "apprunner": "APP_RUNNER_SERVICE",
    "ec2": "VERIFIED_ACCESS_INSTANCE",
    "amplify": "AMPLIFY",
}


@reads_back(
    "AWS::WAFv2::WebACLAssociation",
    _CFN + "aws-resource-wafv2-webaclassociation.html",
    Prop("WebACLArn", "WebACLArn"),
    Prop("ResourceArn", "ListResourcesForWebACL", "member"),
)
def _web_acl_association_view(c: Clients, pid: str) -> dict[str, Any]:
    acl_arn, _, resource_arn = pid.partition("|")
    acl = c("wafv2").get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL") or {}
    resource_type = WAF_RESOURCE_TYPES.get(resource_arn.split(":")[2] if resource_arn.count(":") > 2 else "")
    listed = c("wafv2").list_resources_for_web_acl(
        WebACLArn=acl_arn, **({"ResourceType": resource_type} if resource_type else {})
    )["ResourceArns"]
    return {"WebACLArn": acl.get("ARN"), "ListResourcesForWebACL": listed}


@reads_back(
    "AWS::WAFv2::LoggingConfiguration",
    _CFN + "aws-resource-wafv2-loggingconfiguration.html",
    Prop("LogDestinationConfigs", "LogDestinationConfigs", "set"),
    Prop("RedactedFields", "RedactedFields"),
)
def _waf_logging_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("wafv2").get_logging_configuration(ResourceArn=pid)["LoggingConfiguration"]
    return result


@reads_back(
    "AWS::ECS::Cluster",
    _CFN + "aws-resource-ecs-cluster.html",
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
    result: dict[str, Any] = _one(clusters, "cluster", pid)
    return result


_AWSVPC = "NetworkConfiguration.AwsvpcConfiguration"


@reads_back(
    "AWS::ECS::Service",
    _CFN + "aws-resource-ecs-service.html",
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
    after = pid.rsplit(":service/", maxsplit=1)[-1]
    kwargs = {"cluster": after.split("/", maxsplit=1)[0]} if ":service/" in pid and "/" in after else {}
    items = c("ecs").describe_services(services=[pid], **kwargs)["services"]
    result: dict[str, Any] = _one(items, "service", pid)
    return result


_CONTAINERS = "ContainerDefinitions.*"


@reads_back(
    "AWS::ECS::TaskDefinition",
    _CFN + "aws-resource-ecs-taskdefinition.html",
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


@reads_back(
    "AWS::SecretsManager::Secret",
    _CFN + "aws-resource-secretsmanager-secret.html",
    Prop("KmsKeyId", "KmsKeyId", "key"),
    Prop("ReplicaRegions.*.Region", "ReplicationStatus.*.Region", "set"),
    Prop("ReplicaRegions.*.KmsKeyId", "ReplicationStatus.*.KmsKeyId", "key"),
)
def _secret_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("secretsmanager").describe_secret(SecretId=pid)
    return result


@reads_back(
    "AWS::SSM::Parameter",
    _CFN + "aws-resource-ssm-parameter.html",
    Prop("Type", "Type"),
)
def _parameter_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("ssm").get_parameter(Name=pid)["Parameter"]
    return result


@reads_back(
    "AWS::EC2::FlowLog",
    _CFN + "aws-resource-ec2-flowlog.html",
    Prop("ResourceId", "ResourceId"),
    Prop("TrafficType", "TrafficType"),
    Prop("LogDestinationType", "LogDestinationType"),
    Prop("LogGroupName", "LogGroupName"),
    Prop("LogDestination", "LogDestination"),
    Prop("DeliverLogsPermissionArn", "DeliverLogsPermissionArn"),
    Prop("MaxAggregationInterval", "MaxAggregationInterval"),
)
def _flow_log_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = _one(c("ec2").describe_flow_logs(FlowLogIds=[pid])["FlowLogs"], "flow log", pid)
    return result


@reads_back(
    "AWS::EC2::Subnet",
    _CFN + "aws-resource-ec2-subnet.html",
    Prop("MapPublicIpOnLaunch", "MapPublicIpOnLaunch"),
)
def _subnet_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = _one(c("ec2").describe_subnets(SubnetIds=[pid])["Subnets"], "subnet", pid)
    return result


@reads_back(
    "AWS::CloudWatch::Alarm",
    _CFN + "aws-resource-cloudwatch-alarm.html",
    Prop("ActionsEnabled", "ActionsEnabled"),
    Prop("AlarmActions", "AlarmActions", "set"),
    Prop("OKActions", "OKActions", "set"),
    Prop("InsufficientDataActions", "InsufficientDataActions", "set"),
)
def _alarm_view(c: Clients, pid: str) -> dict[str, Any]:
    items = c("cloudwatch").describe_alarms(AlarmNames=[pid])["MetricAlarms"]
    result: dict[str, Any] = _one(items, "alarm", pid)
    return result


@reads_back(
    "AWS::IAM::Role",
    _CFN + "aws-resource-iam-role.html",
    Prop("ManagedPolicyArns", "AttachedPolicyArns", "set"),
    Prop("PermissionsBoundary", "PermissionsBoundary.PermissionsBoundaryArn"),
)
def _role_view(c: Clients, pid: str) -> dict[str, Any]:
    role = dict(c("iam").get_role(RoleName=pid)["Role"])
    pages = c("iam").get_paginator("list_attached_role_policies").paginate(RoleName=pid)
    role["AttachedPolicyArns"] = [p["PolicyArn"] for page in pages for p in page["AttachedPolicies"]]
    return role


# -- Fn::GetAtt of the attributes declared values use, read from the resource's own service --------
# (a `Ref` is the physical ID itself; an `Arn` attribute of a resource whose physical ID is an ARN
# is that ARN, so only the others need a reader here)
def _key_arn(c: Clients, pid: str) -> str:
    result: str = c("kms").describe_key(KeyId=pid)["KeyMetadata"]["Arn"]
    return result


def _web_acl_arn(c: Clients, pid: str) -> str:
    result: str = _web_acl_view(c, pid)["ARN"]
    return result


ATTRIBUTES: dict[tuple[str, str], Callable[[Clients, str], str]] = {
    ("AWS::KMS::Key", "Arn"): _key_arn,
    ("AWS::KMS::Key", "KeyId"): lambda c, pid: pid,
    ("AWS::WAFv2::WebACL", "Arn"): _web_acl_arn,
    ("AWS::WAFv2::WebACL", "Id"): lambda c, pid: pid.split("|")[1],
    ("AWS::SQS::Queue", "Arn"): lambda c, pid: _queue_view(c, pid)["QueueArn"],
    ("AWS::SQS::Queue", "QueueName"): lambda c, pid: pid.rsplit("/", 1)[-1],
    ("AWS::SNS::Topic", "TopicArn"): lambda c, pid: pid,
    ("AWS::Logs::LogGroup", "Arn"): lambda c, pid: _log_group_view(c, pid)["arn"],
    ("AWS::IAM::Role", "Arn"): lambda c, pid: c("iam").get_role(RoleName=pid)["Role"]["Arn"],
    ("AWS::Lambda::Function", "Arn"): lambda c, pid: _function_view(c, pid)["FunctionArn"],
    ("AWS::EC2::SecurityGroup", "GroupId"): lambda c, pid: pid,
    ("AWS::EC2::VPC", "CidrBlock"): lambda c, pid: c("ec2").describe_vpcs(VpcIds=[pid])["Vpcs"][0][
        "CidrBlock"
    ],
    ("AWS::ServiceDiscovery::Service", "Arn"): lambda c, pid: c("servicediscovery").get_service(Id=pid)[
        "Service"
    ]["Arn"],
    ("AWS::DynamoDB::Table", "Arn"): lambda c, pid: c("dynamodb").describe_table(TableName=pid)["Table"][
        "TableArn"
    ],
    ("AWS::DynamoDB::Table", "StreamArn"): lambda c, pid: (
        c("dynamodb").describe_table(TableName=pid)["Table"].get("LatestStreamArn")
    ),
}
