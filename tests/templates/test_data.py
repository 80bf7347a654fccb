"""The data partial: PostgreSQL (primary, or a cross-region read replica), the sessions table,
the global ledger table and, with an eventually consistent ledger, the audit table."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from payinfra.config import Context
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
# What a read replica inherits from its source; the CloudFormation reference says not to set them.
INHERITED_BY_REPLICA = (
    "Engine",
    "EngineVersion",
    "MasterUsername",
    "MasterUserPassword",
    "ManageMasterUserPassword",
    "MasterUserSecret",
    "DBName",
    "BackupRetentionPeriod",
    "PreferredBackupWindow",
    "AllocatedStorage",
    "StorageEncrypted",
    "DBSnapshotIdentifier",
)


PASSWORD_REFERENCE = "{{resolve:secretsmanager:${DatabaseSecret}:SecretString:password}}"
# RDS refuses '/', '"', '@' and spaces in a master password (CreateDBInstance MasterUserPassword).
RDS_REFUSED = set('/"@ ')
SECRET_RESOURCES = (
    "DatabaseSecret",
    "DatabaseSecretAttachment",
    "DatabaseSecretRotation",
    "DatabaseRotationSecurityGroup",
    "DatabaseRotationToDatabaseEgress",
    "DatabaseFromRotationIngress",
)


def getatt(value: Any) -> str:
    """`Key.Arn` for both `!GetAtt Key.Arn` and `Fn::GetAtt: [Key, Arn]`."""
    target = value["Fn::GetAtt"]
    return target if isinstance(target, str) else ".".join(target)


def tag(resource_props: dict[str, Any], key: str) -> Any:
    return next(t["Value"] for t in resource_props["Tags"] if t["Key"] == key)


@pytest.fixture(scope="module")
def independent(render_with: Callable[..., dict[str, Template]]) -> dict[str, Template]:
    return render_with("project.database_mode='independent'")


# --- Database: rules for both regions -----------------------------------------------------------


def test_subnet_group_spans_every_isolated_subnet(regional: Template, context: Context) -> None:
    group = props(regional, "DatabaseSubnetGroup")
    az_count = context.primary.az_count
    assert group["SubnetIds"] == [{"Ref": f"IsolatedSubnet{n}"} for n in range(1, az_count + 1)]
    for subnet in group["SubnetIds"]:
        assert tag(props(regional, subnet["Ref"]), "Tier") == "isolated"


def test_database_is_private_encrypted_with_the_cmk_and_destroyable(regional: Template) -> None:
    db = regional["Resources"]["Database"]
    p = db["Properties"]
    assert db["Type"] == "AWS::RDS::DBInstance"
    assert getatt(p["KmsKeyId"]) == "Key.Arn"
    assert p["PubliclyAccessible"] is False
    assert p["DeletionProtection"] is False
    assert p["DeleteAutomatedBackups"] is True
    assert (db["DeletionPolicy"], db["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert p["DBSubnetGroupName"] == {"Ref": "DatabaseSubnetGroup"}
    assert [getatt(g) for g in p["VPCSecurityGroups"]] == ["DatabaseSecurityGroup.GroupId"]


def test_database_settings_come_from_the_context(regional: Template, context: Context) -> None:
    p = props(regional, "Database")
    db = context.primary.database
    assert p["DBInstanceClass"] == db.instance_class
    assert p["MaxAllocatedStorage"] == db.max_allocated_storage_gb
    assert p["MultiAZ"] is db.multi_az


def test_database_hardening(regional: Template) -> None:
    p = props(regional, "Database")
    assert p["EnableIAMDatabaseAuthentication"] is True
    assert p["AutoMinorVersionUpgrade"] is True
    assert p["CopyTagsToSnapshot"] is True
    assert "postgresql" in p["EnableCloudwatchLogsExports"]
    assert p["EnablePerformanceInsights"] is True  # db.t4g.medium supports it
    assert getatt(p["PerformanceInsightsKMSKeyId"]) == "Key.Arn"


def test_enhanced_monitoring_uses_its_own_role(regional: Template) -> None:
    p = props(regional, "Database")
    assert p["MonitoringInterval"] > 0
    assert getatt(p["MonitoringRoleArn"]) == "DatabaseMonitoringRole.Arn"
    role = props(regional, "DatabaseMonitoringRole")
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
    assert role["RoleName"]["Fn::Sub"].endswith("${AWS::Region}")


def test_exported_logs_go_to_stack_owned_cmk_log_groups(regional: Template, context: Context) -> None:
    p = props(regional, "Database")
    identifier = p["DBInstanceIdentifier"]["Fn::Sub"]
    log_groups = resources_of(regional, "AWS::Logs::LogGroup").values()
    groups = {r["Properties"]["LogGroupName"]["Fn::Sub"]: r for r in log_groups}
    for log in p["EnableCloudwatchLogsExports"]:
        group = groups[f"/aws/rds/instance/{identifier}/{log}"]
        assert getatt(group["Properties"]["KmsKeyId"]) == "Key.Arn"
        assert group["Properties"]["RetentionInDays"] == context.primary.log_retention_days
        assert group["DeletionPolicy"] == "Delete"


def test_performance_insights_is_skipped_where_the_class_lacks_it(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    small = render_with("defaults.database.instance_class='db.t4g.micro'")
    for template in small.values():
        if "Database" in template.get("Resources", {}):
            p = props(template, "Database")
            assert p["DBInstanceClass"] == "db.t4g.micro"
            assert "EnablePerformanceInsights" not in p
            assert "PerformanceInsightsKMSKeyId" not in p


# --- Database: primary and replica modes --------------------------------------------------------


def test_primary_region_runs_a_primary_instance(primary: Template, context: Context) -> None:
    p = props(primary, "Database")
    db = context.primary.database
    assert "SourceDBInstanceIdentifier" not in p
    assert (p["Engine"], p["EngineVersion"]) == ("postgres", db.engine_version)
    assert p["StorageEncrypted"] is True
    assert p["MasterUserPassword"] == {"Fn::Sub": PASSWORD_REFERENCE}
    assert p["BackupRetentionPeriod"] == db.backup_retention_days
    assert (p["MasterUsername"], p["DBName"]) == (db.username, db.name)
    assert p["DBInstanceIdentifier"] == {"Fn::Sub": context.names.sub("db_instance")}
    assert "PrimaryDbArn" not in primary["Parameters"]
    assert "HasPrimaryDbArn" not in primary.get("Conditions", {})


def test_replica_mode_secondary_follows_the_derived_primary_arn(
    primary: Template, secondary: Template, context: Context
) -> None:
    assert context.project.database_mode == "replica"
    p = props(secondary, "Database")
    condition, override, derived = p["SourceDBInstanceIdentifier"]["Fn::If"]
    assert condition == "HasPrimaryDbArn"
    assert override == {"Ref": "PrimaryDbArn"}
    primary_id = props(primary, "Database")["DBInstanceIdentifier"]["Fn::Sub"]
    region = context.project.primary_region
    assert derived == {"Fn::Sub": f"arn:${{AWS::Partition}}:rds:{region}:${{AWS::AccountId}}:db:{primary_id}"}
    assert p["SourceRegion"] == context.project.primary_region
    assert getatt(p["KmsKeyId"]) == "Key.Arn"  # the secondary template's own (us-east-2) key
    assert tag(p, "DatabaseRole") == "read-replica"


def test_primary_db_arn_parameter_defaults_to_derivation(secondary: Template) -> None:
    parameter = secondary["Parameters"]["PrimaryDbArn"]
    assert (parameter["Type"], parameter["Default"]) == ("String", "")
    assert secondary["Conditions"]["HasPrimaryDbArn"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "PrimaryDbArn"}, ""]}]
    }


def test_read_replica_leaves_inherited_properties_unset(secondary: Template) -> None:
    p = props(secondary, "Database")
    assert [key for key in INHERITED_BY_REPLICA if key in p] == []


def test_independent_mode_secondary_is_its_own_primary(
    independent: dict[str, Template], context: Context
) -> None:
    secondary = independent[SECONDARY_FILE]
    p = props(secondary, "Database")
    assert "SourceDBInstanceIdentifier" not in p
    assert (p["Engine"], p["EngineVersion"]) == ("postgres", secondary_of(context).database.engine_version)
    assert p["MasterUserPassword"] == {"Fn::Sub": PASSWORD_REFERENCE}
    assert "DatabaseSecret" in secondary["Resources"]  # its own secret, not a replica of the primary's
    assert getatt(p["KmsKeyId"]) == "Key.Arn"
    assert "PrimaryDbArn" not in secondary["Parameters"]
    assert tag(p, "DatabaseRole") == "primary"


def test_a_region_override_changes_only_that_region_database(
    render_with: Callable[..., dict[str, Template]], context: Context
) -> None:
    out = render_with("us-east-2.database.max_allocated_storage_gb=500")
    assert props(out[SECONDARY_FILE], "Database")["MaxAllocatedStorage"] == 500
    assert (
        props(out[PRIMARY_FILE], "Database")["MaxAllocatedStorage"]
        == context.primary.database.max_allocated_storage_gb
    )


# --- DynamoDB -----------------------------------------------------------------------------------


def _assert_cmk_pitr_destroyable(template: Template, logical_id: str) -> dict[str, Any]:
    table = template["Resources"][logical_id]
    p = table["Properties"]
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["SSESpecification"]["SSEEnabled"] is True
    assert p["SSESpecification"]["SSEType"] == "KMS"
    assert getatt(p["SSESpecification"]["KMSMasterKeyId"]) == "Key.Arn"
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["DeletionProtectionEnabled"] is False
    return p


def test_sessions_table_exists_only_in_the_primary(primary: Template, secondary: Template) -> None:
    assert "SessionsTable" in primary["Resources"]
    assert "SessionsTable" not in secondary["Resources"]
    assert not {"SessionsTableName", "SessionsTableArn", "SessionsTableStreamArn"} & set(secondary["Outputs"])


def test_sessions_table_is_ready_to_become_a_global_table(primary: Template, context: Context) -> None:
    p = _assert_cmk_pitr_destroyable(primary, "SessionsTable")
    assert p["TableName"] == {"Fn::Sub": context.names.sub("sessions_table")}
    assert p["KeySchema"] == [{"AttributeName": "session_id", "KeyType": "HASH"}]
    assert p["AttributeDefinitions"] == [{"AttributeName": "session_id", "AttributeType": "S"}]
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "Replicas" not in p  # the replica is added by the plugin, not by this template


@pytest.fixture(scope="module")
def eventual(render_with: Callable[..., dict[str, Template]]) -> dict[str, Template]:
    return render_with('recovery.ledger_consistency="eventual"')


LEDGER_KEY = [{"AttributeName": "payment_id", "KeyType": "HASH"}]


def test_ledger_is_one_global_table_the_primary_declares(
    primary: Template, secondary: Template, context: Context
) -> None:
    """One name in every region: the primary's stack creates the table, the ledger-replicas plugin
    adds the other regions' replicas, which no stack owns (so the secondary declares none)."""
    p = _assert_cmk_pitr_destroyable(primary, "LedgerTable")
    assert p["TableName"] == {"Fn::Sub": context.names.sub("ledger_table")}
    assert context.names.sub("ledger_table") != context.names.sub("ledger_table_regional")
    assert p["KeySchema"] == LEDGER_KEY
    assert p["AttributeDefinitions"] == [{"AttributeName": "payment_id", "AttributeType": "S"}]
    assert "Replicas" not in p
    assert "LedgerTable" not in secondary["Resources"]
    for template in (primary, secondary):
        assert resources_of(template, "AWS::DynamoDB::GlobalTable") == {}


