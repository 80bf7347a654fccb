"""The storage partial: uploads bucket, log bucket, their policies and the replication role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from payinfra.config import Context
from tests.templates.conftest import Template, props, resources_of

BUCKETS = ("UploadsBucket", "AlbLogsBucket")


def getatt(value: Any) -> str:
    """`X.Arn` for both `!GetAtt X.Arn` and `Fn::GetAtt: [X, Arn]`."""
    target = value["Fn::GetAtt"]
    return target if isinstance(target, str) else ".".join(target)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: Template, policy_id: str) -> list[dict[str, Any]]:
    return props(template, policy_id)["PolicyDocument"]["Statement"]


def by_sid(items: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(s for s in items if s.get("Sid") == sid)


def role_statements(template: Template, logical_id: str) -> list[dict[str, Any]]:
    role = props(template, logical_id)
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


# --- Buckets ------------------------------------------------------------------------------------


def test_uploads_bucket_uses_the_region_cmk_with_a_bucket_key(regional: Template) -> None:
    rule = props(regional, "UploadsBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert getatt(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]) == "Key.Arn"
    assert rule["BucketKeyEnabled"] is True


def test_log_bucket_uses_sse_s3_as_alb_log_delivery_requires(regional: Template) -> None:
    rule = props(regional, "AlbLogsBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_buckets_are_versioned_private_owner_enforced_and_destroyable(regional: Template) -> None:
    for logical_id in BUCKETS:
        bucket = regional["Resources"][logical_id]
        p = bucket["Properties"]
        assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Delete", "Delete")
        assert p["VersioningConfiguration"] == {"Status": "Enabled"}
        assert p["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
        )
        assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert "ObjectLockEnabled" not in p  # would make teardown impossible


def test_uploads_lifecycle_tiers_expires_noncurrent_and_aborts_uploads(regional: Template) -> None:
    rules = props(regional, "UploadsBucket")["LifecycleConfiguration"]["Rules"]
    assert all(r["Status"] == "Enabled" for r in rules)
    transitions = [t for r in rules for t in r.get("Transitions", [])]
    assert {t["StorageClass"] for t in transitions} <= {"STANDARD_IA", "INTELLIGENT_TIERING"}
    assert transitions
    assert any(r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays", 0) > 0 for r in rules)
    assert any(r.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 7} for r in rules)


def test_log_bucket_expires_logs_after_the_region_retention(regional: Template, context: Context) -> None:
    rules = props(regional, "AlbLogsBucket")["LifecycleConfiguration"]["Rules"]
    expirations = [r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r]
    assert expirations == [context.primary.log_retention_days]


def test_bucket_names_carry_suffix_region_and_account(regional: Template, context: Context) -> None:
    for logical_id, key in (("UploadsBucket", "uploads_bucket"), ("AlbLogsBucket", "alb_logs_bucket")):
        name = props(regional, logical_id)["BucketName"]["Fn::Sub"]
        assert name == context.names.sub(key)
        for placeholder in ("${EnvironmentSuffix}", "${AWS::Region}", "${AWS::AccountId}"):
            assert placeholder in name


def test_uploads_access_logs_go_to_the_log_bucket(regional: Template) -> None:
    logging = props(regional, "UploadsBucket")["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "AlbLogsBucket"}
    assert logging["LogFilePrefix"]


def test_replication_is_left_to_the_plugin_and_roles_are_tagged(
    primary: Template, secondary: Template
) -> None:
    for template, role in ((primary, "source"), (secondary, "destination")):
        for bucket in resources_of(template, "AWS::S3::Bucket").values():
            assert "ReplicationConfiguration" not in bucket["Properties"]
        tags = {t["Key"]: t["Value"] for t in props(template, "UploadsBucket")["Tags"]}
        assert tags["ReplicationRole"] == role


def test_log_bucket_waivers_carry_reasons(regional: Template) -> None:
    metadata = regional["Resources"]["AlbLogsBucket"]["Metadata"]
    skips = {s["id"]: s["comment"] for s in metadata["checkov"]["skip"]}
    assert set(skips) == {"CKV_AWS_18"}
    assert all(len(comment) > 20 for comment in skips.values())
    guard = {w["id"]: w["comment"] for w in metadata["guard"]["SuppressedRules"]}
    assert {"CT.S3.PR.2", "CT.S3.PR.10"} <= set(guard)
    assert all(len(comment) > 20 for comment in guard.values())
    assert "checkov" not in regional["Resources"]["UploadsBucket"].get("Metadata", {})  # nothing to waive


# --- Bucket policies ----------------------------------------------------------------------------


def test_every_bucket_policy_denies_insecure_transport_in_ct_s3_pr_8_shape(regional: Template) -> None:
    policies = resources_of(regional, "AWS::S3::BucketPolicy")
    assert {p["Properties"]["Bucket"]["Ref"] for p in policies.values()} == set(BUCKETS)
    for policy in policies.values():
        bucket = policy["Properties"]["Bucket"]["Ref"]
        deny = by_sid(policy["Properties"]["PolicyDocument"]["Statement"], "DenyInsecureTransport")
        assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:*")
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        bucket_arn, objects = deny["Resource"]
        assert getatt(bucket_arn) == f"{bucket}.Arn"
        joined = objects["Fn::Join"]
        assert joined[0] == ""
        assert getatt(joined[1][0]) == f"{bucket}.Arn"
        assert joined[1][1] == "/*"


def test_uploads_policy_refuses_other_encryption_without_blocking_replication(regional: Template) -> None:
    items = statements(regional, "UploadsBucketPolicy")
    algorithm = by_sid(items, "DenyOtherEncryption")
    assert algorithm["Effect"] == "Deny"
    assert algorithm["Condition"]["StringNotEquals"] == {"s3:x-amz-server-side-encryption": "aws:kms"}
    # Only requests that name an algorithm are checked: default encryption covers the rest.
    assert algorithm["Condition"]["Null"] == {"s3:x-amz-server-side-encryption": "false"}
    key = by_sid(items, "DenyOtherKmsKeys")
    assert getatt(key["Condition"]["StringNotEquals"]["s3:x-amz-server-side-encryption-aws-kms-key-id"]) == (
        "Key.Arn"
    )
    denied = {a for s in items if s["Effect"] == "Deny" and s.get("Sid") != "DenyInsecureTransport"
              for a in as_list(s["Action"])}
    assert denied == {"s3:PutObject"}  # s3:ReplicateObject (the replication writes) is never denied


def test_log_bucket_policy_admits_only_the_log_delivery_services(regional: Template) -> None:
    items = statements(regional, "AlbLogsBucketPolicy")
    allows = [s for s in items if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == {
        "logdelivery.elasticloadbalancing.amazonaws.com",
        "logging.s3.amazonaws.com",
    }
    assert all(s["Action"] == "s3:PutObject" for s in allows)
    elb = by_sid(items, "ElbAccessLogDelivery")
    assert elb["Resource"] == {"Fn::Sub": "${AlbLogsBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*"}
    s3_logs = by_sid(items, "S3ServerAccessLogDelivery")
    assert getatt(s3_logs["Condition"]["ArnLike"]["aws:SourceArn"]) == "UploadsBucket.Arn"
    assert s3_logs["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_alb_log_prefix_matches_the_policy_path(regional: Template) -> None:
    """The edge partial's ALB must write where the policy lets it (skipped until edge sets it)."""
    lbs = resources_of(regional, "AWS::ElasticLoadBalancingV2::LoadBalancer")
    attributes = {
        a["Key"]: a["Value"]
        for lb in lbs.values()
        for a in lb["Properties"].get("LoadBalancerAttributes", [])
    }
    if "access_logs.s3.prefix" not in attributes:
        pytest.skip("edge partial does not configure ALB access logs yet")
    assert attributes["access_logs.s3.prefix"] == "alb"
    assert attributes["access_logs.s3.bucket"] == {"Ref": "AlbLogsBucket"}


