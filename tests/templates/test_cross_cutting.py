"""Rules that hold for every resource of both regional templates and the peering template.

The set of taggable types comes from cfn-lint's CloudFormation schemas, so a new resource type
is covered without editing this file.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from tests.templates.conftest import Template

REQUIRED_TAGS = {"Environment", "Region", "CostCenter"}
# Properties that set a resource's physical name, per type (explicit names must carry the suffix).
NAME_PROPERTIES = (
    "BucketName", "TableName", "FunctionName", "QueueName", "TopicName", "RoleName",
    "LogGroupName", "DBInstanceIdentifier", "DBSubnetGroupName", "AliasName", "ClusterName",
    "ServiceName", "Name", "DashboardName", "AlarmName",
)


def _all_templates(primary: Template, secondary: Template, peering: Template) -> list[tuple[str, Template]]:
    return [("primary", primary), ("secondary", secondary), ("peering", peering)]


def _tags_property(type_name: str) -> str | None:
    """'array', 'object' or None when the type has no Tags property (per the CFN schema)."""
    if type_name == "AWS::Serverless::Function":
        return "object"
    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", type_name).schema
    except Exception:
        return None
    tags = schema.get("properties", {}).get("Tags")
    if not tags:
        return None
    return tags.get("type", "array")


def _tag_keys(value: Any) -> set[str]:
    if isinstance(value, list):
        return {t["Key"] for t in value if isinstance(t, dict) and "Key" in t}
    if isinstance(value, dict):
        return set(value)
    return set()


def test_every_taggable_resource_carries_environment_region_costcenter(
    primary: Template, secondary: Template, peering: Template
) -> None:
    missing = []
    for label, template in _all_templates(primary, secondary, peering):
        for logical_id, resource in template["Resources"].items():
            kind = _tags_property(resource["Type"])
            if kind is None:
                continue
            tags = resource.get("Properties", {}).get("Tags")
            if resource["Type"] == "AWS::Serverless::Function":  # Globals.Function.Tags applies
                tags = {**template.get("Globals", {}).get("Function", {}).get("Tags", {}), **(tags or {})}
            if not _tag_keys(tags) >= REQUIRED_TAGS:
                missing.append(f"{label}:{logical_id} ({resource['Type']})")
    assert missing == []


def _mentions_suffix(value: Any) -> bool:
    return "${EnvironmentSuffix}" in json.dumps(value) or "EnvironmentSuffix" in json.dumps(value)


def test_every_explicit_name_carries_the_environment_suffix(
    primary: Template, secondary: Template, peering: Template
) -> None:
    offenders = []
    for label, template in _all_templates(primary, secondary, peering):
        for logical_id, resource in template["Resources"].items():
            props = resource.get("Properties", {})
            for key in NAME_PROPERTIES:
                value = props.get(key)
                if isinstance(value, dict) and ("Ref" in value or "Fn::GetAtt" in value):
                    continue  # a reference to a named resource, not a name
                if key in props and not _mentions_suffix(value):
                    # `Name` on SSM parameters is the path: it carries the suffix too.
                    offenders.append(f"{label}:{logical_id}.{key}={props[key]!r}")
    assert offenders == []


def test_nothing_is_retained_or_snapshotted(
    primary: Template, secondary: Template, peering: Template
) -> None:
    offenders = [
        f"{label}:{logical_id}"
        for label, template in _all_templates(primary, secondary, peering)
        for logical_id, resource in template["Resources"].items()
        for policy in ("DeletionPolicy", "UpdateReplacePolicy")
        if resource.get(policy, "Delete") != "Delete"
    ]
    assert offenders == []


STATEFUL = ("AWS::RDS::DBInstance", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::KMS::Key",
            "AWS::Logs::LogGroup", "AWS::SQS::Queue")


@pytest.mark.parametrize("type_name", STATEFUL)
def test_stateful_resources_say_delete_explicitly(regional: Template, type_name: str) -> None:
    for logical_id, resource in regional["Resources"].items():
        if resource["Type"] == type_name:
            assert resource.get("DeletionPolicy") == "Delete", logical_id


def test_no_deletion_protection_anywhere(primary: Template, secondary: Template) -> None:
    text = json.dumps([primary, secondary])
    assert '"DeletionProtection": true' not in text
    assert '"DeletionProtectionEnabled": true' not in text
    assert '"deletion_protection.enabled", "Value": "true"' not in text


def test_kms_keys_rotate_with_a_seven_day_window(regional: Template) -> None:
    keys = [r for r in regional["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert len(keys) == 1
    assert keys[0]["Properties"]["EnableKeyRotation"] is True
    assert keys[0]["Properties"]["PendingWindowInDays"] == 7


def test_no_iam_statement_allows_every_action(primary: Template, secondary: Template) -> None:
    offenders = []
    for label, template in (("primary", primary), ("secondary", secondary)):
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] not in ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                continue
            for statement in _statements(resource["Properties"]):
                actions = statement.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                if statement.get("Effect") == "Allow" and any(a == "*" or a.endswith(":*") for a in actions):
                    offenders.append(f"{label}:{logical_id}: {actions}")
    assert offenders == []


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
    if "PolicyDocument" in props:
        docs.append(props["PolicyDocument"])
    return [s for d in docs for s in d.get("Statement", [])]


# --- Limits and key policy found by the resource-type review ---

# https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-nacls
NACL_RULES_PER_DIRECTION = 20
# https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html#tag-conventions
MAX_TAGS, MAX_TAG_KEY, MAX_TAG_VALUE = 50, 128, 256
# EC2 security group and rule descriptions (VPC): up to 255 of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
SG_DESCRIPTION_CHARS = set(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*"
)


def test_network_acls_stay_within_the_default_rule_quota_per_direction(regional: Template) -> None:
    """AWS refuses a 21st inbound (or outbound) rule on an ACL unless the quota was raised."""
    counts: dict[tuple[str, bool], int] = {}
    for resource in regional["Resources"].values():
        if resource["Type"] == "AWS::EC2::NetworkAclEntry":
            p = resource["Properties"]
            key = (json.dumps(p["NetworkAclId"]), p["Egress"] in (True, "true"))
            counts[key] = counts.get(key, 0) + 1
    assert counts, "no ACL entries rendered"
    assert max(counts.values()) <= NACL_RULES_PER_DIRECTION, counts


def test_tags_stay_within_aws_tag_limits(primary: Template, secondary: Template, peering: Template) -> None:
    offenders = []
    for label, template in _all_templates(primary, secondary, peering):
        for logical_id, resource in template["Resources"].items():
            tags = resource.get("Properties", {}).get("Tags")
            if tags is None:
                continue
            pairs = (
                [(t["Key"], t["Value"]) for t in tags]
                if isinstance(tags, list) else list(tags.items())
            )
            if len(pairs) > MAX_TAGS:
                offenders.append(f"{label}:{logical_id}: {len(pairs)} tags")
            for key, value in pairs:
                if len(key) > MAX_TAG_KEY or (isinstance(value, str) and len(value) > MAX_TAG_VALUE):
                    offenders.append(f"{label}:{logical_id}: tag {key}")
    assert offenders == []


def test_security_group_descriptions_use_only_characters_ec2_accepts(regional: Template) -> None:
    offenders = []
    for logical_id, resource in regional["Resources"].items():
        if not resource["Type"].startswith("AWS::EC2::SecurityGroup"):
            continue
        p = resource["Properties"]
        rules = p.get("SecurityGroupIngress", []) + p.get("SecurityGroupEgress", [])
        for text in [p.get("GroupDescription"), p.get("Description")] + [r.get("Description") for r in rules]:
            if text is None:
                continue
            if not isinstance(text, str) or len(text) > 255 or set(text) - SG_DESCRIPTION_CHARS:
                offenders.append(f"{logical_id}: {text!r}")
    assert offenders == []


def _key_policy(template: Template) -> list[dict[str, Any]]:
    [key] = [r for r in template["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    return key["Properties"]["KeyPolicy"]["Statement"]


def _service_principals(statement: dict[str, Any]) -> list[Any]:
    principal = statement.get("Principal")
    service = principal.get("Service", []) if isinstance(principal, dict) else []
    return service if isinstance(service, list) else [service]


def test_key_policy_grants_only_the_service_principals_that_use_the_key(regional: Template) -> None:
    """CloudWatch Logs (encrypted log groups) and CloudWatch (alarms publishing to the encrypted
    topic); nothing for EventBridge, which has no rule targeting the topic."""
    principals = [p for s in _key_policy(regional) for p in _service_principals(s)]
    assert principals == [{"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}, "cloudwatch.amazonaws.com"]


def test_key_policy_lets_cloudwatch_alarms_publish_to_the_encrypted_topic(regional: Template) -> None:
    """https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services"""
    [statement] = [s for s in _key_policy(regional) if "cloudwatch.amazonaws.com" in _service_principals(s)]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_key_policy_scopes_cloudwatch_logs_by_the_log_group_encryption_context(regional: Template) -> None:
    """https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"""
    [statement] = [
        s for s in _key_policy(regional)
        if {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"} in _service_principals(s)
    ]
    context = statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context == {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}
