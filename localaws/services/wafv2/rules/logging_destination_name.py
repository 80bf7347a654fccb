"""WAF001: a WAF logging destination's name must start with `aws-waf-logs-`.

WAF Developer Guide, logging destinations, "Amazon CloudWatch Logs" (Log group naming): "Your log
group names must start with aws-waf-logs-"; the S3 and Data Firehose pages say the same of bucket
and delivery stream names, and the PutLoggingConfiguration reference requires it of every
destination. WAF refuses another name with WAFInvalidParameterException (field LOG_DESTINATION);
moto stores any ARN, so logging that never works on AWS looked configured here. The check runs on
`WAFV2Backend.put_logging_configuration`, the path of the API and of the `wafv2` fix's
`AWS::WAFv2::LoggingConfiguration` model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import JsonRESTError, WAFV2Backend
from localaws.patching import Patcher

ID = "WAF001"
TITLE = "a WAF logging destination's name must start with aws-waf-logs-"
DOC_URL = "https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html"
API_URL = "https://docs.aws.amazon.com/waf/latest/APIReference/API_PutLoggingConfiguration.html"
PREFIX = "aws-waf-logs-"


class WAFInvalidParameterException(JsonRESTError):
    """WAFV2: a parameter value WAF refuses (named after the code, for a failed stack's reason)."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("WAFInvalidParameterException", message)


def destination_name(arn: str) -> str | None:
    """The named resource of a CloudWatch Logs, S3 or Firehose ARN; None for anything else."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "logs" and resource.startswith("log-group:"):
        return resource.removeprefix("log-group:").removesuffix(":*")
    if service == "s3":
        return resource.split("/", 1)[0]
    if service == "firehose" and resource.startswith("deliverystream/"):
        return resource.removeprefix("deliverystream/")
    return None


def check(destinations: Any) -> None:
    for arn in destinations or []:
        name = destination_name(str(arn))
        if name is not None and not name.startswith(PREFIX):
            raise WAFInvalidParameterException(
                f"Error reason: The logging destination name {name!r} must start with {PREFIX!r}, "
                f"field: LOG_DESTINATION, parameter: {arn} [{ID}, {DOC_URL}]"
            )


def _put(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_logging_configuration(
        self: WAFV2Backend, arn: str, log_destination_configs: list[str], *args: Any, **kwargs: Any
    ) -> Any:
        check(log_destination_configs)
        return original(self, arn, log_destination_configs, *args, **kwargs)

    return put_logging_configuration


def apply(patcher: Patcher) -> None:
    patcher.replace(WAFV2Backend, "put_logging_configuration", _put(WAFV2Backend.put_logging_configuration))
