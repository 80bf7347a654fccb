"""Keep an `AWS::Lambda::Function`'s tracing, key, logging and architecture settings.

moto 5.2.5's CloudFormation model passes only Description, MemorySize, Publish, Timeout,
VpcConfig, Environment and ReservedConcurrentExecutions to CreateFunction: a function whose
template declares `TracingConfig: {Mode: Active}`, `KmsKeyArn` (the CMK that encrypts its
environment variables), `LoggingConfig` or `Architectures` describes `TracingConfig: PassThrough`,
no `KMSKeyArn` and x86_64 (the SAM transform turns `Tracing`/`KmsKeyArn`/`LoggingConfig` into
exactly these properties, so every SAM function here loses them). moto's function has no
`LoggingConfig` at all: GetFunctionConfiguration omits it, where AWS always returns one (the
default group `/aws/lambda/<name>`, format `Text`).

moto's UpdateFunctionConfiguration ignores `TracingConfig`, `KMSKeyArn` and `LoggingConfig` too.

Here creation and update from CloudFormation carry these properties (CloudFormation's
`KmsKeyArn` is the API's `KMSKeyArn`), UpdateFunctionConfiguration applies them, and every
function (API-created too) describes its `LoggingConfig` as AWS does.
- https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-tracingconfig.html
- https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-lambda-function-loggingconfig.html
- https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import LambdaFunction
from localaws.patching import Patcher

# CloudFormation property -> the API field moto's function keeps it in (as an attribute).
_KEPT = {
    "TracingConfig": "tracing_config",
    "KmsKeyArn": "kms_key_arn",
    "Architectures": "architectures",
    "LoggingConfig": "logging_config",
}


def _keep_properties(function: LambdaFunction, properties: dict[str, Any]) -> None:
    for prop, attr in _KEPT.items():
        if prop in properties:
            setattr(function, attr, properties[prop])


def _on_create(original: Callable[..., LambdaFunction]) -> Callable[..., LambdaFunction]:
    def create(
        resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any
    ) -> LambdaFunction:
        function = original(resource_name, cloudformation_json, *args, **kwargs)
        _keep_properties(function, cloudformation_json.get("Properties", {}))
        return function

    return create


def _on_update(original: Callable[..., LambdaFunction]) -> Callable[..., LambdaFunction]:
    def update(
        original_resource: LambdaFunction,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> LambdaFunction:
        function = original(original_resource, new_resource_name, cloudformation_json, *args, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        # A property removed from the template goes back to AWS's default.
        function.tracing_config = properties.get("TracingConfig") or {"Mode": "PassThrough"}
        function.kms_key_arn = properties.get("KmsKeyArn")
        vars(function)["logging_config"] = properties.get("LoggingConfig")  # moto 5.2.5 has no such attribute
        _keep_properties(function, properties)
        return function

    return update


# UpdateFunctionConfiguration field -> moto's attribute.
_API_FIELDS = {
    "TracingConfig": "tracing_config",
    "KMSKeyArn": "kms_key_arn",
    "LoggingConfig": "logging_config",
}


def _update_configuration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def update_configuration(self: LambdaFunction, config_updates: dict[str, Any]) -> dict[str, Any]:
        for field, attr in _API_FIELDS.items():
            if field in config_updates:
                setattr(self, attr, config_updates[field] or None)
        if "TracingConfig" in config_updates and not self.tracing_config:
            self.tracing_config = {"Mode": "PassThrough"}
        return original(self, config_updates)

    return update_configuration


def _init_keeping_logging(original: Callable[..., None]) -> Callable[..., None]:
    def init(self: LambdaFunction, account_id: str, spec: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        original(self, account_id, spec, *args, **kwargs)
        vars(self)["logging_config"] = spec.get("LoggingConfig")  # moto 5.2.5 has no such attribute

    return init


def _configuration_with_logging(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def get_configuration(self: LambdaFunction, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = original(self, *args, **kwargs)
        declared = getattr(self, "logging_config", None) or {}
        config["LoggingConfig"] = {
            "LogFormat": "Text",
            "LogGroup": f"/aws/lambda/{self.function_name}",
            **declared,
        }
        return config

    return get_configuration


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(LambdaFunction, "create_from_cloudformation_json", _on_create)
    patcher.wrap_classmethod(LambdaFunction, "update_from_cloudformation_json", _on_update)
    patcher.replace(LambdaFunction, "__init__", _init_keeping_logging(LambdaFunction.__init__))
    patcher.replace(
        LambdaFunction, "update_configuration", _update_configuration(LambdaFunction.update_configuration)
    )
    patcher.replace(
        LambdaFunction, "get_configuration", _configuration_with_logging(LambdaFunction.get_configuration)
    )