def test_strong_ledger_declares_nothing_mrsc_refuses_and_no_audit_table(
    primary: Template, secondary: Template, context: Context
) -> None:
    """MRSC tables support no TTL, local secondary index or transactions and need no stream:
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/V2globaltables_HowItWorks.html"""
    assert context.recovery.ledger_consistency == "strong"
    p = props(primary, "LedgerTable")
    assert not {"StreamSpecification", "TimeToLiveSpecification", "LocalSecondaryIndexes"} & set(p)
    for template in (primary, secondary):
        assert "AuditTable" not in template["Resources"]
        assert "AuditTableName" not in template["Outputs"]


def test_eventual_ledger_streams_new_and_old_images_from_the_primary_only(
    eventual: dict[str, Template],
) -> None:
    """MREC replicas replicate through the table's stream, which must carry NEW_AND_OLD_IMAGES."""
    p = _assert_cmk_pitr_destroyable(eventual[PRIMARY_FILE], "LedgerTable")
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert p["KeySchema"] == LEDGER_KEY
    assert "LedgerTable" not in eventual[SECONDARY_FILE]["Resources"]


@pytest.mark.parametrize("name", [PRIMARY_FILE, SECONDARY_FILE])
def test_eventual_ledger_keeps_a_region_local_audit_table_in_every_region(
    eventual: dict[str, Template], name: str, context: Context
) -> None:
    """One entry per (payment, region) that charged it: reconciliation after failback finds a
    payment charged in two regions here (last-writer-wins hides it in the global table)."""
    template = eventual[name]
    p = _assert_cmk_pitr_destroyable(template, "AuditTable")
    assert p["TableName"] == {"Fn::Sub": context.names.sub("audit_table")}
    assert p["KeySchema"] == [
        {"AttributeName": "payment_id", "KeyType": "HASH"},
        {"AttributeName": "region", "KeyType": "RANGE"},
    ]
    assert p["AttributeDefinitions"] == [
        {"AttributeName": "payment_id", "AttributeType": "S"},
        {"AttributeName": "region", "AttributeType": "S"},
    ]
    assert "StreamSpecification" not in p and "Replicas" not in p  # never replicated
    assert template["Outputs"]["AuditTableName"]["Value"] == {"Ref": "AuditTable"}


