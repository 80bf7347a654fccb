"""KMS001 (key policy lockout safety check) and KMS002 (deletion window 7-30 days)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localaws.services.kms.rules.key_policy_lockout import lockout_problem

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

ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ADMIN = {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "kms:*", "Resource": "*"}
# Lets the account use the key but not change its policy: the caller would be locked out.
USE_ONLY = {
    "Effect": "Allow",
    "Principal": {"AWS": ROOT_ARN},
    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"],
    "Resource": "*",
}


def key_template(key_policy: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {
        "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": key_policy, **properties}}}
    }


@STRICT_OR_NOT
def test_create_key_with_a_policy_that_locks_the_caller_out_is_refused(is_strict: bool) -> None:
    with strict_unless(is_strict, "KMS001") as client:
        kms = client("kms")
        if not is_strict:
            kms.create_key(Policy=policy(USE_ONLY))  # moto alone stores any policy
            return
        message = refused(
            lambda: kms.create_key(Policy=policy(USE_ONLY)), "MalformedPolicyDocumentException", "KMS001"
        )
        assert "kms:PutKeyPolicy" in message
        assert kms.list_keys()["Keys"] == []


def test_valid_twins_are_accepted_admin_caller_arn_or_bypass() -> None:
    with strict() as client:
        kms, sts = client("kms"), client("sts")
        kms.create_key(Policy=policy(ADMIN))
        caller = sts.get_caller_identity()["Arn"]
        kms.create_key(
            Policy=policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": caller},
                    "Action": "kms:PutKeyPolicy",
                    "Resource": "*",
                }
            )
        )
        kms.create_key(Policy=policy(USE_ONLY), BypassPolicyLockoutSafetyCheck=True)
        kms.create_key()  # no policy: KMS's default policy gives the account kms:*
        assert len(kms.list_keys()["Keys"]) == 4


def test_put_key_policy_is_checked_too() -> None:
    with strict() as client:
        kms = client("kms")
        key_id = kms.create_key(Policy=policy(ADMIN))["KeyMetadata"]["KeyId"]
        deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:PutKeyPolicy", "Resource": "*"}
        for bad in (policy(USE_ONLY), policy(ADMIN, deny)):
            refused(
                lambda bad=bad: kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=bad),
                "MalformedPolicyDocumentException",
                "KMS001",
            )
        kms.put_key_policy(
            KeyId=key_id, PolicyName="default", Policy=policy(USE_ONLY), BypassPolicyLockoutSafetyCheck=True
        )
        assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"] == [
            USE_ONLY
        ]


@STRICT_OR_NOT
def test_a_stack_whose_key_locks_the_caller_out_rolls_back(is_strict: bool) -> None:
    bad = json.loads(policy(USE_ONLY))
    with strict_unless(is_strict, "KMS001") as client:
        status, reasons = stack_outcome(client, "k", key_template(bad))
        if not is_strict:
            assert status == "CREATE_COMPLETE"
            return
        assert status == "ROLLBACK_COMPLETE"
        assert "MalformedPolicyDocumentException" in reasons and "KMS001" in reasons
        assert client("kms").list_keys()["Keys"] == []


def test_a_stack_key_with_the_bypass_property_or_an_admin_policy_is_created() -> None:
    with strict() as client:
        bypassed = key_template(json.loads(policy(USE_ONLY)), BypassPolicyLockoutSafetyCheck=True)
        assert stack_outcome(client, "bypass", bypassed)[0] == "CREATE_COMPLETE"
        assert stack_outcome(client, "admin", key_template(json.loads(policy(ADMIN))))[0] == "CREATE_COMPLETE"


def test_the_projects_rendered_key_policies_pass_the_lockout_check() -> None:
    for template in ("template.primary.yaml", "template.secondary.yaml"):
        keys = only_resources_of(rendered_resources(template), "AWS::KMS::Key")
        assert keys, template
        for name, key in keys.items():
            problem = lockout_problem(key["Properties"]["KeyPolicy"], ACCOUNT, None)
            assert problem is None, f"{template} {name}: {problem}"


@STRICT_OR_NOT
@pytest.mark.parametrize("days", [5, 31])
def test_a_deletion_window_outside_7_to_30_days_is_refused(is_strict: bool, days: int) -> None:
    with strict_unless(is_strict, "KMS002") as client:
        kms = client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        if not is_strict:  # moto alone answers without scheduling anything
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
            assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
            return
        refused(
            lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days),
            "ValidationException",
            "KMS002",
        )
        status, reasons = stack_outcome(
            client, "k", key_template(json.loads(policy(ADMIN)), PendingWindowInDays=days)
        )
        assert status == "ROLLBACK_COMPLETE" and "KMS002" in reasons


@pytest.mark.parametrize("days", [7, 30])
def test_a_deletion_window_of_7_to_30_days_is_accepted(days: int) -> None:
    with strict() as client:
        kms = client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=days)
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
        template = key_template(json.loads(policy(ADMIN)), PendingWindowInDays=days)
        assert stack_outcome(client, "k", template)[0] == "CREATE_COMPLETE"
