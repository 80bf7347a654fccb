"""The region's CloudWatch alarms, their threshold parameters and the dashboard, as data.

Every alarm is one `Alarm`; the monitoring partial lays each out as an `AWS::CloudWatch::Alarm`
and the dashboard shows one graph per alarm (metric plus threshold line, via the alarm annotation)
under a status grid of all of them. Each threshold is a template parameter named by
`parameter_name()` from its context key and defaulting to the region's value; only thresholds of
alarms that exist in the region become parameters (an unused parameter is a cfn-lint warning),
e.g. `rds_replica_lag_s` exists only in the secondary region in replica mode.

DynamoDB publishes `ReplicationLatency` in the region a change comes from, per receiving region
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_monitoring.html), so
each region alarms on its own side of the sessions global table, for every other region. A
secondary region's sessions table is the replica the dynamodb-replica plugin adds (no stack owns
it): it has the primary table's name, so its alarms name it directly.

Units: a parameter keeps the unit of its context key; where CloudWatch reports another unit the
alarm converts the metric with metric math (ALB latency s -> ms, free storage bytes -> MiB),
since CloudFormation cannot do arithmetic on a parameter
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html).

Values written `${X}` / `${X.Attr}` are CloudFormation references the template turns into
`!Ref` / `!GetAtt` (the renderer's `intrinsic` filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from payinfra.model.site import Site
from payinfra.topology.names import FENCE_METRIC, FENCE_METRIC_NAMESPACE


@dataclass(frozen=True)
class Evaluation:
    """How long a breach must last: `datapoints` of the last `periods` periods of `period` s."""

    period: int
    periods: int
    datapoints: int


# Latency and saturation: 3 of the last 5 one-minute periods. Counts of failures, where one is
# news: a single five-minute period.
SUSTAINED = Evaluation(period=60, periods=5, datapoints=3)
ANY = Evaluation(period=300, periods=1, datapoints=1)

# TreatMissingData: traffic-driven metrics are absent when idle -> notBreaching; RDS publishes
# every minute, so a gap is an outage other alarms report -> missing; a replica that stops
# reporting lag has stopped replicating -> breaching.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
NOT_BREACHING, MISSING, BREACHING = "notBreaching", "missing", "breaching"


def parameter_name(threshold: str) -> str:
    """`Alarm` + CamelCase of the context key: latency_p99_ms -> AlarmLatencyP99Ms."""
    return "Alarm" + "".join(part.capitalize() for part in threshold.split("_"))


@dataclass(frozen=True)
class Alarm:
    """One alarm: a single metric, metric math over `metrics` (m1, m2, ...), or a query."""

    id: str  # the logical ID is <id>Alarm
    what: str  # the name part: <app>-<what>-<suffix>
    section: str  # dashboard row
    about: str
    threshold: str  # key of the context's [alarms]
    missing: str  # TreatMissingData
    evaluation: Evaluation
    namespace: str = ""
    metrics: tuple[str, ...] = ()  # metric names sharing namespace, dimensions and stat
    stat: str = ""
    dimensions: dict[str, str] = field(default_factory=dict)
    expression: str = ""  # metric math over m1, m2, ...
    query: str = ""  # CloudWatch Metrics Insights
    lower: bool = False  # alarm at or below the threshold instead of at or above
    topic: str = "AlarmTopic"  # logical ID of the topic told on ALARM and on OK

    @property
    def logical_id(self) -> str:
        return f"{self.id}Alarm"

    @property
    def parameter(self) -> str:
        return parameter_name(self.threshold)

    @property
    def comparison(self) -> str:
        return "LessThanOrEqualToThreshold" if self.lower else "GreaterThanOrEqualToThreshold"

    @property
    def description(self) -> str:
        side = " at or below " if self.lower else " at or above "
        return f"{self.about}{side}the {self.parameter} threshold"

    @property
    def single_metric(self) -> bool:
        """Laid out as MetricName/Statistic rather than a Metrics array."""
        return len(self.metrics) == 1 and not self.expression and not self.query

    @property
    def extended_statistic(self) -> bool:
        """Percentiles (p99) go in ExtendedStatistic, the rest in Statistic."""
        return self.stat.startswith("p")

    @property
    def arn(self) -> str:
        return "${" + self.logical_id + ".Arn}"


@dataclass(frozen=True)
class Table:
    """A DynamoDB table the region watches: dashboard label, name part and name reference."""

    label: str
    what: str
    ref: str


@dataclass(frozen=True)
class ThresholdParameter:
    """A `Type: Number` template parameter holding one alarm threshold."""

    name: str
    key: str
    default: int
    description: str


@dataclass(frozen=True)
class FenceAlarm:
    """`RegionActiveAlarm`: ALARM while this region is fenced (RegionActive < 1).

    It exists for the global stack's Route 53 CLOUDWATCH_METRIC health check, which takes the
    region out of DNS while it is fenced. Route 53 follows only alarms on one standard-resolution
    metric with Average, Minimum, Maximum, Sum or SampleCount (no extended statistic, no metric
    math): https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html
    Maximum over one 60 s period: a single 1 in the minute counts as active. Missing data is
    ignored (the state stays): the runbook and the after-deploy plugin publish the metric, and a
    quiet minute says nothing new. It notifies nobody: a fenced secondary is the normal state, not
    an incident (the runbook reports failovers itself).
    """

    logical_id: str
    name: str  # `Fn::Sub` string (names.fence_alarm)
    namespace: str
    metric: str
    dimensions: dict[str, str]
    statistic: str
    period: int
    evaluation_periods: int
    comparison: str
    threshold: int
    missing: str


def fence_alarm(site: Site) -> FenceAlarm:
    return FenceAlarm(
        logical_id="RegionActiveAlarm",
        name=site.names.sub("fence_alarm"),
        namespace=FENCE_METRIC_NAMESPACE,
        metric=FENCE_METRIC,
        dimensions={"Environment": "${EnvironmentSuffix}"},
        statistic="Maximum",
        period=60,
        evaluation_periods=1,
        comparison="LessThanThreshold",
        threshold=1,
        missing="ignore",
    )


@dataclass(frozen=True)
class Monitoring:
    alarms: tuple[Alarm, ...]
    parameters: tuple[ThresholdParameter, ...]
    dashboard: dict[str, Any]
    fence: FenceAlarm


LOAD_BALANCER = {"LoadBalancer": "${LoadBalancer.LoadBalancerFullName}"}
FUNCTION = {"FunctionName": "${PaymentFunction}"}
DATABASE = {"DBInstanceIdentifier": "${Database}"}
QUEUE = {"QueueName": "${PaymentQueue.QueueName}"}
DEAD_LETTER_QUEUE = {"QueueName": "${PaymentDeadLetterQueue.QueueName}"}


def tables(site: Site) -> tuple[Table, ...]:
    """The ledger and sessions global tables: the primary's stack owns both, elsewhere the
    region's replica (same name, no stack owns it) is named directly."""
    if site.is_primary:
        ledger, sessions = "${LedgerTable}", "${SessionsTable}"
    else:
        ledger, sessions = site.names.sub("ledger_table"), site.names.sub("sessions_table")
    return (Table("Ledger", "ledger", ledger), Table("Sessions", "sessions", sessions))


