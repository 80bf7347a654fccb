"""The checkers registry: each service's describe code sits in its own folder, and the registry
holds every one of them, each type once."""

from __future__ import annotations

from pathlib import Path

import pytest

from localaws import checkers
from localaws.checkers import ATTRIBUTES, CHECKERS, READBACKS, SERVICES, DuplicateRegistration, merge
from localaws.describing import ServiceCheckers

PACKAGE = Path(checkers.__file__).parent
# The CloudFormation namespace of each folder's resource types (folders are moto's service names).
NAMESPACES = {
    "awslambda": "AWS::Lambda::",
    "backup": "AWS::Backup::",
    "cloudformation": "AWS::CloudFormation::",
    "cloudwatch": "AWS::CloudWatch::",
    "dynamodb": "AWS::DynamoDB::",
    "ec2": "AWS::EC2::",
    "ecs": "AWS::ECS::",
    "elbv2": "AWS::ElasticLoadBalancingV2::",
    "iam": "AWS::IAM::",
    "kms": "AWS::KMS::",
    "logs": "AWS::Logs::",
    "rds": "AWS::RDS::",
    "route53": "AWS::Route53::",
    "s3": "AWS::S3::",
    "secretsmanager": "AWS::SecretsManager::",
    "servicediscovery": "AWS::ServiceDiscovery::",
    "sns": "AWS::SNS::",
    "sqs": "AWS::SQS::",
    "ssm": "AWS::SSM::",
    "stepfunctions": "AWS::StepFunctions::",
    "wafv2": "AWS::WAFv2::",
}


def test_every_checkers_module_on_disk_is_in_the_registry() -> None:
    """No import magic: a module added to a folder but not to `SERVICES` would never be used."""
    on_disk = {p.parent.name for p in PACKAGE.glob("services/*/checkers.py")}
    on_disk |= {p.parent.name for p in PACKAGE.glob("cloudformation/checkers.py")}
    assert [s.service for s in SERVICES] == sorted(on_disk)


def test_each_service_registers_only_its_own_types() -> None:
    for service in SERVICES:
        prefix = NAMESPACES[service.service]
        types = {*service.checkers, *service.readbacks, *(t for t, _ in service.attributes)}
        assert types, f"{service.service} registers nothing"
        assert sorted(t for t in types if not t.startswith(prefix)) == [], service.service


def test_the_tables_are_the_union_of_the_services() -> None:
    assert sum(len(s.checkers) for s in SERVICES) == len(CHECKERS) == 62
    assert sum(len(s.readbacks) for s in SERVICES) == len(READBACKS) == 24
    assert sum(len(s.attributes) for s in SERVICES) == len(ATTRIBUTES) == 15
    ec2 = next(s for s in SERVICES if s.service == "ec2")
    assert CHECKERS["AWS::EC2::VPC"] is ec2.checkers["AWS::EC2::VPC"]


def test_a_type_two_services_register_is_refused() -> None:
    first, second = ServiceCheckers("one"), ServiceCheckers("two")
    for service in (first, second):
        service.describes("AWS::EC2::VPC")(lambda c, pid: pid)
    with pytest.raises(DuplicateRegistration, match=r"AWS::EC2::VPC is registered by both one and two"):
        merge((s.service, s.checkers) for s in (first, second))
