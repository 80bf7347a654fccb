"""The inventory's tables: every service's describe-checkers, read-backs and attribute readers.

Each service keeps how its resources are described in its own folder, beside its fixes and rules:
`services/<service>/checkers.py` (CloudFormation's own types: `cloudformation/checkers.py`),
written with `localaws.describing`. This module imports each of them by name and merges their
registrations into the three tables `localaws.inventory` reads:
- `CHECKERS`: resource type -> describe-checker (a type without one is reported as unchecked by
  the inventory, never as fine);
- `READBACKS`: resource type -> how its declared security-relevant properties are read back;
- `ATTRIBUTES`: (resource type, attribute) -> the `Fn::GetAtt` value, read from its own service.

`SERVICES` is in alphabetical order of the folders. The order changes nothing: every type belongs
to one service, and a type two services register stops the import (`DuplicateRegistration`).
A new service's checkers module is added to `SERVICES` by hand (a test compares the list with
the folders).

The physical IDs follow CloudFormation's `Ref` where CloudFormation has one; for the few types
AWS gives no ID of their own, the emulator's models document the ID they report (e.g. a network
ACL entry is `<acl-id>:<ingress|egress>:<rule>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from .cloudformation import checkers as cloudformation
from .describing import AttributeReader, Checker, Readback, ServiceCheckers
from .services.awslambda import checkers as awslambda
from .services.backup import checkers as backup
from .services.cloudwatch import checkers as cloudwatch
from .services.dynamodb import checkers as dynamodb
from .services.ec2 import checkers as ec2
from .services.ecs import checkers as ecs
from .services.elbv2 import checkers as elbv2
from .services.iam import checkers as iam
from .services.kms import checkers as kms
from .services.logs import checkers as logs
from .services.rds import checkers as rds
from .services.route53 import checkers as route53
from .services.s3 import checkers as s3
from .services.secretsmanager import checkers as secretsmanager
from .services.servicediscovery import checkers as servicediscovery
from .services.sns import checkers as sns
from .services.sqs import checkers as sqs
from .services.ssm import checkers as ssm
from .services.stepfunctions import checkers as stepfunctions
from .services.wafv2 import checkers as wafv2

__all__ = [
    "ATTRIBUTES",
    "CHECKERS",
    "READBACKS",
    "SERVICES",
    "DuplicateRegistration",
    "merge",
]

SERVICES: tuple[ServiceCheckers, ...] = (
    awslambda.SERVICE,
    backup.SERVICE,
    cloudformation.SERVICE,
    cloudwatch.SERVICE,
    dynamodb.SERVICE,
    ec2.SERVICE,
    ecs.SERVICE,
    elbv2.SERVICE,
    iam.SERVICE,
    kms.SERVICE,
    logs.SERVICE,
    rds.SERVICE,
    route53.SERVICE,
    s3.SERVICE,
    secretsmanager.SERVICE,
    servicediscovery.SERVICE,
    sns.SERVICE,
    sqs.SERVICE,
    ssm.SERVICE,
    stepfunctions.SERVICE,
    wafv2.SERVICE,
)


class DuplicateRegistration(Exception):
    """Two services registered the same resource type (or attribute): which one applies is unclear."""


K = TypeVar("K")
V = TypeVar("V")


def merge(tables: Iterable[tuple[str, Mapping[K, V]]]) -> dict[K, V]:
    """One table from each service's (service, table); a key two services hold is refused."""
    merged: dict[K, V] = {}
    owner: dict[K, str] = {}
    for service, table in tables:
        for key, value in table.items():
            if key in merged:
                raise DuplicateRegistration(f"{key} is registered by both {owner[key]} and {service}")
            merged[key], owner[key] = value, service
    return merged


CHECKERS: dict[str, Checker] = merge((s.service, s.checkers) for s in SERVICES)
READBACKS: dict[str, Readback] = merge((s.service, s.readbacks) for s in SERVICES)
ATTRIBUTES: dict[tuple[str, str], AttributeReader] = merge((s.service, s.attributes) for s in SERVICES)
