"""Each project check passes a small sound template and catches the one thing broken on purpose."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from payinfra.gates import project_checks
from payinfra.gates.model import PROJECT

pytestmark = pytest.mark.gates

KEY = {"Fn::GetAtt": ["Key", "Arn"]}
PEER_KEY = "arn:aws:kms:us-east-2:111122223333:key/peer"
DELETE = {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}


def sound() -> dict[str, Any]:
    """A small template every project check accepts: the shape of the regional stack in miniature."""
    ref = lambda name: {"Ref": name}  # noqa: E731
    return {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Igw": {"Type": "AWS::EC2::InternetGateway"},
            "PublicSubnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc")}},
            "PrivateSubnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": ref("Vpc")}},
            "PublicTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
            "PrivateTable": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": ref("Vpc")}},
            "PublicRoute": {"Type": "AWS::EC2::Route", "Properties": {
                "RouteTableId": ref("PublicTable"), "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": ref("Igw")}},
            "PublicAssoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                "SubnetId": ref("PublicSubnet"), "RouteTableId": ref("PublicTable")}},
            "PrivateAssoc": {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
                "SubnetId": ref("PrivateSubnet"), "RouteTableId": ref("PrivateTable")}},
            "FlowLog": {"Type": "AWS::EC2::FlowLog", "Properties": {
                "ResourceId": ref("Vpc"), "ResourceType": "VPC", "TrafficType": "ALL"}},
            "Key": {"Type": "AWS::KMS::Key", **DELETE},
            "DbSubnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {
                "SubnetIds": [ref("PrivateSubnet")]}},
            "Database": {"Type": "AWS::RDS::DBInstance", **DELETE, "Properties": {
                "DBSubnetGroupName": ref("DbSubnets"), "PubliclyAccessible": False,
                "StorageEncrypted": True, "KmsKeyId": KEY, "DeletionProtection": False}},
            "Alb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                "Subnets": [ref("PublicSubnet")],
                "LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "false"}]}},
            "WebAcl": {"Type": "AWS::WAFv2::WebACL"},
            "WebAclAssociation": {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {
                "ResourceArn": ref("Alb"), "WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]}}},
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {
                "TracingConfig": {"Mode": "Active"}}},
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": ref("Key")}},
            "Queue": {"Type": "AWS::SQS::Queue", **DELETE, "Properties": {"KmsMasterKeyId": ref("Key")}},
            "Table": {"Type": "AWS::DynamoDB::Table", **DELETE, "Properties": {
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY}}},
            "Global": {"Type": "AWS::DynamoDB::GlobalTable", **DELETE, "Properties": {
                "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
                "Replicas": [
                    {"Region": "us-east-1", "SSESpecification": {"KMSMasterKeyId": KEY}},
                    {"Region": "us-east-2", "SSESpecification": {"KMSMasterKeyId": PEER_KEY}},
                ]}},
            "Bucket": {"Type": "AWS::S3::Bucket", **DELETE, "Properties": {"BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY}}]}}},
            "Logs": {"Type": "AWS::Logs::LogGroup", **DELETE, "Properties": {"KmsKeyId": KEY}},
        }
    }


def found(template: dict[str, Any], rule: str) -> list[tuple[str, str]]:
    return [(f.resource, f.message) for f in project_checks.run_all(template) if f.rule == rule]


def test_the_sound_template_passes_every_check() -> None:
    assert project_checks.run_all(sound()) == []


def test_every_check_is_registered_with_a_unique_id() -> None:
    rules = [c.rule for c in project_checks.CHECKS]
    assert len(rules) == len(set(rules)) == 7
    assert all(rule.startswith("PRJ.") for rule in rules)


Breakage = Callable[[dict[str, Any]], None]


def props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return template["Resources"][logical_id].setdefault("Properties", {})


BROKEN: list[tuple[str, str, str, Breakage]] = [
    # (rule, resource expected, words expected in the message, how to break the sound template)
    ("PRJ.RDS.PRIVATE_SUBNETS", "Database", "PublicSubnet",
     lambda t: props(t, "DbSubnets")["SubnetIds"].append({"Ref": "PublicSubnet"})),
    ("PRJ.RDS.PRIVATE_SUBNETS", "Database", "PrivateSubnet",  # a subnet that maps public IPs
     lambda t: props(t, "PrivateSubnet").update(MapPublicIpOnLaunch=True)),
    ("PRJ.RDS.PRIVATE_SUBNETS", "Database", "PubliclyAccessible",
     lambda t: props(t, "Database").update(PubliclyAccessible="true")),
    ("PRJ.RDS.PRIVATE_SUBNETS", "Database", "default VPC",
     lambda t: props(t, "Database").pop("DBSubnetGroupName")),
    ("PRJ.WAF.ALB_ASSOCIATED", "Alb", "WebACLAssociation",
     lambda t: t["Resources"].pop("WebAclAssociation")),
    ("PRJ.VPC.FLOW_LOGS", "Vpc", "FlowLog",
     lambda t: t["Resources"].pop("FlowLog")),
    ("PRJ.VPC.FLOW_LOGS", "Vpc", "ALL",
     lambda t: props(t, "FlowLog").update(TrafficType="REJECT")),
    ("PRJ.LAMBDA.TRACING", "Function", "PassThrough",
     lambda t: props(t, "Function").update(TracingConfig={"Mode": "PassThrough"})),
    ("PRJ.LAMBDA.TRACING", "Function", "unset",
     lambda t: props(t, "Function").pop("TracingConfig")),
    ("PRJ.KMS.CMK", "Topic", "alias/aws/sns",
     lambda t: props(t, "Topic").update(KmsMasterKeyId="alias/aws/sns")),
    ("PRJ.KMS.CMK", "Queue", "alias/aws/sqs",
     lambda t: props(t, "Queue").update(KmsMasterKeyId="arn:aws:kms:us-east-1:1:alias/aws/sqs")),
    ("PRJ.KMS.CMK", "Queue", "SqsManagedSseEnabled",
     lambda t: props(t, "Queue").update(KmsMasterKeyId=None, SqsManagedSseEnabled=True)),
    ("PRJ.KMS.CMK", "Table", "KMSMasterKeyId",
     lambda t: props(t, "Table")["SSESpecification"].pop("KMSMasterKeyId")),
    ("PRJ.KMS.CMK", "Global", "us-east-2",
     lambda t: props(t, "Global")["Replicas"][1].pop("SSESpecification")),
    ("PRJ.KMS.CMK", "Bucket", "KMSMasterKeyID",  # aws:kms without a key id = aws/s3
     lambda t: props(t, "Bucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
         "ServerSideEncryptionByDefault"].pop("KMSMasterKeyID")),
    ("PRJ.KMS.CMK", "Database", "KmsKeyId",
     lambda t: props(t, "Database").pop("KmsKeyId")),
    ("PRJ.DELETE.POLICY", "Database", "Snapshot",
     lambda t: t["Resources"]["Database"].update(DeletionPolicy="Snapshot")),
    ("PRJ.DELETE.POLICY", "Bucket", "Retain",
     lambda t: t["Resources"]["Bucket"].update(UpdateReplacePolicy="Retain")),
    ("PRJ.DELETE.POLICY", "Table", "unset",  # a stateful resource relying on the default
     lambda t: t["Resources"]["Table"].pop("DeletionPolicy")),
    ("PRJ.DELETE.POLICY", "Topic", "Retain",  # any resource, not only stateful ones
     lambda t: t["Resources"]["Topic"].update(DeletionPolicy="Retain")),
    ("PRJ.DELETE.PROTECTION", "Database", "DeletionProtection",
     lambda t: props(t, "Database").update(DeletionProtection=True)),
    ("PRJ.DELETE.PROTECTION", "Alb", "deletion_protection.enabled",
     lambda t: props(t, "Alb")["LoadBalancerAttributes"][0].update(Value="true")),
    ("PRJ.DELETE.PROTECTION", "Table", "DeletionProtectionEnabled",
     lambda t: props(t, "Table").update(DeletionProtectionEnabled=True)),
]


@pytest.mark.parametrize(("rule", "resource", "words", "breakage"), BROKEN,
                         ids=[f"{r}-{res}-{w}" for r, res, w, _ in BROKEN])
def test_check_catches_its_broken_template(rule: str, resource: str, words: str, breakage: Breakage) -> None:
    template = copy.deepcopy(sound())
    breakage(template)
    findings = project_checks.run_all(template)
    assert {(f.rule, f.resource) for f in findings} == {(rule, resource)}, findings
    assert all(f.tool == PROJECT for f in findings)
    assert any(words in f.message for f in findings), findings


def test_values_the_template_cannot_know_are_not_judged() -> None:
    template = sound()
    props(template, "DbSubnets")["SubnetIds"] = {"Ref": "SubnetIdsParameter"}
    props(template, "Topic")["KmsMasterKeyId"] = {"Ref": "KeyArnParameter"}
    assert project_checks.run_all(template) == []


def test_an_internal_alb_needs_no_waf() -> None:
    template = sound()
    template["Resources"].pop("WebAclAssociation")
    props(template, "Alb")["Scheme"] = "internal"
    assert found(template, "PRJ.WAF.ALB_ASSOCIATED") == []


# --- the same checks on the real regional template (logical ids from templates/README.md) -----


@pytest.fixture(scope="module")
def primary_expanded() -> dict[str, Any]:
    from payinfra.cfn import load_cfn_yaml
    from payinfra.config import load_context
    from payinfra.gates.expand import expand
    from payinfra.render.renderer import render_all

    return expand(load_cfn_yaml(render_all(load_context())["template.primary.yaml"]), "us-east-1")


REAL_BREAKAGES: list[tuple[str, str, Breakage]] = [
    ("PRJ.WAF.ALB_ASSOCIATED", "LoadBalancer", lambda t: t["Resources"].pop("WebAclAssociation")),
    ("PRJ.VPC.FLOW_LOGS", "Vpc", lambda t: [t["Resources"].pop(lid) for lid, r in list(
        t["Resources"].items()) if r["Type"] == "AWS::EC2::FlowLog"]),
    ("PRJ.LAMBDA.TRACING", "PaymentFunction", lambda t: props(t, "PaymentFunction").pop("TracingConfig")),
    ("PRJ.RDS.PRIVATE_SUBNETS", "Database",
     lambda t: props(t, "DatabaseSubnetGroup")["SubnetIds"].append({"Ref": "PublicSubnet1"})),
    ("PRJ.DELETE.POLICY", "Database", lambda t: t["Resources"]["Database"].update(DeletionPolicy="Snapshot")),
    ("PRJ.KMS.CMK", "AlarmTopic", lambda t: props(t, "AlarmTopic").update(KmsMasterKeyId="alias/aws/sns")),
]


def test_the_rendered_primary_template_passes_every_check(primary_expanded: dict[str, Any]) -> None:
    assert project_checks.run_all(primary_expanded) == []


@pytest.mark.parametrize(
    ("rule", "resource", "breakage"), REAL_BREAKAGES, ids=[rule for rule, _, _ in REAL_BREAKAGES]
)
def test_check_catches_the_break_in_the_rendered_template(
    primary_expanded: dict[str, Any], rule: str, resource: str, breakage: Breakage
) -> None:
    template = copy.deepcopy(primary_expanded)
    breakage(template)
    assert {(f.rule, f.resource) for f in project_checks.run_all(template)} == {(rule, resource)}


# --- production protection: the same checks flip their expectation in a protected template -----

KEEP = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def protected_sound() -> dict[str, Any]:
    """The sound template as a protected environment renders it: data kept, protection on."""
    template = sound()
    template["Metadata"] = {"Environment": {"name": "prod", "protected": True}}
    for resource in template["Resources"].values():
        if resource.get("DeletionPolicy") == "Delete":
            resource.update(KEEP)
    props(template, "Database")["DeletionProtection"] = True
    props(template, "Table")["DeletionProtectionEnabled"] = True
    props(template, "Global")["DeletionProtectionEnabled"] = True
    props(template, "Alb")["LoadBalancerAttributes"][0]["Value"] = "true"
    return template


def test_the_protected_sound_template_passes_every_check() -> None:
    assert project_checks.run_all(protected_sound()) == []


def test_a_development_template_with_protection_fails() -> None:
    template = protected_sound()
    template["Metadata"]["Environment"]["protected"] = False
    rules = {f.rule for f in project_checks.run_all(template)}
    assert rules == {"PRJ.DELETE.POLICY", "PRJ.DELETE.PROTECTION"}


PROTECTED_BROKEN: list[tuple[str, str, str, Breakage]] = [
    ("PRJ.DELETE.POLICY", "Database", "DeletionPolicy: Delete",
     lambda t: t["Resources"]["Database"].update(DeletionPolicy="Delete")),
    ("PRJ.DELETE.POLICY", "Bucket", "UpdateReplacePolicy: unset",
     lambda t: t["Resources"]["Bucket"].pop("UpdateReplacePolicy")),
    ("PRJ.DELETE.PROTECTION", "Database", "DeletionProtection is off",
     lambda t: props(t, "Database").update(DeletionProtection=False)),
    ("PRJ.DELETE.PROTECTION", "Table", "DeletionProtectionEnabled is off",
     lambda t: props(t, "Table").pop("DeletionProtectionEnabled")),
    ("PRJ.DELETE.PROTECTION", "Alb", "deletion_protection.enabled is off",
     lambda t: props(t, "Alb")["LoadBalancerAttributes"][0].update(Value="false")),
]


@pytest.mark.parametrize(("rule", "resource", "words", "breakage"), PROTECTED_BROKEN,
                         ids=[f"{r}-{res}" for r, res, _, _ in PROTECTED_BROKEN])
def test_protected_check_catches_data_left_unprotected(
    rule: str, resource: str, words: str, breakage: Breakage
) -> None:
    template = protected_sound()
    breakage(template)
    findings = project_checks.run_all(template)
    assert {(f.rule, f.resource) for f in findings} == {(rule, resource)}, findings
    assert any(words in f.message for f in findings), findings
