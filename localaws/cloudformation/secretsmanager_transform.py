"""Accept the `AWS::SecretsManager` transform the way this backend can: without its Lambda.

On AWS, `AWS::SecretsManager-2020-07-23` (or `-2024-09-16`) is a macro that turns each
`AWS::SecretsManager::RotationSchedule` with a `HostedRotationLambda` into a nested stack holding
a rotation function built from AWS-hosted code, and points the schedule at it
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/transform-aws-secretsmanager.html).
moto 5.2.5 processes no transform, and `sam_transform` refuses every transform but SAM's. This
processor runs just before the SAM transform (transforms run in the order the template lists
them): it checks what the macro would check (a `RotationType` on every hosted rotation, the
transform declared wherever `HostedRotationLambda` is used) and removes the transform from the
list. The hosted Lambda itself cannot be fetched or run here, so the schedule keeps its
`HostedRotationLambda`, and the `RotationSchedule` model (services/secretsmanager/secret.py) records the
rules without a rotation function; `verify` says "not performed by this backend".
"""

from __future__ import annotations

from typing import Any

from localaws._moto import ValidationError
from localaws.patching import Patcher

from . import template_hook

SECRETS_MANAGER_TRANSFORMS = frozenset({"AWS::SecretsManager-2020-07-23", "AWS::SecretsManager-2024-09-16"})
ROTATION_SCHEDULE = "AWS::SecretsManager::RotationSchedule"


def _hosted_rotations(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    resources = template.get("Resources") or {}
    return {
        logical_id: (resource.get("Properties") or {})["HostedRotationLambda"]
        for logical_id, resource in resources.items()
        if isinstance(resource, dict)
        and resource.get("Type") == ROTATION_SCHEDULE
        and "HostedRotationLambda" in (resource.get("Properties") or {})
    }


def expand_secrets_manager(
    template: dict[str, Any], context: template_hook.TemplateContext
) -> dict[str, Any]:
    """Strip the `AWS::SecretsManager` transform after checking its resources; else pass through."""
    declared = template.get("Transform") or []
    transforms = [declared] if isinstance(declared, str) else list(declared)
    ours = [t for t in transforms if t in SECRETS_MANAGER_TRANSFORMS]
    hosted = _hosted_rotations(template)
    if not ours:
        if hosted:
            raise ValidationError(
                message=f"{', '.join(sorted(hosted))}: HostedRotationLambda needs the "
                "AWS::SecretsManager-2020-07-23 (or -2024-09-16) transform declared in the template"
            )
        return template
    if len(ours) > 1:
        raise ValidationError(message=f"declare one AWS::SecretsManager transform, not {', '.join(ours)}")
    missing = sorted(logical_id for logical_id, spec in hosted.items() if not spec.get("RotationType"))
    if missing:
        raise ValidationError(
            message=f"{', '.join(missing)}: HostedRotationLambda requires RotationType (transform {ours[0]})"
        )
    rest = [t for t in transforms if t not in SECRETS_MANAGER_TRANSFORMS]
    processed = dict(template)
    if rest:
        processed["Transform"] = rest
    else:
        processed.pop("Transform", None)
    return processed


def apply(patcher: Patcher) -> None:
    template_hook.install(patcher, expand_secrets_manager)
