"""WAFv2 web ACLs, their associations and logging configurations described through the WAFv2 API.

A web ACL's physical ID is its `Ref`, `<name>|<id>|<scope>`
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wafv2-webacl.html#aws-resource-wafv2-webacl-return-values);
an association's, as the emulator reports it, `<web-acl-arn>|<resource-arn>`; a logging
configuration's the web ACL's ARN.
"""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers

SERVICE = ServiceCheckers("wafv2")


@SERVICE.describes("AWS::WAFv2::WebACL")
def web_acl(c: Clients, pid: str) -> str:
    name, acl_id, scope = pid.split("|")
    acl = c("wafv2").get_web_acl(Name=name, Id=acl_id, Scope=scope)["WebACL"]
    return f"{len(acl.get('Rules', []))} rules"


@SERVICE.describes("AWS::WAFv2::WebACLAssociation")
def web_acl_association(c: Clients, pid: str) -> str:
    acl_arn, _, resource_arn = pid.partition("|")
    acl = c("wafv2").get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL")
    if not acl or acl["ARN"] != acl_arn:
        raise Missing(f"{resource_arn} is not associated with {acl_arn}")
    return f"{acl['Name']} on {resource_arn.rsplit('/', 2)[-2]}"


@SERVICE.describes("AWS::WAFv2::LoggingConfiguration")
def waf_logging(c: Clients, pid: str) -> str:
    conf = c("wafv2").get_logging_configuration(ResourceArn=pid)["LoggingConfiguration"]
    return "-> " + ",".join(d.rsplit(":", 1)[-1] for d in conf["LogDestinationConfigs"])


@SERVICE.reads_back(
    "AWS::WAFv2::WebACL",
    CFN_DOCS + "aws-resource-wafv2-webacl.html",
    Prop("DefaultAction", "DefaultAction"),
    Prop("Rules.*.Name", "Rules.*.Name"),
    Prop("Rules.*.Priority", "Rules.*.Priority"),
)
def _web_acl_view(c: Clients, pid: str) -> dict[str, Any]:
    name, acl_id, scope = pid.split("|")
    result: dict[str, Any] = c("wafv2").get_web_acl(Name=name, Id=acl_id, Scope=scope)["WebACL"]
    return result


# ListResourcesForWebACL lists one resource type per call, named by the protected resource's
# service: https://docs.aws.amazon.com/waf/latest/APIReference/API_ListResourcesForWebACL.html
WAF_RESOURCE_TYPES = {
    "elasticloadbalancing": "APPLICATION_LOAD_BALANCER",
    "apigateway": "API_GATEWAY",
    "appsync": "APPSYNC",
    "cognito-idp": "COGNITO_USER_POOL",
    "apprunner": "APP_RUNNER_SERVICE",
    "ec2": "VERIFIED_ACCESS_INSTANCE",
    "amplify": "AMPLIFY",
}


@SERVICE.reads_back(
    "AWS::WAFv2::WebACLAssociation",
    CFN_DOCS + "aws-resource-wafv2-webaclassociation.html",
    Prop("WebACLArn", "WebACLArn"),
    Prop("ResourceArn", "ListResourcesForWebACL", "member"),
)
def _web_acl_association_view(c: Clients, pid: str) -> dict[str, Any]:
    acl_arn, _, resource_arn = pid.partition("|")
    acl = c("wafv2").get_web_acl_for_resource(ResourceArn=resource_arn).get("WebACL") or {}
    resource_type = WAF_RESOURCE_TYPES.get(resource_arn.split(":")[2] if resource_arn.count(":") > 2 else "")
    listed = c("wafv2").list_resources_for_web_acl(
        WebACLArn=acl_arn, **({"ResourceType": resource_type} if resource_type else {})
    )["ResourceArns"]
    return {"WebACLArn": acl.get("ARN"), "ListResourcesForWebACL": listed}


@SERVICE.reads_back(
    "AWS::WAFv2::LoggingConfiguration",
    CFN_DOCS + "aws-resource-wafv2-loggingconfiguration.html",
    Prop("LogDestinationConfigs", "LogDestinationConfigs", "set"),
    Prop("RedactedFields", "RedactedFields"),
)
def _waf_logging_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("wafv2").get_logging_configuration(ResourceArn=pid)["LoggingConfiguration"]
    return result


def _web_acl_arn(c: Clients, pid: str) -> str:
    result: str = _web_acl_view(c, pid)["ARN"]
    return result


SERVICE.reads_attribute("AWS::WAFv2::WebACL", "Arn", _web_acl_arn)
SERVICE.reads_attribute("AWS::WAFv2::WebACL", "Id", lambda c, pid: pid.split("|")[1])
