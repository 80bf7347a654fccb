"""Every resource and stack name, derived once from the app name and the environment suffix.

Templates use `Names.sub(...)` (a CloudFormation `!Sub` string over `${EnvironmentSuffix}`),
plugins and orchestration use `Names.concrete(...)`: both come from the same pattern, so a name
can never drift between the template that creates a resource and the code that finds it. The
length limits here are AWS's; the config validation derives the longest usable suffix from them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Lowercase letters, digits and single hyphens: valid in S3, RDS, ALB and every other name here.
SUFFIX_PATTERN = r"[a-z](?:-?[a-z0-9])*"
ACCOUNT_LEN = 12
LONGEST_REGION = "ap-southeast-2"  # worst case used for the suffix length budget


@dataclass(frozen=True)
class NameSpec:
    pattern: str  # placeholders: {app} {suffix} {region} {account} {peer}
    limit: int
    what: str


SPECS: dict[str, NameSpec] = {
    "stack_primary": NameSpec("{app}-primary-{suffix}", 128, "primary stack"),
    "stack_secondary": NameSpec("{app}-secondary-{suffix}", 128, "secondary stack"),
    # One peering stack per peered pair, in the requester's region, named by the accepter region.
    "stack_peering": NameSpec("{app}-peering-{suffix}-{peer}", 128, "peering stack"),
    # The one peering stack of deployments made before N regions (preflight looks for it).
    "stack_peering_two_regions": NameSpec("{app}-peering-{suffix}", 128, "peering stack (two-region)"),
    "uploads_bucket": NameSpec("{app}-uploads-{suffix}-{region}-{account}", 63, "S3 bucket"),
    "alb_logs_bucket": NameSpec("{app}-alblogs-{suffix}-{region}-{account}", 63, "S3 bucket"),
    "kms_alias": NameSpec("alias/{app}-{suffix}", 256, "KMS alias"),
    "db_instance": NameSpec("{app}-db-{suffix}", 63, "RDS instance identifier"),
    "db_subnet_group": NameSpec("{app}-db-{suffix}", 255, "DB subnet group"),
    "sessions_table": NameSpec("{app}-sessions-{suffix}", 255, "DynamoDB table"),
    # The ledger is one global table (replicas in every region, same name): `recovery.ledger_consistency`.
    "ledger_table": NameSpec("{app}-ledger-global-{suffix}", 255, "DynamoDB table"),
    # The region-local ledger of deployments made before disaster recovery (migrated, then retired).
    "ledger_table_regional": NameSpec("{app}-ledger-{suffix}", 255, "DynamoDB table (region-local, legacy)"),
    # Eventually consistent ledger only: one region-local audit entry per (payment_id, region).
    "audit_table": NameSpec("{app}-ledger-audit-{suffix}", 255, "DynamoDB table"),
    "alb": NameSpec("{app}-alb-{suffix}", 32, "load balancer"),
    "service_target_group": NameSpec("{app}-svc-{suffix}", 32, "target group"),
    "function_target_group": NameSpec("{app}-fn-{suffix}", 32, "target group"),
    "web_acl": NameSpec("{app}-waf-{suffix}", 128, "WAF web ACL"),
    "cluster": NameSpec("{app}-{suffix}", 255, "ECS cluster"),
    "service": NameSpec("{app}-api-{suffix}", 255, "ECS service"),
    # Per region: Route 53 refuses to associate a VPC with two private zones of one name
    # (ConflictingDomainExists), and each region's VPC is associated with the peer's namespace zone.
    # https://docs.aws.amazon.com/Route53/latest/APIReference/API_AssociateVPCWithHostedZone.html
    "namespace": NameSpec("{app}-{suffix}.{region}.internal", 253, "Cloud Map namespace"),
    "function": NameSpec("{app}-payment-events-{suffix}", 64, "Lambda function"),
    # The hosted rotation function is named, so its log group (created by Lambda on first
    # invocation) can be declared and owned by the stack.
    "rotation_function": NameSpec("{app}-db-rotation-{suffix}", 64, "Lambda function"),
    "queue": NameSpec("{app}-payment-events-{suffix}", 80, "SQS queue"),
    "dlq": NameSpec("{app}-payment-events-dlq-{suffix}", 80, "SQS queue"),
    "alarm_topic": NameSpec("{app}-alarms-{suffix}", 256, "SNS topic"),
    "dashboard": NameSpec("{app}-{suffix}-{region}", 255, "CloudWatch dashboard"),
    "ssm_path": NameSpec("/{app}/{suffix}", 1011, "SSM parameter path"),
    # The runbook's progress and lock, one copy in every region (it writes only reachable regions).
    # (The recorded active region is an item of the global ledger table: payinfra/recovery/active.py.)
    "runbook_progress_parameter": NameSpec("/{app}/{suffix}/recovery/progress", 1011, "SSM parameter"),
    "runbook_lock_parameter": NameSpec("/{app}/{suffix}/recovery/lock", 1011, "SSM parameter"),
    # Per region: ALARM while the region is fenced (RegionActive < 1); drives a Route 53 health check.
    "fence_alarm": NameSpec("{app}-{suffix}-region-active", 255, "CloudWatch alarm"),
    "stack_global": NameSpec("{app}-global-{suffix}", 128, "global (DNS, health checks) stack"),
    "backup_vault": NameSpec("{app}-{suffix}", 50, "AWS Backup vault"),
    "backup_plan": NameSpec("{app}-{suffix}", 50, "AWS Backup plan"),
    "role_backup": NameSpec("{app}-backup-{suffix}-{region}", 64, "IAM role"),
    "state_machine": NameSpec("{app}-failover-{suffix}", 80, "Step Functions state machine"),
    # Step Functions recommends the /aws/vendedlogs/ prefix (keeps the logs resource policy small):
    # https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
    "log_group_state_machine": NameSpec("/aws/vendedlogs/states/{app}-failover-{suffix}", 512, "log group"),
    "role_state_machine": NameSpec("{app}-sfn-{suffix}-{region}", 64, "IAM role"),
    "log_group_function": NameSpec("/aws/lambda/{app}-payment-events-{suffix}", 512, "log group"),
    "log_group_rotation": NameSpec("/aws/lambda/{app}-db-rotation-{suffix}", 512, "log group"),
    "log_group_ecs": NameSpec("/ecs/{app}-api-{suffix}", 512, "log group"),
    "log_group_flow": NameSpec("/vpc/{app}-flow-logs-{suffix}", 512, "log group"),
    # WAF delivers only to log groups whose name starts with aws-waf-logs-.
    "log_group_waf": NameSpec("aws-waf-logs-{app}-{suffix}", 512, "log group"),
    # RDS picks these names itself; declaring them lets the stack own (encrypt, expire, delete) them.
    "log_group_rds_postgresql": NameSpec("/aws/rds/instance/{app}-db-{suffix}/postgresql", 512, "log group"),
    "log_group_rds_upgrade": NameSpec("/aws/rds/instance/{app}-db-{suffix}/upgrade", 512, "log group"),
    # ECS Container Insights writes the cluster's performance events here and creates the group
    # itself when absent (unencrypted, never expiring, left after the cluster is deleted):
    # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
    "log_group_container_insights": NameSpec(
        "/aws/ecs/containerinsights/{app}-{suffix}/performance", 512, "log group"
    ),
    # IAM is global: role names carry the region so both regional stacks can coexist.
    "role_function": NameSpec("{app}-fn-{suffix}-{region}", 64, "IAM role"),
    "role_task": NameSpec("{app}-task-{suffix}-{region}", 64, "IAM role"),
    "role_task_execution": NameSpec("{app}-exec-{suffix}-{region}", 64, "IAM role"),
    "role_flow_logs": NameSpec("{app}-flow-{suffix}-{region}", 64, "IAM role"),
    "role_replication": NameSpec("{app}-s3repl-{suffix}-{region}", 64, "IAM role"),
    "role_monitoring": NameSpec("{app}-rdsmon-{suffix}-{region}", 64, "IAM role"),
}

# Log groups AWS shares across every resource of an account and region: no stack may own them (one
# environment's destroy would delete the others' data) nor encrypt them with a key that a destroy
# schedules for deletion. Never declared, never deleted; `destroy` and `local` list them as left on
# purpose. RDS Enhanced Monitoring writes every instance's OS metrics to RDSOSMetrics (30-day
# default retention, set once per account and region):
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.html#USER_Monitoring.OS.retention
SHARED_LOG_GROUPS: dict[str, str] = {
    "RDSOSMetrics": "RDS Enhanced Monitoring, shared by every DB instance of the account and region",
}

# The fence signal: the runbook (and the after-deploy plugin) publish RegionActive = 1 in the region
# that serves and 0 in every other, in each region's own CloudWatch; each region's `fence_alarm`
# watches it (dimension Environment = suffix) and a Route 53 health check follows the alarm.
FENCE_METRIC_NAMESPACE = "PayInfra/Recovery"
FENCE_METRIC = "RegionActive"

CFN_PLACEHOLDERS = {
    "suffix": "${EnvironmentSuffix}",
    "region": "${AWS::Region}",
    "account": "${AWS::AccountId}",
}


class Names:
    """The names of one deployment (app + suffix)."""

    def __init__(self, app: str, suffix: str) -> None:
        self.app = app
        self.suffix = suffix

    def sub(self, key: str, *, region: str | None = None) -> str:
        """`!Sub` string for the template; `region` pins another region's name (e.g. a peer)."""
        values = dict(CFN_PLACEHOLDERS, app=self.app)
        if region:
            values["region"] = region
        return SPECS[key].pattern.format(**values)

    def concrete(self, key: str, *, region: str = "", account: str = "", peer: str = "") -> str:
        """The name as AWS will show it, for code that looks a resource up."""
        spec = SPECS[key]
        for placeholder, value in (("region", region), ("account", account), ("peer", peer)):
            if f"{{{placeholder}}}" in spec.pattern and not value:
                raise ValueError(f"name {key!r} needs a {placeholder}")
        return spec.pattern.format(
            app=self.app, suffix=self.suffix, region=region, account=account, peer=peer
        )

    def longest_violation(self) -> str:
        """Describe the first name the suffix makes too long (for error messages)."""
        for key, spec in SPECS.items():
            name = _worst_case(spec.pattern, self.app, self.suffix)
            if len(name) > spec.limit:
                return f"the {spec.what} name {key} would be {len(name)} > {spec.limit} characters"
        return "all names fit"


def _worst_case(pattern: str, app: str, suffix: str) -> str:
    return pattern.format(
        app=app, suffix=suffix, region=LONGEST_REGION, account="0" * ACCOUNT_LEN, peer=LONGEST_REGION
    )


def max_suffix_length(app: str) -> int:
    """The longest suffix for which every name stays within its AWS limit in any region."""
    return min(spec.limit - len(_worst_case(spec.pattern, app, "")) for spec in SPECS.values())
