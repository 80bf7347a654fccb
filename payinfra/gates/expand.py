"""Expand a SAM template into the plain CloudFormation that checkov and cfn-guard can read.

Offline: samtranslator runs in-process with the managed-policy map it bundles (no IAM call), local
code paths become placeholder S3 URIs (as `sam validate` does), and the parameter values are the
template's defaults plus the region. Metadata of a SAM resource is copied onto every resource
generated from it (so a waiver on a function also covers its generated role), tagged with its origin
so findings on generated resources name the SAM resource to edit.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import boto3
from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from payinfra.cfn import CfnDocumentError, load_cfn_yaml
from payinfra.gates.model import GateError, Template

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
# Metadata key the gate adds to generated resources: the SAM resource they came from.
ORIGIN_KEY = "payinfra:origin"
_PLACEHOLDER_BUCKET = "s3://payinfra-gates-placeholder/"
_LOCAL_URIS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}
# samtranslator logs "There are unpublished metrics" at exit: noise for a gate.
logging.getLogger("samtranslator").setLevel(logging.ERROR)


class StaticManagedPolicyLoader:
    """The managed-policy map samtranslator ships: never asks IAM (no credentials in CI)."""

    def __init__(self, partition: str = "aws") -> None:
        self._partition = partition

    def load(self) -> dict[str, str]:
        return dict(get_bundled_managed_policy_map(self._partition) or {})


def load_template(path: Path) -> Template:
    """Parse a rendered template, or a GateError naming the file and the problem."""
    try:
        text = path.read_text()
    except OSError as err:
        raise GateError(f"{path}: cannot read template ({err.strerror})") from None
    try:
        template = load_cfn_yaml(text, str(path))
    except CfnDocumentError as err:
        raise GateError(str(err)) from None
    if not isinstance(template.get("Resources"), dict):
        raise GateError(f"{path}: not a CloudFormation template (no Resources mapping)")
    return template


def is_sam(template: Template) -> bool:
    transforms = template.get("Transform", [])
    return SAM_TRANSFORM in ([transforms] if isinstance(transforms, str) else transforms)


def parameter_values(template: Template, region: str) -> dict[str, Any]:
    """What a deploy with no overrides would use: each parameter's Default, plus the region."""
    values = {
        name: spec["Default"]
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and "Default" in spec
    }
    values["AWS::Region"] = region
    return values


def expand(template: Template, region: str) -> Template:
    """The plain CloudFormation for `template` (a copy; a template without SAM comes back as is).

    `Fn::GetAtt` is already in the list form the Control Tower rules index (`Fn::GetAtt[0]`):
    `payinfra.cfn` loads `!GetAtt Key.Arn` as `["Key", "Arn"]` and samtranslator writes that form.
    """
    document = copy.deepcopy(template)
    if is_sam(document):
        _placeholder_code_uris(document)
        _mark_origins(document)
        # What `samtranslator.translator.transform.transform` does, with a session pinned to the
        # template's region instead of whatever AWS_DEFAULT_REGION the caller has (or lacks).
        translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
        try:
            document = translator.translate(
                document,
                parameter_values=parameter_values(template, region),
                passthrough_metadata=True,
                get_managed_policy_map=StaticManagedPolicyLoader().load,
            )
        except InvalidDocumentException as err:
            causes = "; ".join(str(cause) for cause in err.causes)
            raise GateError(f"samtranslator rejected the template: {causes}") from None
    return document


def origin_of(resource: dict[str, Any]) -> str | None:
    """The SAM resource a generated resource came from (None for resources written by hand)."""
    metadata = resource.get("Metadata")
    return metadata.get(ORIGIN_KEY) if isinstance(metadata, dict) else None


def _placeholder_code_uris(document: Template) -> None:
    """samtranslator accepts only S3 code locations; local paths get a placeholder URI."""

    def replace(properties: dict[str, Any], key: str) -> None:
        value = properties.get(key)
        if isinstance(value, str) and not value.startswith("s3://"):
            properties[key] = _PLACEHOLDER_BUCKET + value.lstrip("./")

    function_globals = (document.get("Globals") or {}).get("Function")
    if isinstance(function_globals, dict):
        replace(function_globals, "CodeUri")
    for resource in document["Resources"].values():
        key = _LOCAL_URIS.get(resource.get("Type", "")) if isinstance(resource, dict) else None
        if key and isinstance(resource.get("Properties"), dict):
            replace(resource["Properties"], key)


def _mark_origins(document: Template) -> None:
    """Tag SAM resources that carry Metadata so the copies on generated resources name them."""
    for logical_id, resource in document["Resources"].items():
        if (
            isinstance(resource, dict)
            and str(resource.get("Type", "")).startswith("AWS::Serverless::")
            and isinstance(resource.get("Metadata"), dict)
        ):
            resource["Metadata"] = {**resource["Metadata"], ORIGIN_KEY: logical_id}


def write_expanded(template: Template, path: Path) -> Path:
    """JSON, so that checkov and cfn-guard read exactly what the gate's own checks read."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(template, indent=1) + "\n")
    except OSError as err:
        raise GateError(f"cannot write the expanded template to {path}: {err.strerror}") from None
    return path
