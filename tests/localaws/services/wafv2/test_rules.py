"""WAF001: a WAF logging destination's name must start with `aws-waf-logs-` (API and CloudFormation)."""

from __future__ import annotations

from typing import Any

import pytest

from localaws.services.wafv2.rules.logging_destination_name import destination_name

from ...rules.support import (
    ACCOUNT,
    STRICT_OR_NOT,
    only_resources_of,
    refused,
    rendered_resources,
    stack_outcome,
    strict,
    strict_unless,
)

REGION_ACCOUNT = "${AWS::Region}:${AWS::AccountId}"
VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "acl"}


def _log_group_arn(name: str) -> str:
    return f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}"


def _web_acl(client: Any) -> tuple[Any, str]:
    waf = client("wafv2")
    summary = waf.create_web_acl(
        Name="acl", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY
    )["Summary"]
    return waf, summary["ARN"]


def _put(waf: Any, acl: str, destination: str) -> Any:
    return waf.put_logging_configuration(
        LoggingConfiguration={"ResourceArn": acl, "LogDestinationConfigs": [destination]}
    )


def _template(log_group: str) -> dict[str, Any]:
    return {
        "Resources": {
            "WebAcl": {
                "Type": "AWS::WAFv2::WebACL",
                "Properties": {
                    "Scope": "REGIONAL",
                    "DefaultAction": {"Allow": {}},
                    "VisibilityConfig": VISIBILITY,
                },
            },
            "LogGroup": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": log_group}},
            "Logging": {
                "Type": "AWS::WAFv2::LoggingConfiguration",
                "Properties": {
                    "ResourceArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
                    "LogDestinationConfigs": [
                        {"Fn::Sub": f"arn:${{AWS::Partition}}:logs:{REGION_ACCOUNT}:log-group:${{LogGroup}}"}
                    ],
                },
            },
        }
    }


@STRICT_OR_NOT
def test_logging_to_a_log_group_without_the_prefix_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "WAF001") as client:
        client("logs").create_log_group(logGroupName="waf-logs")
        waf, acl = _web_acl(client)
        if not is_strict:
            _put(waf, acl, _log_group_arn("waf-logs"))  # moto alone stores a destination WAF refuses
            return
        message = refused(
            lambda: _put(waf, acl, _log_group_arn("waf-logs")), "WAFInvalidParameterException", "WAF001"
        )
        assert "'waf-logs' must start with 'aws-waf-logs-'" in message and "LOG_DESTINATION" in message
        assert waf.list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"] == []


def test_a_log_group_with_the_prefix_is_accepted() -> None:
    with strict() as client:
        client("logs").create_log_group(logGroupName="aws-waf-logs-payments")
        waf, acl = _web_acl(client)
        _put(waf, acl, _log_group_arn("aws-waf-logs-payments"))
        logged = waf.get_logging_configuration(ResourceArn=acl)["LoggingConfiguration"]
        assert logged["LogDestinationConfigs"] == [_log_group_arn("aws-waf-logs-payments")]


@pytest.mark.parametrize(
    ("arn", "name"),
    [
        (_log_group_arn("aws-waf-logs-a"), "aws-waf-logs-a"),
        (_log_group_arn("aws-waf-logs-a") + ":*", "aws-waf-logs-a"),
        ("arn:aws:s3:::my-bucket", "my-bucket"),
        (f"arn:aws:firehose:us-east-1:{ACCOUNT}:deliverystream/aws-waf-logs-b", "aws-waf-logs-b"),
        ("arn:aws:sqs:us-east-1:123456789012:q", None),
        ("not-an-arn", None),
    ],
)
def test_the_destination_name_is_read_from_each_documented_destination_arn(
    arn: str, name: str | None
) -> None:
    assert destination_name(arn) == name


def test_an_s3_bucket_without_the_prefix_is_refused_too() -> None:
    with strict() as client:
        waf, acl = _web_acl(client)
        refused(
            lambda: _put(waf, acl, "arn:aws:s3:::payments-logs"), "WAFInvalidParameterException", "WAF001"
        )
        _put(waf, acl, "arn:aws:s3:::aws-waf-logs-payments")


def test_a_stack_logging_to_an_unprefixed_group_rolls_back_and_its_valid_twin_is_created() -> None:
    with strict() as client:
        status, reasons = stack_outcome(client, "bad", _template("payments-waf"))
        assert status == "ROLLBACK_COMPLETE", reasons
        assert "WAFInvalidParameterException" in reasons and "WAF001" in reasons
        assert stack_outcome(client, "good", _template("aws-waf-logs-payments"))[0] == "CREATE_COMPLETE"
        assert (
            len(client("wafv2").list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"]) == 1
        )
    with strict(skip={"WAF001"}) as client:  # moto alone (with the fix's model) creates it
        assert stack_outcome(client, "bad", _template("payments-waf"))[0] == "CREATE_COMPLETE"


def test_the_projects_waf_log_group_has_the_prefix() -> None:
    resources = rendered_resources()
    logging = only_resources_of(resources, "AWS::WAFv2::LoggingConfiguration")
    assert logging, "the rendered primary template configures no WAF logging"
    for configuration in logging.values():
        for destination in configuration["Properties"]["LogDestinationConfigs"]:
            group = destination.rsplit("${", 1)[-1].rstrip("}") if "${" in destination else None
            name = resources[group]["Properties"]["LogGroupName"] if group else destination_name(destination)
            assert str(name).startswith("aws-waf-logs-"), name
