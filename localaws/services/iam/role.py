"""Attach a CloudFormation role's `ManagedPolicyArns`, and detach them when the role goes.

moto 5.2.5's `AWS::IAM::Role` model creates the role and its inline `Policies` but ignores
`ManagedPolicyArns`: ListAttachedRolePolicies is empty, so e.g. the SAM function role has no
AWSLambdaBasicExecutionRole. moto only knows AWS managed policies when
`MOTO_IAM_LOAD_MANAGED_POLICIES` is set (it loads ~1,000 then); here the one named policy is
loaded from moto's bundled data on demand instead. Deleting a role with attached policies
fails in moto (DeleteConflict), so the CloudFormation deletion detaches them first, as AWS does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localaws._moto import AWSManagedPolicy, Role, aws_managed_policies_data, get_partition, iam_backends
from localaws.patching import Patcher

_AWS_POLICY_PREFIX = ":iam::aws:policy/"


def _ensure_policy(backend: Any, arn: str) -> None:
    if arn in backend.managed_policies or _AWS_POLICY_PREFIX not in arn:
        return
    name = arn.rsplit("/", 1)[-1]
    data = json.loads(aws_managed_policies_data).get(name)
    if data is None:
        raise ValueError(f"{arn} is not an AWS managed policy moto knows")
    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy


def _create(original: Callable[..., Role]) -> Callable[..., Role]:
    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Role:
        role = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        backend = iam_backends[account_id][get_partition(region_name)]
        for arn in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns", []):
            _ensure_policy(backend, arn)
            backend.attach_role_policy(arn, role.name)
        return role

    return create


def _delete(original: Callable[..., None]) -> Callable[..., None]:
    def delete(
        resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = iam_backends[account_id][get_partition(region_name)]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for arn in list(role.managed_policies):
                    backend.detach_role_policy(arn, role.name)
        original(resource_name, cloudformation_json, account_id, region_name)

    return delete


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(Role, "create_from_cloudformation_json", _create)
    patcher.wrap_classmethod(Role, "delete_from_cloudformation_json", _delete)
