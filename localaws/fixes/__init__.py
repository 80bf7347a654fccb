"""Fixes that make moto 5.2.5 a faithful enough CloudFormation target for this project's pipeline.

Each module in this package closes one measured gap (see the module docstring for the moto
behaviour and why it matters) through `apply(patcher)`. `apply_fixes()` applies them all, in
the order of `FIXES`, and returns the `Patcher` that reverts them. They patch moto internals,
so moto is pinned exactly: importing this package with another moto version fails loudly.
"""

from __future__ import annotations

from importlib.metadata import version
from types import ModuleType

PINNED_MOTO_VERSION = "5.2.5"


class MotoVersionError(RuntimeError):
    """The installed moto is not the version these fixes were written and tested against."""


def _check_moto_version() -> None:
    installed = version("moto")
    if installed != PINNED_MOTO_VERSION:
        raise MotoVersionError(
            f"localaws patches moto internals and supports moto=={PINNED_MOTO_VERSION} only; "
            f"moto {installed} is installed. Install the pinned version "
            f"(pip install 'moto[server]=={PINNED_MOTO_VERSION}') or port and re-test the fixes in "
            "localaws/fixes/."
        )


_check_moto_version()

# Imported only after the version check: these modules reach into moto's internals.
from . import (  # noqa: E402
    changeset_diff,
    changeset_outputs,
    cloudwatch_alarm,
    deletion,
    dynamic_references,
    dynamodb,
    ec2_network,
    ecs,
    elbv2,
    get_azs,
    get_stack_output,
    getatt_dotted,
    iam_role,
    kms_key_policy,
    lambda_function,
    lambda_permission,
    logs,
    policies,
    rds,
    s3_bucket,
    s3_replication,
    sam_transform,
    secretsmanager,
    secretsmanager_transform,
    servicediscovery,
    sns_subscriptions,
    ssm_parameter,
    stack_failures,
    stack_resources,
    template_url,
    vpc_peering,
    wafv2,
    wait_condition_handle,
)
from ._patching import Patcher  # noqa: E402

# Order matters only where two fixes wrap the same function: the one applied later runs outside.
# So stack_failures catches what changeset_outputs raises, and Fn::GetStackOutput and dotted
# GetAtt names are resolved before the SAM transform sees the template, the
# AWS::SecretsManager transform (listed first in the templates) runs just before SAM's, and
# Fn::GetAZs is resolved after every transform, as CloudFormation does.
FIXES: tuple[ModuleType, ...] = (
    template_url,
    changeset_outputs,
    changeset_diff,
    stack_failures,
    stack_resources,
    deletion,
    get_azs,
    sam_transform,
    secretsmanager_transform,
    get_stack_output,
    getatt_dotted,
    kms_key_policy,
    vpc_peering,
    ec2_network,
    s3_bucket,
    s3_replication,
    policies,
    dynamodb,
    rds,
    wafv2,
    servicediscovery,
    ecs,
    elbv2,
    cloudwatch_alarm,
    secretsmanager,
    dynamic_references,
    ssm_parameter,
    sns_subscriptions,
    lambda_permission,
    lambda_function,
    logs,
    iam_role,
    wait_condition_handle,
)

FIX_NAMES: tuple[str, ...] = tuple(fix.__name__.rsplit(".", 1)[-1] for fix in FIXES)


def apply_fixes(skip: frozenset[str] | set[str] = frozenset()) -> Patcher:
    """Apply every fix except those named in `skip`; `patcher.revert()` undoes them."""
    unknown = set(skip) - set(FIX_NAMES)
    if unknown:
        raise ValueError(f"unknown emulator fix(es) {sorted(unknown)}; known: {', '.join(FIX_NAMES)}")
    patcher = Patcher()
    for name, fix in zip(FIX_NAMES, FIXES, strict=True):
        if name not in skip:
            fix.apply(patcher)
    return patcher


__all__ = ["FIXES", "FIX_NAMES", "PINNED_MOTO_VERSION", "MotoVersionError", "Patcher", "apply_fixes"]