# A CloudWatch Metrics Insights query (run by CloudWatch, not a database) over our own table.
SYSTEM_ERRORS_QUERY = (
    "SELECT SUM(SystemErrors) FROM SCHEMA(\"AWS/DynamoDB\", Operation, TableName) WHERE TableName = '{table}'"
)


def system_errors_query(table: str) -> str:
    """SystemErrors is published only per (TableName, Operation): sum it over one table's operations.

    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
    """
    return SYSTEM_ERRORS_QUERY.format(table=table)


# ReplicationLatency is published per (TableName, ReceivingRegion); grouped by receiving region,
# the query returns one series per other region and the alarm evaluates each one as a contributor
# (StateReason names the lagging ones):
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html
REPLICATION_LATENCY_QUERY = (
    "SELECT AVG(ReplicationLatency) FROM SCHEMA(\"AWS/DynamoDB\", ReceivingRegion, TableName) "
    "WHERE TableName = '{table}' GROUP BY ReceivingRegion"
)


def replication_latency_alarm(sessions: str) -> Alarm:
    """One alarm for every other region: each replica of a global table replicates to every other.

    One resource, not one per region: adding or removing a region changes no resource of the
    regions that stay (the query finds the new receiving region by itself), and every secondary's
    render is the same, so one secondary template serves them all.
    """
    return Alarm("SessionsReplicationLatency", "dynamodb-replication-latency", "dynamodb",
                 "Sessions global-table replication latency to each other region (ms)",
                 "dynamodb_replication_latency_ms", NOT_BREACHING, SUSTAINED,
                 query=REPLICATION_LATENCY_QUERY.format(table=sessions))


