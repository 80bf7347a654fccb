"""Every moto name localaws uses, in one place: a moto upgrade is this file to review.

localaws patches moto's internals (backends, CloudFormation models, response classes), which
moto may change in any release. No other module of the package imports moto: they import these
names from here (`tests/localaws/test_moto_boundary.py` keeps it so). The version check runs
before any of them is imported, so another moto fails with instructions, not with a patch that
silently no longer applies. To upgrade moto: bump `PINNED_MOTO_VERSION`, fix what no longer
imports here, then run tests/localaws, which show which fix or rule no longer holds.
"""

# ruff: noqa: E402 - the moto imports come after the version check, on purpose

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING, Any

PINNED_MOTO_VERSION = "5.2.5"


class MotoVersionError(RuntimeError):
    """The installed moto is not the version the fixes and rules were written and tested against."""


def _check_moto_version() -> None:
    installed = version("moto")
    if installed != PINNED_MOTO_VERSION:
        raise MotoVersionError(
            f"localaws patches moto internals and supports moto=={PINNED_MOTO_VERSION} only; "
            f"moto {installed} is installed. Install the pinned version "
            f"(pip install 'moto[server]=={PINNED_MOTO_VERSION}') or port localaws/_moto.py and "
            "re-test the fixes and rules."
        )


_check_moto_version()

# Imported only after the version check; sorted by moto module.
from moto import mock_aws
from moto.awslambda.exceptions import (
    InvalidParameterValueException,
    UnknownAliasException,
    UnknownFunctionException,
)
from moto.awslambda.models import EventSourceMapping, LambdaBackend, LambdaFunction, lambda_backends
from moto.backends import get_backend
from moto.backup.models import backup_backends
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation import utils as cfn_utils
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.models import (
    Change,
    ChangeSet,
    CloudFormationBackend,
    Stack,
    cloudformation_backends,
)
from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.base_backend import BackendDict, backend_lock
from moto.core.common_models import CloudFormationModel
from moto.core.common_types import TYPE_RESPONSE
from moto.core.exceptions import JsonRESTError
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_service_model, pascal_to_camelcase, remap_nested_keys
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.ec2.exceptions import OperationNotPermitted
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_ip_addresses import ElasticAddress
from moto.ec2.models.flow_logs import FlowLogs
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.subnets import Subnet
from moto.ec2.models.vpc_peering_connections import VPCPeeringConnection, VPCPeeringConnectionBackend
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
from moto.ecs.models import Cluster, Service, TaskDefinition, ecs_backends
from moto.elbv2.exceptions import InvalidConfigurationRequest
from moto.elbv2.models import (
    ELBv2Backend,
    FakeListener,
    FakeListenerRule,
    FakeLoadBalancer,
    FakeTargetGroup,
    elbv2_backends,
)
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, Role, iam_backends
from moto.kms.models import Key, KmsBackend, kms_backends
from moto.kms.responses import KmsResponse
from moto.logs.models import LogGroup
from moto.rds.exceptions import RDSClientError
from moto.rds.models import DBInstance, DBSubnetGroup, RDSBackend, rds_backends
from moto.route53.exceptions import Route53ClientError
from moto.route53.models import RecordSet, Route53Backend, route53_backends
from moto.s3.exceptions import (
    BucketNotEmpty,
    MissingBucket,
    ReplicationConfigurationNotFoundError,
    S3ClientError,
)
from moto.s3.models import FakeBucket, S3Backend, s3_backends
from moto.s3.responses import S3Response
from moto.secretsmanager.models import FakeSecret, ReplicaSecret, secretsmanager_backends
from moto.servicediscovery.models import ServiceDiscoveryBackend, servicediscovery_backends
from moto.sns.exceptions import SNSInvalidParameter, SNSNotFoundError
from moto.sns.models import SNSBackend, Subscription, sns_backends
from moto.sns.responses import SNSResponse
from moto.sqs.models import Queue, sqs_backends
from moto.ssm.models import Parameter
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition
from moto.wafv2.exceptions import WAFNonexistentItemException
from moto.wafv2.models import WAFV2Backend, wafv2_backends
from moto.wafv2.responses import WAFV2Response