# --- Outputs ------------------------------------------------------------------------------------


def test_data_outputs(primary: Template, secondary: Template) -> None:
    common = {"DatabaseArn", "DatabaseEndpoint", "DatabaseIdentifier", "LedgerTableName"}
    sessions = {"SessionsTableName", "SessionsTableArn", "SessionsTableStreamArn"}
    assert common | sessions <= set(primary["Outputs"])
    assert common <= set(secondary["Outputs"])
    for template in (primary, secondary):
        outputs = template["Outputs"]
        assert getatt(outputs["DatabaseEndpoint"]["Value"]) == "Database.Endpoint.Address"
        assert getatt(outputs["DatabaseArn"]["Value"]) == "Database.DBInstanceArn"
    assert getatt(primary["Outputs"]["SessionsTableStreamArn"]["Value"]) == "SessionsTable.StreamArn"


def test_ledger_output_names_the_global_table_in_every_region(
    primary: Template, secondary: Template, context: Context
) -> None:
    assert primary["Outputs"]["LedgerTableName"]["Value"] == {"Ref": "LedgerTable"}
    # The secondary's replica is no resource of its stack: its output is the shared name.
    assert secondary["Outputs"]["LedgerTableName"]["Value"] == {"Fn::Sub": context.names.sub("ledger_table")}