def alarms(site: Site) -> tuple[Alarm, ...]:
    """The region's alarms, in template order."""
    sessions = tables(site)[1].ref
    found: list[Alarm] = [
        Alarm("AlbLatencyP99", "alb-latency-p99", "alb", "ALB target response time p99 (ms)",
              "latency_p99_ms", NOT_BREACHING, SUSTAINED, "AWS/ApplicationELB", ("TargetResponseTime",),
              "p99", LOAD_BALANCER, expression="m1 * 1000"),
        Alarm("Alb5xx", "alb-5xx", "alb", "ALB 5xx responses, targets plus the ALB itself",
              "alb_5xx_count", NOT_BREACHING, ANY, "AWS/ApplicationELB",
              ("HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count"), "Sum", LOAD_BALANCER,
              expression="FILL(m1, 0) + FILL(m2, 0)"),
        Alarm("FunctionErrors", "lambda-errors", "lambda", "Payment function errors",
              "lambda_errors", NOT_BREACHING, ANY, "AWS/Lambda", ("Errors",), "Sum", FUNCTION),
        Alarm("FunctionThrottles", "lambda-throttles", "lambda", "Payment function throttles",
              "lambda_throttles", NOT_BREACHING, ANY, "AWS/Lambda", ("Throttles",), "Sum", FUNCTION),
        Alarm("FunctionDurationP99", "lambda-duration-p99", "lambda", "Payment function duration p99 (ms)",
              "lambda_duration_p99_ms", NOT_BREACHING, SUSTAINED, "AWS/Lambda", ("Duration",), "p99",
              FUNCTION),
        Alarm("DatabaseCpu", "rds-cpu", "rds", "PostgreSQL CPU (%)",
              "rds_cpu_percent", MISSING, SUSTAINED, "AWS/RDS", ("CPUUtilization",), "Average", DATABASE),
        Alarm("DatabaseFreeStorage", "rds-free-storage", "rds", "PostgreSQL free storage (MiB)",
              "rds_free_storage_mb", MISSING, SUSTAINED, "AWS/RDS", ("FreeStorageSpace",), "Minimum",
              DATABASE, expression="m1 / 1048576", lower=True),
        Alarm("DatabaseConnections", "rds-connections", "rds", "PostgreSQL connections",
              "rds_connections", MISSING, SUSTAINED, "AWS/RDS", ("DatabaseConnections",), "Maximum",
              DATABASE),
    ]
    if site.is_replica:
        found.append(
            Alarm("DatabaseReplicaLag", "rds-replica-lag", "rds",
                  "Read replica lag behind the primary region (s)", "rds_replica_lag_s", BREACHING,
                  SUSTAINED, "AWS/RDS", ("ReplicaLag",), "Maximum", DATABASE)
        )
    found += [
        replication_latency_alarm(sessions),
        Alarm("PaymentQueueOldestMessage", "sqs-oldest-message", "sqs",
              "Age of the oldest payment event waiting (s)", "sqs_oldest_message_age_s", NOT_BREACHING,
              SUSTAINED, "AWS/SQS",
              ("ApproximateAgeOfOldestMessage",), "Maximum", QUEUE),
        Alarm("PaymentDeadLetterMessages", "sqs-dlq-messages", "sqs",
              "Payment events in the dead-letter queue", "dlq_messages", NOT_BREACHING, ANY, "AWS/SQS",
              ("ApproximateNumberOfMessagesVisible",),
              "Maximum", DEAD_LETTER_QUEUE),
    ]
    for table in tables(site):
        found += [
            Alarm(f"{table.label}Throttles", f"dynamodb-{table.what}-throttles", "dynamodb",
                  f"{table.label} table read + write throttle events", "dynamodb_throttles", NOT_BREACHING,
                  ANY, "AWS/DynamoDB", ("ReadThrottleEvents", "WriteThrottleEvents"), "Sum",
                  {"TableName": table.ref}, expression="FILL(m1, 0) + FILL(m2, 0)"),
            Alarm(f"{table.label}SystemErrors", f"dynamodb-{table.what}-system-errors", "dynamodb",
                  f"{table.label} table system errors, all operations", "dynamodb_system_errors",
                  NOT_BREACHING, ANY, query=system_errors_query(table.ref)),
        ]
    return tuple(found)