if TYPE_CHECKING:
    # the alias is the explicit re-export mypy needs for a name imported only when type checking
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer as ThreadedMotoServer  # noqa: PLC0414


def threaded_moto_server() -> type[ThreadedMotoServer]:
    """moto's server class, imported when a server starts (it pulls in Flask and Werkzeug)."""
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer

    return ThreadedMotoServer


def domain_dispatcher_application() -> type[Any]:
    """The WSGI application moto's server serves (every request goes through its `__call__`);
    imported on use, like `threaded_moto_server`, because it pulls in Flask."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    return DomainDispatcherApplication


__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "PINNED_MOTO_VERSION",
    "TYPE_RESPONSE",
    "AWSManagedPolicy",
    "ActionResult",
    "BackendDict",
    "BaseResponse",
    "BucketNotEmpty",
    "Change",
    "ChangeSet",
    "CloudFormationBackend",
    "CloudFormationModel",
    "Cluster",
    "DBInstance",
    "DBSubnetGroup",
    "Dimension",
    "DynamoDBBackend",
    "DynamoHandler",
    "ELBv2Backend",
    "ElasticAddress",
    "EventSourceMapping",
    "FakeBucket",
    "FakeListener",
    "FakeListenerRule",
    "FakeLoadBalancer",
    "FakeSecret",
    "FakeTargetGroup",
    "FlowLogs",
    "IAMPolicy",
    "InternetGateway",
    "InvalidConfigurationRequest",
    "InvalidParameterValueException",
    "JsonRESTError",
    "Key",
    "KmsBackend",
    "KmsResponse",
    "LambdaBackend",
    "LambdaFunction",
    "LogGroup",
    "Metric",
    "MetricDataQuery",
    "MetricStat",
    "MissingBucket",
    "MockValidationException",
    "MotoVersionError",
    "NatGateway",
    "OperationNotPermitted",
    "Parameter",
    "PermissionResult",
    "Queue",
    "RDSBackend",
    "RDSClientError",
    "RecordSet",
    "ReplicaSecret",
    "ReplicationConfigurationNotFoundError",
    "Role",
    "Route",
    "Route53Backend",
    "Route53ClientError",
    "RouteTable",
    "S3Backend",
    "S3ClientError",
    "S3Response",
    "SNSBackend",
    "SNSInvalidParameter",
    "SNSNotFoundError",
    "SNSResponse",
    "Service",
    "ServiceDiscoveryBackend",
    "Stack",
    "Subnet",
    "Subscription",
    "Table",
    "TaskDefinition",
    "UnformattedGetAttTemplateException",
    "UnknownAliasException",
    "UnknownFunctionException",
    "VPCGatewayAttachment",
    "VPCPeeringConnection",
    "VPCPeeringConnectionBackend",
    "ValidationError",
    "WAFNonexistentItemException",
    "WAFV2Backend",
    "WAFV2Response",
    "aws_managed_policies_data",
    "backend_lock",
    "backup_backends",
    "cfn_models",
    "cfn_parsing",
    "cfn_responses",
    "cfn_utils",
    "cloudformation_backends",
    "cloudwatch_backends",
    "domain_dispatcher_application",
    "dynamodb_backends",
    "ec2_backends",
    "ecs_backends",
    "elbv2_backends",
    "get_backend",
    "get_partition",
    "get_service_model",
    "iam_backends",
    "kms_backends",
    "lambda_backends",
    "mock_aws",
    "pascal_to_camelcase",
    "rds_backends",
    "remap_nested_keys",
    "route53_backends",
    "s3_backends",
    "secretsmanager_backends",
    "servicediscovery_backends",
    "sns_backends",
    "sqs_backends",
    "sts_backends",
    "threaded_moto_server",
    "wafv2_backends",
]
