"""Route 53 health checks that keep their whole configuration and answer from state.

moto 5.2.5 drops a health check's `AlarmIdentifier` and `InsufficientDataHealthStatus` (API and
CloudFormation), and its CloudFormation model also drops `ChildHealthChecks`,
`HealthThreshold`, `Inverted`, `Disabled` and `Regions`; GetHealthCheckStatus always answers
"Success: HTTP Status Code: 200" and GetHealthCheckLastFailureReason has no route. So a
CLOUDWATCH_METRIC check cannot follow its alarm and no failover can be observed. Here the
configuration is kept and read back (GetHealthCheck shows AlarmIdentifier and
InsufficientDataHealthStatus), and both status operations answer from `health.status`
(the rules Route 53 applies per check type are in that module). moto's model also has no
`delete`, so a stack's health checks outlived it; deleting the stack now deletes them, as
CloudFormation does.
https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckStatus.html
https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetHealthCheckLastFailureReason.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-route53-healthcheck-healthcheckconfig.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import ActionResult, route53_backends
from localaws.patching import Patcher

from . import health
from .wiring import health_check_class, response_class, urls_module

LAST_FAILURE_PATH = r"{0}/(?P<api_version>[\d_-]+)/healthcheck/(?P<health_check_id>[^/]+)/lastfailurereason$"


def _bool(value: Any) -> bool:
    return str(value).lower() == "true"


def keep_config(check: Any, config: dict[str, Any]) -> None:
    """Record on moto's check what its HealthCheckConfig says and moto does not keep."""
    check.alarm_identifier = config.get("AlarmIdentifier")
    check.insufficient_data_health_status = config.get("InsufficientDataHealthStatus")
    if config.get("ChildHealthChecks"):
        check.set_children(list(config["ChildHealthChecks"]))
    if config.get("Regions"):
        check.set_regions(list(config["Regions"]))
    if config.get("HealthThreshold") is not None:
        check.health_threshold = int(config["HealthThreshold"])
    check.inverted = _bool(config.get("Inverted", check.inverted))
    check.disabled = _bool(config.get("Disabled", check.disabled))


def _config_property(original: property) -> property:
    def health_check_config(self: Any) -> dict[str, Any]:
        config: dict[str, Any] = original.fget(self)  # type: ignore[misc]
        if self.__dict__.get("alarm_identifier"):
            config["AlarmIdentifier"] = self.alarm_identifier
        if self.__dict__.get("insufficient_data_health_status"):
            config["InsufficientDataHealthStatus"] = self.insufficient_data_health_status
        return config

    return property(health_check_config)


def _create_from_api(original: Callable[[Any], ActionResult]) -> Callable[[Any], ActionResult]:
    def create_health_check(self: Any) -> ActionResult:
        result = original(self)
        check = result.result["HealthCheck"]  # type: ignore[index]
        keep_config(check, self._get_param("HealthCheckConfig") or {})
        return result

    return create_health_check


def _create_from_template(original: Callable[..., Any]) -> Callable[..., Any]:
    def create(resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        check = original(resource_name, cloudformation_json, *args, **kwargs)
        keep_config(check, cloudformation_json["Properties"]["HealthCheckConfig"])
        return check

    return create


def get_health_check_status(self: Any) -> ActionResult:
    check_id = self._get_param("HealthCheckId")
    check = self.backend.get_health_check(check_id)  # NoSuchHealthCheck as moto raises it
    now = health.status(self.current_account, check_id)
    return ActionResult({"HealthCheckObservations": health.observations(check, now.checked_at, now.reason)})


def get_health_check_last_failure_reason(self: Any) -> ActionResult:
    check_id = self._get_param("HealthCheckId")
    check = self.backend.get_health_check(check_id)
    failure = health.last_failure(self.current_account, check_id)
    found = [] if failure is None else health.observations(check, failure[0], failure[1])
    return ActionResult({"HealthCheckObservations": found})


def _delete(self: Any, account_id: str, region_name: str) -> None:
    """The stack's delete: the check leaves the account's Route 53 (a global service)."""
    route53_backends[account_id]["aws"].delete_health_check(self.id)


def apply(patcher: Patcher) -> None:
    responses = response_class()
    urls = urls_module()
    patcher.replace(urls, "url_paths", {**urls.url_paths, LAST_FAILURE_PATH: responses.dispatch})
    patcher.replace(responses, "create_health_check", _create_from_api(responses.create_health_check))
    patcher.replace(responses, "get_health_check_status", get_health_check_status)
    patcher.replace(responses, "get_health_check_last_failure_reason", get_health_check_last_failure_reason)
    health.record_fault_changes(patcher)
    model = health_check_class()
    patcher.replace(model, "health_check_config", _config_property(model.health_check_config))
    patcher.wrap_classmethod(model, "create_from_cloudformation_json", _create_from_template)
    patcher.replace(model, "delete", _delete)