# --- The master password: a secret the stack owns (no ManageMasterUserPassword) ------------------


def _db_owners(primary: Template, independent: dict[str, Template]) -> list[Template]:
    """Every template that runs a primary instance (replica mode primary, both independent regions)."""
    return [primary, *(t for t in independent.values() if "Database" in t.get("Resources", {}))]


def test_no_template_lets_rds_manage_the_master_password(
    primary: Template, secondary: Template, independent: dict[str, Template]
) -> None:
    # RDS creates no read replica of a source whose password Secrets Manager manages.
    for template in (primary, secondary, *independent.values()):
        if "Database" in template.get("Resources", {}):
            p = props(template, "Database")
            assert "ManageMasterUserPassword" not in p and "MasterUserSecret" not in p


def test_the_secret_generates_a_password_rds_accepts_encrypted_with_the_cmk(
    primary: Template, context: Context
) -> None:
    secret = primary["Resources"]["DatabaseSecret"]
    p = secret["Properties"]
    assert secret["Type"] == "AWS::SecretsManager::Secret"
    assert getatt(p["KmsKeyId"]) == "Key.Arn"
    spec = p["GenerateSecretString"]
    assert json.loads(spec["SecretStringTemplate"]) == {"username": context.primary.database.username}
    assert spec["GenerateStringKey"] == "password"
    assert set(spec["ExcludeCharacters"]) >= RDS_REFUSED
    assert 8 <= spec["PasswordLength"] <= 128  # RDS for PostgreSQL master password length
    assert (secret["DeletionPolicy"], secret["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert "SecretString" not in p


def test_the_secret_is_attached_to_the_instance_and_rotated_single_user_in_the_vpc(
    primary: Template, context: Context
) -> None:
    attachment = props(primary, "DatabaseSecretAttachment")
    assert attachment == {
        "SecretId": {"Ref": "DatabaseSecret"},
        "TargetId": {"Ref": "Database"},
        "TargetType": "AWS::RDS::DBInstance",
    }
    rotation = primary["Resources"]["DatabaseSecretRotation"]
    assert "DatabaseSecretAttachment" in rotation["DependsOn"]  # the secret must hold the host first
    hosted = rotation["Properties"]["HostedRotationLambda"]
    assert rotation["Properties"]["SecretId"] == {"Ref": "DatabaseSecret"}
    assert hosted["RotationType"] == "PostgreSQLSingleUser"
    assert getatt(hosted["KmsKeyArn"]) == "Key.Arn"
    assert (
        hosted["ExcludeCharacters"]
        == props(primary, "DatabaseSecret")["GenerateSecretString"]["ExcludeCharacters"]
    )
    assert getatt(hosted["VpcSecurityGroupIds"]) == "DatabaseRotationSecurityGroup.GroupId"
    separator, subnets = hosted["VpcSubnetIds"]["Fn::Join"]
    assert separator == ","  # a comma-separated string, not a list
    assert subnets == [{"Ref": f"PrivateSubnet{n}"} for n in range(1, context.primary.az_count + 1)]
    assert 1 <= rotation["Properties"]["RotationRules"]["AutomaticallyAfterDays"] <= 365


def test_the_rotation_lambda_reaches_only_postgresql_and_the_secrets_manager_api(primary: Template) -> None:
    group = props(primary, "DatabaseRotationSecurityGroup")
    assert group["SecurityGroupEgress"] == [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "CidrIp": "0.0.0.0/0",
            "Description": "Secrets Manager API via NAT",
        }
    ]
    egress = props(primary, "DatabaseRotationToDatabaseEgress")
    ingress = props(primary, "DatabaseFromRotationIngress")
    assert (egress["FromPort"], egress["ToPort"], getatt(egress["DestinationSecurityGroupId"])) == (
        5432,
        5432,
        "DatabaseSecurityGroup.GroupId",
    )
    assert (ingress["FromPort"], getatt(ingress["GroupId"]), getatt(ingress["SourceSecurityGroupId"])) == (
        5432,
        "DatabaseSecurityGroup.GroupId",
        "DatabaseRotationSecurityGroup.GroupId",
    )


def test_the_transform_that_builds_the_hosted_rotation_is_declared_before_sam(
    primary: Template, secondary: Template
) -> None:
    for template in (primary, secondary):
        assert template["Transform"] == ["AWS::SecretsManager-2020-07-23", "AWS::Serverless-2016-10-31"]


def test_consumers_get_the_secret_arn_never_the_value(
    primary: Template, secondary: Template, independent: dict[str, Template]
) -> None:
    for template in _db_owners(primary, independent):
        assert template["Outputs"]["DatabaseSecretArn"]["Value"] == {"Ref": "DatabaseSecret"}
        assert [key for key in SECRET_RESOURCES if key not in template["Resources"]] == []
    # Replica mode: the secondary's copy is the plugin's replica, not a resource of its stack.
    assert [key for key in SECRET_RESOURCES if key in secondary["Resources"]] == []
    assert "DatabaseSecretArn" not in secondary["Outputs"]
    # No output and no environment variable carries a secret's value.
    for template in (primary, secondary):
        assert "resolve:secretsmanager" not in json.dumps(template.get("Outputs", {}))
        text = json.dumps({k: v for k, v in template["Resources"].items() if k != "Database"})
        assert "resolve:secretsmanager" not in text


def test_the_rotation_function_log_group_is_declared_and_owned(primary: Template) -> None:
    """Lambda creates /aws/lambda/<function> on first run: named function, declared group (CMK, retention)."""
    resources = primary["Resources"]
    hosted = resources["DatabaseSecretRotation"]["Properties"]["HostedRotationLambda"]
    function_name = hosted["RotationLambdaName"]["Fn::Sub"]
    group = resources["DatabaseRotationLogGroup"]
    assert group["Properties"]["LogGroupName"]["Fn::Sub"] == f"/aws/lambda/{function_name}"
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["Key", "Arn"]}
    assert group["DeletionPolicy"] == "Delete"
    assert "DatabaseRotationLogGroup" in resources["DatabaseSecretRotation"]["DependsOn"]
