"""Run the SAM transform (`AWS::Serverless-2016-10-31`) server-side, as CloudFormation does.

moto 5.2.5 ignores `Transform`: a SAM template's `AWS::Serverless::*` resources are logged as
"No Moto CloudFormation support" and skipped while the stack reports success, so no function
exists. Here the installed `aws-sam-translator` (the same one SAM CLI uses) turns the template
into plain CloudFormation before moto parses it. Managed policies named in `Policies` resolve
against moto's list of AWS managed policies (no IAM call leaves the process).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from localaws._moto import ValidationError
from localaws.patching import Patcher

from . import template_hook

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


class _MotoManagedPolicies:
    """`ManagedPolicyLoader` stand-in: AWS managed policy names to ARNs from moto's bundled data."""

    @functools.cache  # noqa: B019 - one loader per process; the data never changes
    def load(self) -> dict[str, str]:
        from localaws._moto import aws_managed_policies_data

        return {name: f"arn:aws:iam::aws:policy/{name}" for name in json.loads(aws_managed_policies_data)}


def _transforms(template: dict[str, Any]) -> list[str]:
    declared = template.get("Transform") or []
    return [declared] if isinstance(declared, str) else list(declared)


def transform_sam(template: dict[str, Any], context: template_hook.TemplateContext) -> dict[str, Any]:
    """Return the CloudFormation form of a SAM template; other templates pass unchanged."""
    transforms = _transforms(template)
    if not transforms:
        return template
    unsupported = [t for t in transforms if t != SAM_TRANSFORM]
    if unsupported:
        raise ValidationError(
            message=f"The local emulator runs only the {SAM_TRANSFORM} transform, "
            f"not {', '.join(unsupported)}"
        )
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    # What `samtranslator.translator.transform.transform` does, with the stack's region given
    # explicitly (the server process need not have AWS_DEFAULT_REGION).
    # The translator records usage metrics and warns on exit when nobody publishes them; here
    # they go to samtranslator's own no-op publisher, published right after the translation.
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(
        None, Parser(), boto_session=boto3.Session(region_name=context.region), metrics=metrics
    )
    parameter_values = context.parameter_values(template)
    to_py27_compatible_template(template, parameter_values)
    try:
        translated = translator.translate(
            template, parameter_values=parameter_values, get_managed_policy_map=_MotoManagedPolicies().load
        )
    except InvalidDocumentException as exc:
        causes = "; ".join(str(cause) for cause in exc.causes)
        raise ValidationError(message=f"Transform {SAM_TRANSFORM} failed: {causes}") from exc
    finally:
        metrics.publish()
    result: dict[str, Any] = undo_mark_unicode_str_in_template(translated)
    return result


def apply(patcher: Patcher) -> None:
    template_hook.install(patcher, transform_sam)
