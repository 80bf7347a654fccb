"""The payment function's queue timings, scoped ARNs and environment, as data.

References:
- the source queue's visibility timeout should be at least six times the function timeout, or a
  message can reappear while a throttled batch is retried; the batching window is added on top,
  since a batch may wait that long before the function even starts:
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
- an SQS event source's MaximumConcurrency is 2 to 1000:
  https://docs.aws.amazon.com/lambda/latest/dg/API_ScalingConfig.html
- reserved concurrency is optional (0 = none rendered): AWS refuses a reservation that leaves
  fewer than 100 unreserved executions in the account and region:
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
- disaster recovery (the handler contract, docs/payment-function.md): the ledger is one global
  table with the same name in every region, so the function names it and its ARN in this region
  (`${AWS::Region}`: a replica is a table of the region it lives in) rather than a resource of the
  stack. The handler fences on the active-region item of that same table (GetItem, already
  granted on the ledger); ACTIVE_REGION_CACHE_S turns the fence on and sets its cache period.
  An eventually consistent ledger adds AUDIT_TABLE: a TransactWriteItems needs the permission of
  each action it contains (dynamodb:PutItem on both tables), not one of its own:
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from payinfra.model.site import Site

DAY_S = 24 * 3600
QUEUE_RETENTION_S = 4 * DAY_S  # SQS's default
DLQ_RETENTION_S = 14 * DAY_S  # SQS's maximum: time to inspect and redrive
KMS_DATA_KEY_REUSE_S = 300  # SQS's default
MIN_MAX_CONCURRENCY = 2


@dataclass(frozen=True)
class Functions:
    """What the functions partial lays out beyond the context's `[lambda]` settings."""

    queue_retention_s: int
    dlq_retention_s: int
    kms_data_key_reuse_s: int
    visibility_timeout_s: int
    # The SQS poller may use at most half the reserved concurrency, so a backlog never starves the
    # synchronous /payments requests from the ALB; None when that is under AWS's minimum of 2.
    sqs_max_concurrency: int | None
    # `Fn::Sub` strings, built from names rather than GetAtt: the DLQ's RedriveAllowPolicy names the
    # source queue while the source queue's RedrivePolicy names the DLQ (a GetAtt both ways would be
    # a cycle); in the secondary region the sessions table is a replica no stack owns.
    queue_arn: str
    sessions_table_arn: str
    parameter_path_arn: str
    target_group_arn: str
    ledger_table_arn: str
    audit_table_arn: str | None  # eventually consistent ledger only
    health_check_path: str  # GET here is routed to the function (Route 53 probes it)
    # Variable -> its YAML value (an intrinsic or a quoted string): the handler's contract
    # (templates/README.md) plus DEAD_LETTER_QUEUE_URL for records rejected as invalid.
    environment: dict[str, str]


def _arn(service: str, resource: str) -> str:
    return f"arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"


def functions(site: Site) -> Functions:
    fn, names = site.settings.function, site.names
    half = fn.reserved_concurrency // 2
    return Functions(
        queue_retention_s=QUEUE_RETENTION_S,
        dlq_retention_s=DLQ_RETENTION_S,
        kms_data_key_reuse_s=KMS_DATA_KEY_REUSE_S,
        visibility_timeout_s=6 * fn.timeout_s + fn.batching_window_s,
        sqs_max_concurrency=half if half >= MIN_MAX_CONCURRENCY else None,
        queue_arn=_arn("sqs", names.sub("queue")),
        sessions_table_arn=_arn("dynamodb", "table/" + names.sub("sessions_table")),
        parameter_path_arn=_arn("ssm", "parameter" + names.sub("ssm_path")),
        target_group_arn=_arn(
            "elasticloadbalancing", "targetgroup/" + names.sub("function_target_group") + "/*"
        ),
        ledger_table_arn=_arn("dynamodb", "table/" + names.sub("ledger_table")),
        audit_table_arn=(
            _arn("dynamodb", "table/" + names.sub("audit_table")) if site.eventual_ledger else None
        ),
        health_check_path=site.recovery.health_check_path,
        environment=_environment(site),
    )


def _environment(site: Site) -> dict[str, str]:
    names, recovery = site.names, site.recovery
    environment = {
        "LEDGER_TABLE": f'!Sub "{names.sub("ledger_table")}"',
        "SESSIONS_TABLE": f'!Sub "{names.sub("sessions_table")}"',
        "PAYMENT_API_ENDPOINT": json.dumps(site.settings.payment_api_endpoint),
        "SSM_PARAMETER_PATH": f'!Sub "{names.sub("ssm_path")}"',
        "CONFIG_CACHE_TTL_S": json.dumps(str(site.settings.payments.config_cache_ttl_s)),
        "POWERTOOLS_SERVICE_NAME": "payments",
        "POWERTOOLS_METRICS_NAMESPACE": "Payments",
        "DEPLOY_REGION": '!Ref "AWS::Region"',
        "DEAD_LETTER_QUEUE_URL": "!Ref PaymentDeadLetterQueue",
        "ACTIVE_REGION_CACHE_S": json.dumps(f"{recovery.active_region_cache_s:g}"),
        "LEDGER_CONSISTENCY": json.dumps(recovery.ledger_consistency),
        "HEALTH_CHECK_PATH": json.dumps(recovery.health_check_path),
    }
    if site.eventual_ledger:
        environment["AUDIT_TABLE"] = "!Ref AuditTable"
    return environment