# --- Replication role ---------------------------------------------------------------------------


def test_replication_role_exists_only_in_the_primary(primary: Template, secondary: Template) -> None:
    assert primary["Resources"]["ReplicationRole"]["Type"] == "AWS::IAM::Role"
    assert "ReplicationRole" not in secondary["Resources"]
    assert "ReplicationRoleArn" in primary["Outputs"]
    assert "ReplicationRoleArn" not in secondary["Outputs"]


def test_replication_role_is_assumed_only_by_s3_of_this_account(primary: Template, context: Context) -> None:
    role = props(primary, "ReplicationRole")
    assert role["RoleName"] == {"Fn::Sub": context.names.sub("role_replication")}
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_replication_role_actions_are_explicit(primary: Template) -> None:
    actions = [a for s in role_statements(primary, "ReplicationRole") for a in as_list(s["Action"])]
    assert actions
    assert [a for a in actions if "*" in a] == []
    assert set(actions) == {
        "s3:GetReplicationConfiguration", "s3:ListBucket",
        "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
        "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags",
        "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey",
    }


def test_replication_role_decrypts_only_with_the_source_key_through_s3(primary: Template) -> None:
    decrypt = by_sid(role_statements(primary, "ReplicationRole"), "DecryptSourceObjects")
    assert decrypt["Action"] == "kms:Decrypt"
    assert getatt(decrypt["Resource"]) == "Key.Arn"
    via = decrypt["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == {"Fn::Sub": "s3.${AWS::Region}.amazonaws.com"}
    source_contexts = decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
    assert getatt(source_contexts[0]) == "UploadsBucket.Arn"
    assert source_contexts[1] == {"Fn::Sub": "${UploadsBucket.Arn}/*"}


def _destination_bucket(secondary: Template, region: str) -> str:
    """The uploads bucket the secondary template creates in `region`."""
    return str(props(secondary, "UploadsBucket")["BucketName"]["Fn::Sub"]).replace("${AWS::Region}", region)


def _assert_replicates_to(primary: Template, secondary: Template, regions: list[str]) -> None:
    items = role_statements(primary, "ReplicationRole")
    destinations = [_destination_bucket(secondary, region) for region in regions]
    write = by_sid(items, "WriteReplicas")
    assert write["Resource"] == [{"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{d}/*"} for d in destinations]
    encrypts = [i for i in items if str(i.get("Sid", "")).startswith("EncryptReplicas")]
    assert len(encrypts) == len(regions)
    for region, destination in zip(regions, destinations, strict=True):
        # One statement per destination: its region's keys, through its region's S3, for its bucket.
        encrypt = by_sid(items, "EncryptReplicas" + "".join(p.capitalize() for p in region.split("-")))
        resource = {"Fn::Sub": f"arn:${{AWS::Partition}}:kms:{region}:${{AWS::AccountId}}:key/*"}
        assert encrypt["Resource"] == resource
        assert encrypt["Condition"]["StringEquals"]["kms:ViaService"] == f"s3.{region}.amazonaws.com"
        contexts = encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
        assert json.dumps(contexts).count(destination) == 2
        assert not any(other in json.dumps(contexts) for other in destinations if other != destination)


def test_replication_role_encrypts_only_in_the_secondary_region_for_the_destination(
    primary: Template, secondary: Template, context: Context
) -> None:
    _assert_replicates_to(primary, secondary, list(context.project.secondary_regions))
    assert "ReplicationRole" not in secondary["Resources"]


def test_replication_role_covers_every_destination_of_three_regions(
    three_rendered: dict[str, Template],
) -> None:
    primary, secondary = three_rendered["template.primary.yaml"], three_rendered["template.secondary.yaml"]
    _assert_replicates_to(primary, secondary, ["us-east-2", "us-west-2"])
    description = props(primary, "ReplicationRole")["Description"]
    assert description.endswith("us-east-2, us-west-2")


# --- Outputs ------------------------------------------------------------------------------------


def test_storage_outputs(regional: Template) -> None:
    outputs = regional["Outputs"]
    assert outputs["UploadsBucketName"]["Value"] == {"Ref": "UploadsBucket"}
    assert getatt(outputs["UploadsBucketArn"]["Value"]) == "UploadsBucket.Arn"
    assert outputs["AlbLogsBucketName"]["Value"] == {"Ref": "AlbLogsBucket"}


def test_lifecycle_rules_are_ones_s3_accepts(regional: Template) -> None:
    """S3 refuses ExpiredObjectDeleteMarker in a rule that also expires by Days or Date
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html); with Days,
    S3 removes expired delete markers itself. Rule ids are unique and at most 255 characters."""
    for logical_id in ("UploadsBucket", "AlbLogsBucket"):
        rules = props(regional, logical_id)["LifecycleConfiguration"]["Rules"]
        ids = [r["Id"] for r in rules]
        assert len(ids) == len(set(ids)) and all(len(i) <= 255 for i in ids), ids
        for rule in rules:
            assert rule["Status"] == "Enabled"
            if rule.get("ExpiredObjectDeleteMarker"):
                assert "ExpirationInDays" not in rule and "ExpirationDate" not in rule, rule["Id"]
