"""The order in which localaws changes moto: every fix, in `FIXES` order, then every strict rule.

A fix closes one measured gap between moto and AWS (its module docstring says which moto
behaviour and why it matters) through `apply(patcher)`; a rule (`localaws.rules`) refuses what
AWS refuses. Rules come after every fix because several wrap a fix's CloudFormation model.

Within `FIXES`, order matters only where two fixes wrap the same function: the one applied later
runs outside (it sees the call first and the result last). The positions that matter carry a
comment. Every other fix patches functions no other fix touches (adding models to moto's model
list aside, where the order does not matter), so the engine's fixes come first, then the
services' in the order a stack meets them. Rules and fixes that wrap the same function (KMS key
and ELB creation, secret replicas) are why the rules come last.
A fix's name (first column) is what `LocalAws(skip_fixes=...)` takes.
"""

from __future__ import annotations

from types import ModuleType

from . import faults_middleware, unimplemented
from .cloudformation import (
    changeset_diff,
    changeset_outputs,
    deletion,
    dynamic_references,
    find_in_map,
    get_azs,
    get_stack_output,
    getatt_dotted,
    resolved_diff,
    sam_transform,
    secretsmanager_transform,
    stack_failures,
    stack_resources,
    template_url,
    wait_condition_handle,
)
from .patching import Patcher
from .rules import apply_rules
from .services.awslambda import function as lambda_function
from .services.awslambda import permission as lambda_permission
from .services.backup import resources as backup
from .services.cloudwatch import alarm as cloudwatch_alarm
from .services.cloudwatch import alarm_evaluation
from .services.dynamodb import global_tables as dynamodb_global_tables
from .services.dynamodb import tables as dynamodb
from .services.ec2 import network as ec2_network
from .services.ec2 import vpc_peering
from .services.ecs import resources as ecs
from .services.elbv2 import load_balancer as elbv2
from .services.iam import role as iam_role
from .services.kms import key_policy as kms_key_policy
from .services.logs import log_group as logs
from .services.rds import instances as rds
from .services.rds import promotion as rds_promotion
from .services.rds import replica_removal as rds_replica_removal
from .services.route53 import health_checks as route53_health_checks
from .services.route53 import record_sets as route53_record_sets
from .services.route53 import resolver as route53_resolver
from .services.s3 import bucket as s3_bucket
from .services.s3 import object_replication as s3_object_replication
from .services.s3 import replication as s3_replication
from .services.secretsmanager import rotation as secret_rotation
from .services.secretsmanager import secret as secretsmanager
from .services.secretsmanager import stop_replication as secret_promotion
from .services.servicediscovery import namespaces as servicediscovery
from .services.sns import subscriptions as sns_subscriptions
from .services.sqs import event_source as sqs_event_source
from .services.sqs import policies
from .services.ssm import parameter as ssm_parameter
from .services.wafv2 import web_acl as wafv2

FIXES: tuple[tuple[str, ModuleType], ...] = (
    # -- every service: an action moto lacks answers HTTP 501 NotImplemented, not a traceback ---
    ("unimplemented", unimplemented),
    # -- every request: regional outages (503) and global-table replication due before serving --
    ("faults_middleware", faults_middleware),
    # -- the CloudFormation engine -------------------------------------------------------------
    ("template_url", template_url),
    # changeset_outputs and changeset_diff before stack_failures: stack_failures wraps change-set
    # execution outside them, so it catches what they raise and fails the stack with a reason.
    ("changeset_outputs", changeset_outputs),
    ("changeset_diff", changeset_diff),
    ("resolved_diff", resolved_diff),
    ("stack_failures", stack_failures),
    ("stack_resources", stack_resources),
    ("deletion", deletion),
    # The template processors share one hook (`cloudformation.template_hook`); each wraps the
    # last, so the one applied last processes the template first: Fn::GetStackOutput and dotted
    # GetAtt names are resolved before the SAM transform sees the template, the
    # AWS::SecretsManager transform (listed first in the templates) runs just before SAM's, and
    # Fn::GetAZs is resolved after every transform, as CloudFormation does; every Fn::FindInMap
    # is looked up last, in the fully processed template (a miss refuses the request).
    ("find_in_map", find_in_map),
    ("get_azs", get_azs),
    ("sam_transform", sam_transform),
    ("secretsmanager_transform", secretsmanager_transform),
    ("get_stack_output", get_stack_output),
    ("getatt_dotted", getatt_dotted),
    # -- the services --------------------------------------------------------------------------
    ("kms_key_policy", kms_key_policy),
    ("vpc_peering", vpc_peering),
    ("ec2_network", ec2_network),
    ("s3_bucket", s3_bucket),
    ("s3_replication", s3_replication),
    ("s3_object_replication", s3_object_replication),
    ("policies", policies),
    ("sqs_event_source", sqs_event_source),
    ("dynamodb", dynamodb),
    # after dynamodb: records the group its AWS::DynamoDB::GlobalTable model creates
    ("dynamodb_global_tables", dynamodb_global_tables),
    ("rds", rds),
    ("rds_promotion", rds_promotion),
    ("rds_replica_removal", rds_replica_removal),
    ("wafv2", wafv2),
    ("servicediscovery", servicediscovery),
    ("ecs", ecs),
    ("elbv2", elbv2),
    ("cloudwatch_alarm", cloudwatch_alarm),
    ("alarm_evaluation", alarm_evaluation),
    ("route53_health_checks", route53_health_checks),
    ("route53_resolver", route53_resolver),
    ("route53_record_sets", route53_record_sets),
    ("secretsmanager", secretsmanager),
    ("secret_promotion", secret_promotion),
    ("secret_rotation", secret_rotation),
    ("dynamic_references", dynamic_references),
    ("ssm_parameter", ssm_parameter),
    ("sns_subscriptions", sns_subscriptions),
    ("lambda_permission", lambda_permission),
    ("lambda_function", lambda_function),
    ("logs", logs),
    ("backup", backup),
    ("iam_role", iam_role),
    ("wait_condition_handle", wait_condition_handle),
)

FIX_NAMES: tuple[str, ...] = tuple(name for name, _ in FIXES)


def apply_fixes(skip: frozenset[str] | set[str] = frozenset()) -> Patcher:
    """Apply every fix except those named in `skip`; `patcher.revert()` undoes them."""
    unknown = set(skip) - set(FIX_NAMES)
    if unknown:
        raise ValueError(f"unknown emulator fix(es) {sorted(unknown)}; known: {', '.join(FIX_NAMES)}")
    patcher = Patcher()
    for name, fix in FIXES:
        if name not in skip:
            fix.apply(patcher)
    return patcher


def patch_moto(
    skip_fixes: frozenset[str] | set[str] = frozenset(), skip_rules: frozenset[str] | set[str] = frozenset()
) -> Patcher:
    """The fixes, then the rules (several rules wrap a fix's model); `revert()` undoes both."""
    patcher = apply_fixes(skip=skip_fixes)
    return apply_rules(patcher, skip=skip_rules)


__all__ = ["FIXES", "FIX_NAMES", "apply_fixes", "patch_moto"]
