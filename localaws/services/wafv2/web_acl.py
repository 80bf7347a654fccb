"""CloudFormation support for WAFv2 web ACLs, their associations and logging configurations.

moto 5.2.5 implements the WAFv2 API (CreateWebACL, AssociateWebACL, PutLoggingConfiguration)
but has no CloudFormation model for `AWS::WAFv2::WebACL`, `WebACLAssociation` or
`LoggingConfiguration`: the stack skips them and reports success, so the ALB is unprotected
and GetWebACLForResource finds nothing. These models call that API. Physical IDs follow
CloudFormation: a web ACL's `Ref` is `name|id|scope`; an association's is
`<web ACL ARN>|<resource ARN>`; a logging configuration's is the web ACL ARN.

moto also lacks ListResourcesForWebACL (HTTP 500 "not implemented"), the call that lists what
a web ACL protects: here it lists the associated resources of the requested type (default
APPLICATION_LOAD_BALANCER), and answers WAFNonexistentItemException for an unknown web ACL, as
https://docs.aws.amazon.com/waf/latest/APIReference/API_ListResourcesForWebACL.html says.
"""

from __future__ import annotations

import json
from typing import Any

from localaws._moto import TYPE_RESPONSE, WAFNonexistentItemException, WAFV2Response, wafv2_backends
from localaws.patching import EmulatorModel, Patcher


def _backend(account_id: str, region_name: str, scope: str = "REGIONAL") -> Any:
    # moto keeps CLOUDFRONT-scoped ACLs in its us-east-1 backend.
    return wafv2_backends[account_id]["us-east-1" if scope == "CLOUDFRONT" else region_name]


class WebAclModel(EmulatorModel):
    ATTRIBUTES = ("Arn", "Id", "Capacity", "LabelNamespace")

    def __init__(self, acl: Any, scope: str) -> None:
        self.arn, self.name, self.id, self.scope = acl.arn, acl.name, acl.id, scope
        self.physical_resource_id = f"{acl.name}|{acl.id}|{scope}"
        self.attributes = {
            "Arn": acl.arn,
            "Id": acl.id,
            "Capacity": "0",
            "LabelNamespace": f"awswaf:{acl.arn.split(':')[4]}:webacl:{acl.name}:",
        }

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACL"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> WebAclModel:
        p = cloudformation_json["Properties"]
        scope = p["Scope"]
        acl = _backend(account_id, region_name, scope).create_web_acl(
            name=resource_name,
            visibility_config=p["VisibilityConfig"],
            default_action=p["DefaultAction"],
            scope=scope,
            description=p.get("Description"),
            tags=p.get("Tags", []),
            rules=p.get("Rules", []),
            association_config=p.get("AssociationConfig"),
            captcha_config=p.get("CaptchaConfig"),
            challenge_config=p.get("ChallengeConfig"),
            custom_response_bodies=p.get("CustomResponseBodies"),
            token_domains=p.get("TokenDomains"),
        )
        return cls(acl, scope)

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name, self.scope)
        acl = backend.wacls.get(self.arn)
        if acl is not None:
            backend.delete_web_acl(self.name, self.scope, self.id, acl.lock_token)


class WebAclAssociationModel(EmulatorModel):
    def __init__(self, web_acl_arn: str, resource_arn: str) -> None:
        self.resource_arn = resource_arn
        self.physical_resource_id = f"{web_acl_arn}|{resource_arn}"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::WebACLAssociation"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> WebAclAssociationModel:
        p = cloudformation_json["Properties"]
        _backend(account_id, region_name).associate_web_acl(p["WebACLArn"], p["ResourceArn"])
        return cls(p["WebACLArn"], p["ResourceArn"])

    def delete(self, account_id: str, region_name: str) -> None:
        _backend(account_id, region_name).disassociate_web_acl(self.resource_arn)


class LoggingConfigurationModel(EmulatorModel):
    def __init__(self, web_acl_arn: str) -> None:
        self.physical_resource_id = web_acl_arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::WAFv2::LoggingConfiguration"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> LoggingConfigurationModel:
        p = cloudformation_json["Properties"]
        _backend(account_id, region_name).put_logging_configuration(
            p["ResourceArn"],
            p["LogDestinationConfigs"],
            p.get("RedactedFields"),
            False,
            p.get("LoggingFilter"),
        )
        return cls(p["ResourceArn"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.physical_resource_id in backend.logging_configurations:
            backend.delete_logging_configuration(self.physical_resource_id)


# The resource types ListResourcesForWebACL distinguishes, by the protected resource ARN's service
# (https://docs.aws.amazon.com/waf/latest/APIReference/API_ListResourcesForWebACL.html).
RESOURCE_TYPES = {
    "elasticloadbalancing": "APPLICATION_LOAD_BALANCER",
    "apigateway": "API_GATEWAY",
    "appsync": "APPSYNC",
    "cognito-idp": "COGNITO_USER_POOL",
    "apprunner": "APP_RUNNER_SERVICE",
    "ec2": "VERIFIED_ACCESS_INSTANCE",
    "amplify": "AMPLIFY",
}


def _resource_type(resource_arn: str) -> str | None:
    parts = resource_arn.split(":")
    return RESOURCE_TYPES.get(parts[2]) if len(parts) > 2 else None


def list_resources_for_web_acl(self: WAFV2Response) -> TYPE_RESPONSE:
    body = json.loads(self.body)
    acl = self.wafv2_backend.wacls.get(body["WebACLArn"])
    if acl is None:
        raise WAFNonexistentItemException
    wanted = body.get("ResourceType") or "APPLICATION_LOAD_BALANCER"
    arns = [arn for arn in acl.associated_resources if _resource_type(arn) == wanted]
    return 200, {"Content-Type": "application/json"}, json.dumps({"ResourceArns": arns})


def apply(patcher: Patcher) -> None:
    patcher.register_models((WebAclModel, WebAclAssociationModel, LoggingConfigurationModel))
    patcher.replace(WAFV2Response, "list_resources_for_web_acl", list_resources_for_web_acl)
