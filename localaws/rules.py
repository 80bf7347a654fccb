"""The registry of strict-AWS rules: the emulator refuses what AWS refuses, one refusal a module.

The rules live with their service, in `localaws/services/<service>/rules/`. Each module there
(in the spirit of cfn-lint's one rule per file) has `ID`, a one-line `TITLE`,
the AWS documentation page that states the constraint (`DOC_URL`) and `apply(patcher)`, which
hooks the moto backend method every path goes through (the API and CloudFormation's models), so
a request AWS refuses fails here with AWS's error code, and a stack that would roll back on AWS
rolls back here. Every refusal message ends with `[<ID>, <DOC_URL>]`.

`apply_rules()` applies them in the order of `RULES`, after the fixes (`LocalAws` does this by
default): several rules wrap a fix's CloudFormation model, so the fixes must be in place first.
Order within `RULES`: by service, then by the order a deployment meets them. Two rules that wrap
the same function are independent checks, so their relative order only decides which of two
refusals a request that breaks both sees first.
"""

from __future__ import annotations

from types import ModuleType

from .patching import Patcher
from .services.awslambda.rules import sqs_batching_window as lambda_sqs_batching_window
from .services.awslambda.rules import sqs_visibility_timeout as lambda_sqs_visibility_timeout
from .services.awslambda.rules import unreserved_concurrency as lambda_unreserved_concurrency
from .services.dynamodb.rules import global_table_stream as dynamodb_global_table_stream
from .services.dynamodb.rules import global_table_strong as dynamodb_global_table_strong
from .services.dynamodb.rules import mrsc_formation as dynamodb_mrsc_formation
from .services.dynamodb.rules import mrsc_transactions as dynamodb_mrsc_transactions
from .services.elbv2.rules import access_log_bucket as elbv2_access_log_bucket
from .services.kms.rules import key_policy_lockout as kms_key_policy_lockout
from .services.kms.rules import pending_window as kms_pending_window
from .services.rds.rules import cross_region_replica_key as rds_cross_region_replica_key
from .services.rds.rules import replica_managed_password as rds_replica_managed_password
from .services.rds.rules import subnet_group_in_use as rds_subnet_group_in_use
from .services.s3.rules import bucket_not_empty as s3_bucket_not_empty
from .services.s3.rules import replication_rules as s3_replication_rules
from .services.s3.rules import replication_versioning as s3_replication_versioning
from .services.secretsmanager.rules import replica_key as secretsmanager_replica_key
from .services.wafv2.rules import logging_destination_name as wafv2_logging_destination_name

RULES: tuple[ModuleType, ...] = (
    kms_key_policy_lockout,  # KMS001: keys come first in every stack
    kms_pending_window,  # KMS002
    s3_replication_versioning,  # S3001
    s3_replication_rules,  # S3003: the rules' schema, after S3001's bucket checks
    s3_bucket_not_empty,  # S3002 (documents moto's own refusal; patches nothing)
    dynamodb_global_table_stream,  # DDB001
    dynamodb_global_table_strong,  # DDB002
    dynamodb_mrsc_formation,  # DDB003: UpdateTable's replica/witness/mode updates
    dynamodb_mrsc_transactions,  # DDB004: item writes
    rds_replica_managed_password,  # RDS001
    rds_cross_region_replica_key,  # RDS002
    rds_subnet_group_in_use,  # RDS003: deletion, after every creation check
    secretsmanager_replica_key,  # SM001
    lambda_unreserved_concurrency,  # LAMBDA001
    lambda_sqs_visibility_timeout,  # LAMBDA002: a function's queue mapping comes after the function
    lambda_sqs_batching_window,  # LAMBDA003
    elbv2_access_log_bucket,  # ELB001: the ALB comes after its log bucket and policy
    wafv2_logging_destination_name,  # WAF001: edge logging, after the web ACL
)

RULE_IDS: tuple[str, ...] = tuple(rule.ID for rule in RULES)
set_account_concurrency = lambda_unreserved_concurrency.set_account_concurrency


def apply_rules(patcher: Patcher | None = None, skip: frozenset[str] | set[str] = frozenset()) -> Patcher:
    """Apply every rule except the IDs in `skip`, onto `patcher` (or a new one); returns it."""
    unknown = set(skip) - set(RULE_IDS)
    if unknown:
        raise ValueError(f"unknown strict-AWS rule(s) {sorted(unknown)}; known: {', '.join(RULE_IDS)}")
    patcher = patcher or Patcher()
    for rule in RULES:
        if rule.ID not in skip:
            rule.apply(patcher)
    return patcher


def describe_rules() -> list[str]:
    """One line per rule, in order: `ID  title` and its documentation URL."""
    return [f"{rule.ID:<10} {rule.TITLE}\n{'':<10} {rule.DOC_URL}" for rule in RULES]


__all__ = ["RULES", "RULE_IDS", "apply_rules", "describe_rules", "set_account_concurrency"]
