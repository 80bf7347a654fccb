"""Apply the S3 bucket configuration a template sets, and support `AWS::S3::BucketPolicy`.

moto 5.2.5's `AWS::S3::Bucket` model applies only `BucketEncryption` and `Tags`; it ignores
`VersioningConfiguration` (replication needs a versioned destination), `LifecycleConfiguration`,
`PublicAccessBlockConfiguration`, `OwnershipControls` and `LoggingConfiguration`, so
GetBucketVersioning and friends contradict the template. It has no model for
`AWS::S3::BucketPolicy` (skipped: GetBucketPolicy finds none). On stack deletion it silently
keeps a bucket that still holds objects, where CloudFormation fails with BucketNotEmpty.
Here the bucket model applies each of those properties through the S3 backend (on create and
on update), a BucketPolicy model puts/deletes the policy (physical ID: the bucket name), and
deleting a non-empty bucket raises BucketNotEmpty so the stack ends DELETE_FAILED.

Its `BucketEncryption` translation keeps the algorithm and key but drops the rule's
`BucketKeyEnabled`, so GetBucketEncryption answers `BucketKeyEnabled: false` (and new objects
are written without the bucket key) where the template turns the S3 Bucket Key on. Here the
rule's flag is kept as PutBucketEncryption keeps it
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-serversideencryptionrule.html:
"By default, S3 Bucket Key is not enabled").

Once policies exist, moto's S3 enforces them, but ignores `Condition`: the usual
`Deny s3:* if aws:SecureTransport is false` then denies every request (SAM CLI's own managed
bucket has that statement, so `sam deploy` cannot upload). A statement with a condition moto
cannot evaluate is therefore left out of its evaluation instead of applied unconditionally:
locally, TLS-only and encryption-header conditions are not enforced (the static gates check
the policy documents); unconditional statements still are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localaws._moto import BucketNotEmpty, FakeBucket, get_partition, s3_backends
from localaws.patching import EmulatorModel, Patcher


def _backend(account_id: str, region_name: str) -> Any:
    return s3_backends[account_id][get_partition(region_name)]


def lifecycle_rule_to_api(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation `LifecycleConfiguration.Rules[]` entry in PutBucketLifecycleConfiguration form."""
    api: dict[str, Any] = {"ID": rule.get("Id"), "Status": rule["Status"]}
    api["Filter"] = {"Prefix": rule.get("Prefix", "")}
    expiration = {
        key: value
        for key, value in (
            ("Days", rule.get("ExpirationInDays")),
            ("Date", rule.get("ExpirationDate")),
            ("ExpiredObjectDeleteMarker", rule.get("ExpiredObjectDeleteMarker")),
        )
        if value is not None
    }
    if expiration:
        api["Expiration"] = expiration
    transitions = list(rule.get("Transitions", [])) + ([rule["Transition"]] if "Transition" in rule else [])
    if transitions:
        api["Transition"] = [
            {
                "Days": t.get("TransitionInDays"),
                "Date": t.get("TransitionDate"),
                "StorageClass": t["StorageClass"],
            }
            for t in transitions
        ]
    noncurrent = rule.get("NoncurrentVersionExpiration") or (
        {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
        if "NoncurrentVersionExpirationInDays" in rule
        else None
    )
    if noncurrent:
        api["NoncurrentVersionExpiration"] = noncurrent
    nv_transitions = rule.get("NoncurrentVersionTransitions", [])
    if nv_transitions:
        api["NoncurrentVersionTransition"] = [
            {
                "NoncurrentDays": t["TransitionInDays"],
                "StorageClass": t["StorageClass"],
                "NewerNoncurrentVersions": t.get("NewerNoncurrentVersions"),
            }
            for t in nv_transitions
        ]
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
    return api


def _apply_bucket_key(backend: Any, bucket_name: str, encryption: dict[str, Any]) -> None:
    """Keep the rule's `BucketKeyEnabled`, stored as PutBucketEncryption's XML parser stores it."""
    rules = encryption.get("ServerSideEncryptionConfiguration") or []
    stored = backend.get_bucket(bucket_name).encryption
    if not rules or not stored:
        return
    enabled = str(rules[0].get("BucketKeyEnabled", False)).lower() == "true"
    stored["Rule"]["BucketKeyEnabled"] = str(enabled).lower()


def apply_bucket_properties(backend: Any, bucket_name: str, properties: dict[str, Any]) -> None:
    """Apply the configuration moto's bucket model leaves out."""
    encryption = properties.get("BucketEncryption")
    if encryption:
        _apply_bucket_key(backend, bucket_name, encryption)
    versioning = properties.get("VersioningConfiguration")
    if versioning:
        backend.put_bucket_versioning(bucket_name, versioning["Status"])
    lifecycle = properties.get("LifecycleConfiguration")
    if lifecycle:
        backend.put_bucket_lifecycle_configuration(
            bucket_name, [lifecycle_rule_to_api(rule) for rule in lifecycle.get("Rules", [])]
        )
    public_access = properties.get("PublicAccessBlockConfiguration")
    if public_access:
        backend.put_public_access_block(bucket_name, {k: str(v).lower() for k, v in public_access.items()})
    ownership = properties.get("OwnershipControls")
    if ownership:
        backend.put_bucket_ownership_controls(bucket_name, ownership["Rules"][0]["ObjectOwnership"])
    logging_config = properties.get("LoggingConfiguration")
    if logging_config:
        # Set directly: moto's PutBucketLogging insists on legacy log-delivery ACL grants, which
        # a BucketOwnerEnforced target (access granted by bucket policy, as AWS recommends)
        # cannot have; CloudFormation does not check this at create time either.
        backend.get_bucket(bucket_name).logging = {
            "TargetBucket": logging_config.get("DestinationBucketName"),
            "TargetPrefix": logging_config.get("LogFilePrefix", ""),
        }


def _create(original: Callable[..., FakeBucket]) -> Callable[..., FakeBucket]:
    def create(
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FakeBucket:
        bucket = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        apply_bucket_properties(
            _backend(account_id, region_name), bucket.name, cloudformation_json.get("Properties", {})
        )
        return bucket

    return create


def _update(original: Callable[..., FakeBucket]) -> Callable[..., FakeBucket]:
    def update(
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> FakeBucket:
        bucket = original(original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        apply_bucket_properties(
            _backend(account_id, region_name), bucket.name, cloudformation_json.get("Properties", {})
        )
        return bucket

    return update


def _unconditional_permission(self: FakeBucket, action: str, resource: str) -> Any:
    from localaws._moto import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    statements = document.get("Statement", [])
    statements = [statements] if isinstance(statements, dict) else statements
    document["Statement"] = [st for st in statements if not st.get("Condition")]
    if not document["Statement"]:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)


def _delete_bucket(self: FakeBucket, account_id: str, region_name: str) -> None:
    backend = _backend(account_id, region_name)
    if self.name not in backend.buckets:
        return
    if self.keys:
        raise BucketNotEmpty(bucket_name=self.name)
    backend.delete_bucket(self.name)


class BucketPolicyModel(EmulatorModel):
    def __init__(self, bucket_name: str) -> None:
        self.physical_resource_id = bucket_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> BucketPolicyModel:
        p = cloudformation_json["Properties"]
        document = p["PolicyDocument"]
        policy = document if isinstance(document, str) else json.dumps(document)
        _backend(account_id, region_name).put_bucket_policy(p["Bucket"], policy.encode())
        return cls(p["Bucket"])

    def delete(self, account_id: str, region_name: str) -> None:
        backend = _backend(account_id, region_name)
        if self.physical_resource_id in backend.buckets:
            backend.delete_bucket_policy(self.physical_resource_id)


def apply(patcher: Patcher) -> None:
    patcher.wrap_classmethod(FakeBucket, "create_from_cloudformation_json", _create)
    patcher.wrap_classmethod(FakeBucket, "update_from_cloudformation_json", _update)
    patcher.replace(FakeBucket, "delete", _delete_bucket)
    patcher.replace(FakeBucket, "get_permission", _unconditional_permission)
    patcher.register_models((BucketPolicyModel,))
