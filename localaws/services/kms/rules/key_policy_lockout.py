"""KMS001: a key policy must let the requesting principal call kms:PutKeyPolicy again.

KMS API Reference, CreateKey and PutKeyPolicy (`Policy`, `BypassPolicyLockoutSafetyCheck`):
unless the bypass flag is true, the key policy must allow the principal making the request to
make a subsequent PutKeyPolicy request on the key; otherwise KMS answers
MalformedPolicyDocumentException. moto stores any policy.

The requesting principal is the caller's ARN or its account: a statement whose principal is
`*`, the account ID or the account's root (`arn:<partition>:iam::<account>:root`, which
delegates to the account's IAM policies) counts. Conditions are not evaluated: a conditional
statement is taken as applying (so this rule never refuses a policy AWS might accept because of
a condition). An unconditional Deny of the action to such a principal locks it out. Through
CloudFormation the caller is the account (the `BypassPolicyLockoutSafetyCheck` property is
honoured).
"""

from __future__ import annotations

import contextvars
import fnmatch
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from localaws._moto import Key, KmsBackend, KmsResponse
from localaws.aws_errors import MalformedPolicyDocumentException
from localaws.patching import Patcher

ID = "KMS001"
TITLE = "a key policy must let the requesting principal call kms:PutKeyPolicy (unless bypassed)"
DOC_URL = "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"
CREATE_KEY_URL = "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html"

ACTION = "kms:PutKeyPolicy"
# (bypass flag, caller ARN) of the request being served; the default is a caller with no bypass.
_REQUEST: contextvars.ContextVar[tuple[bool, str | None]] = contextvars.ContextVar(
    "payinfra_kms_request", default=(False, None)
)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _principals(statement: dict[str, Any]) -> Iterator[str]:
    principal = statement.get("Principal")
    if principal == "*":
        yield "*"
    elif isinstance(principal, dict):
        yield from (str(p) for p in _as_list(principal.get("AWS", [])))


def _names_caller(principal: str, account_id: str, caller_arn: str | None) -> bool:
    if principal in {"*", account_id} or principal == caller_arn:
        return True
    return re.fullmatch(rf"arn:aws[a-z-]*:iam::{account_id}:root", principal) is not None


def _covers_action(statement: dict[str, Any]) -> bool:
    def matches(patterns: Any) -> bool:
        return any(fnmatch.fnmatch(ACTION.lower(), str(p).lower()) for p in _as_list(patterns))

    if "NotAction" in statement:
        return not matches(statement["NotAction"])
    return matches(statement.get("Action", []))


def lockout_problem(policy: str | dict[str, Any], account_id: str, caller_arn: str | None) -> str | None:
    """Why `policy` would lock the caller out of PutKeyPolicy, or None when it does not."""
    try:
        document = json.loads(policy) if isinstance(policy, str) else policy
    except json.JSONDecodeError as exc:
        return f"The key policy is not valid JSON ({exc.msg})"
    statements = [s for s in _as_list(document.get("Statement", [])) if isinstance(s, dict)]

    def applies(statement: dict[str, Any]) -> bool:
        return _covers_action(statement) and any(
            _names_caller(p, account_id, caller_arn) for p in _principals(statement)
        )

    if any(s.get("Effect") == "Deny" and not s.get("Condition") and applies(s) for s in statements):
        return "The new key policy denies kms:PutKeyPolicy to the requesting principal"
    if not any(s.get("Effect") == "Allow" and applies(s) for s in statements):
        return (
            "The new key policy will not allow you to update the key policy in the future: no "
            f"statement allows {ACTION} to the requesting principal "
            f"({caller_arn or 'the account'} or arn:aws:iam::{account_id}:root)"
        )
    return None


def _check(policy: str | dict[str, Any] | None, account_id: str) -> None:
    bypass, caller = _REQUEST.get()
    if policy is None or bypass:
        return
    problem = lockout_problem(policy, account_id, caller)
    if problem:
        raise MalformedPolicyDocumentException(
            f"{problem}. Set BypassPolicyLockoutSafetyCheck only if that is intended [{ID}, {DOC_URL}]"
        )


def _caller_arn(response: KmsResponse) -> str | None:
    from localaws._moto import sts_backends

    try:
        backend = sts_backends[response.current_account]["global"]
        return backend.get_caller_identity(response.get_access_key(), response.region)[1]
    except Exception:
        return None


def _with_request(handler: Callable[[KmsResponse], str]) -> Callable[[KmsResponse], str]:
    def serve(self: KmsResponse) -> str:
        bypass = str(self._get_param("BypassPolicyLockoutSafetyCheck", False)).lower() == "true"
        token = _REQUEST.set((bypass, _caller_arn(self)))
        try:
            return handler(self)
        finally:
            _REQUEST.reset(token)

    return serve


def _create_key(original: Callable[..., Key]) -> Callable[..., Key]:
    def create_key(self: KmsBackend, policy: str | None, *args: Any, **kwargs: Any) -> Key:
        _check(policy, self.account_id)
        return original(self, policy, *args, **kwargs)

    return create_key


def _put_key_policy(original: Callable[..., None]) -> Callable[..., None]:
    def put_key_policy(self: KmsBackend, key_id: str, policy: str) -> None:
        _check(policy, self.account_id)
        original(self, key_id, policy)

    return put_key_policy


def _cfn_create(original: Callable[..., Key]) -> Callable[..., Key]:
    def create(resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any) -> Key:
        properties = cloudformation_json.get("Properties", {})
        bypass = str(properties.get("BypassPolicyLockoutSafetyCheck", False)).lower() == "true"
        token = _REQUEST.set((bypass, None))
        try:
            return original(resource_name, cloudformation_json, *args, **kwargs)
        finally:
            _REQUEST.reset(token)

    return create


def apply(patcher: Patcher) -> None:
    patcher.replace(KmsResponse, "create_key", _with_request(KmsResponse.create_key))
    patcher.replace(KmsResponse, "put_key_policy", _with_request(KmsResponse.put_key_policy))
    patcher.replace(KmsBackend, "create_key", _create_key(KmsBackend.create_key))
    patcher.replace(KmsBackend, "put_key_policy", _put_key_policy(KmsBackend.put_key_policy))
    patcher.wrap_classmethod(Key, "create_from_cloudformation_json", _cfn_create)