def threshold_parameters(site: Site, found: tuple[Alarm, ...]) -> tuple[ThresholdParameter, ...]:
    """One parameter per threshold some alarm uses, in the context's key order."""
    thresholds = site.settings.alarms.model_dump()
    used = {a.threshold for a in found}
    return tuple(
        ThresholdParameter(
            parameter_name(key),
            key,
            value,
            f"Alarm threshold (context alarms.{key}): "
            + "; ".join(a.about for a in found if a.threshold == key),
        )
        for key, value in thresholds.items()
        if key in used
    )


# Dashboard grid: CloudWatch dashboards are 24 units wide; three 8x6 graphs a row.
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
WIDTH, HEIGHT, PER_ROW = 8, 6, 3
SECTIONS = (
    ("alb", "Load balancer"),
    ("lambda", "Payment function"),
    ("rds", "PostgreSQL"),
    ("dynamodb", "DynamoDB"),
    ("sqs", "Payment queue"),
)


def _traffic(site: Site) -> dict[str, list[list[Any]]]:
    """Per dashboard section, the traffic metrics graphed beside its alarms."""
    lb, fn = LOAD_BALANCER["LoadBalancer"], FUNCTION["FunctionName"]
    db, queue = DATABASE["DBInstanceIdentifier"], QUEUE["QueueName"]
    return {
        "alb": [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb, {"stat": "Sum"}]],
        "lambda": [
            ["AWS/Lambda", "Invocations", "FunctionName", fn, {"stat": "Sum"}],
            ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", fn, {"stat": "Maximum", "yAxis": "right"}],
        ],
        "rds": [
            ["AWS/RDS", "ReadIOPS", "DBInstanceIdentifier", db],
            ["AWS/RDS", "WriteIOPS", "DBInstanceIdentifier", db],
        ],
        "dynamodb": [
            ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", t.ref,
             {"stat": "Sum", "label": f"{t.label} writes"}]
            for t in tables(site)
        ],
        "sqs": [
            ["AWS/SQS", "NumberOfMessagesSent", "QueueName", queue, {"stat": "Sum"}],
            ["AWS/SQS", "NumberOfMessagesDeleted", "QueueName", queue, {"stat": "Sum"}],
        ],
    }


def dashboard(site: Site, found: tuple[Alarm, ...]) -> dict[str, Any]:
    """The dashboard body: an alarm status grid, then per section its traffic and alarm graphs."""
    status = {"title": "Alarms", "sortBy": "stateUpdatedTimestamp", "alarms": [a.arn for a in found]}
    widgets: list[dict[str, Any]] = [
        {"type": "alarm", "x": 0, "y": 0, "width": 24, "height": 3, "properties": status}
    ]
    y = 3
    traffic = _traffic(site)
    for key, title in SECTIONS:
        heading = {"markdown": f"## {title}"}
        widgets.append({"type": "text", "x": 0, "y": y, "width": 24, "height": 1, "properties": heading})
        graphs: list[dict[str, Any]] = [{"title": f"{title} traffic", "metrics": traffic[key]}]
        graphs += [
            {"title": a.about, "annotations": {"alarms": [a.arn]}} for a in found if a.section == key
        ]
        for i, graph in enumerate(graphs):
            widgets.append({
                "type": "metric",
                "x": (i % PER_ROW) * WIDTH,
                "y": y + 1 + (i // PER_ROW) * HEIGHT,
                "width": WIDTH,
                "height": HEIGHT,
                "properties": dict(graph, region="${AWS::Region}", view="timeSeries", period=60),
            })
        y += 1 + ((len(graphs) + PER_ROW - 1) // PER_ROW) * HEIGHT
    return {"start": "-PT6H", "periodOverride": "inherit", "widgets": widgets}


def monitoring(site: Site) -> Monitoring:
    found = alarms(site)
    return Monitoring(found, threshold_parameters(site, found), dashboard(site, found), fence_alarm(site))
