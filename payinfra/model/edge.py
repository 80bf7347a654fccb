"""The load balancer's timings and the WAF web ACL's rule data.

One body limit for edge and API, written once in the handler (`payment_processor/limits.py`):
WAF in front of an ALB inspects at most the first 8 KB of a body and the common rule set's
SizeRestrictions_BODY blocks anything larger with a bare 403
(https://docs.aws.amazon.com/waf/latest/developerguide/web-acl-setting-body-inspection-limit.html).
That managed rule only counts here; the `body-size-limit` rule blocks the same requests with the
handler's own 413 JSON body (custom responses:
https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-for-blocked-requests.html;
413 is a supported code:
https://docs.aws.amazon.com/waf/latest/developerguide/customizing-the-response-status-codes.html).
WAF only delivers logs to a log group whose name starts with `aws-waf-logs-` (the name in
`payinfra.topology.names`).
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.model.handler_limits import payment_limits
from payinfra.model.site import Site

# ALB access logs go under this prefix of the log bucket; the bucket policy (storage) grants it.
ALB_LOG_PREFIX = "alb"
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


@dataclass(frozen=True)
class Alb:
    """ALB and target-group timings: design constants, the same in every region and environment."""

    idle_timeout_s: int = 60
    access_log_prefix: str = ALB_LOG_PREFIX
    health_check_interval_s: int = 15
    health_check_timeout_s: int = 5
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    deregistration_delay_s: int = 30


@dataclass(frozen=True)
class BodyLimit:
    bytes: int
    response_key: str
    response_body: str
    managed_rule: str  # the managed rule that would otherwise answer 403 first (set to count)
    managed_group: str


@dataclass(frozen=True)
class Edge:
    alb: Alb
    waf_log_group_name: str  # `Fn::Sub` string
    managed_rule_groups: tuple[str, ...]
    body_limit: BodyLimit


def edge(site: Site) -> Edge:
    limits = payment_limits()
    return Edge(
        alb=Alb(),
        waf_log_group_name=site.names.sub("log_group_waf"),
        managed_rule_groups=MANAGED_RULE_GROUPS,
        body_limit=BodyLimit(
            bytes=limits.MAX_BODY_BYTES,
            response_key="payload-too-large",
            response_body=limits.payload_too_large_body(site.name),
            managed_rule="SizeRestrictions_BODY",
            managed_group="AWSManagedRulesCommonRuleSet",
        ),
    )
