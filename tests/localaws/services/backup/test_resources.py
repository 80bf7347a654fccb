"""AWS Backup in a stack: moto has no CloudFormation model for vaults, plans or selections (the
stack would skip them and report success); the `backup` fix creates them, with Ref and GetAtt as
the CloudFormation reference gives them, and deletes them with the stack."""

from __future__ import annotations

from typing import Any

import pytest

from localaws.services.backup.resources import selections
from localaws.testing import DEFAULT_ACCOUNT_ID
from tests.localaws.support import create, emulated, outputs

COPY_VAULT = "arn:aws:backup:us-east-2:123456789012:backup-vault:payments-dev"
TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {"BackupVaultName": "payments-dev"}},
        "Plan": {
            "Type": "AWS::Backup::BackupPlan",
            "Properties": {
                "BackupPlan": {
                    "BackupPlanName": "payments-dev",
                    "BackupPlanRule": [{
                        "RuleName": "daily",
                        "TargetBackupVault": {"Ref": "Vault"},
                        "ScheduleExpression": "cron(0 5 * * ? *)",
                        "Lifecycle": {"DeleteAfterDays": 35},
                        "CopyActions": [{
                            "DestinationBackupVaultArn": COPY_VAULT,
                            "Lifecycle": {"DeleteAfterDays": 35},
                        }],
                    }],
                },
            },
        },
        "Selection": {
            "Type": "AWS::Backup::BackupSelection",
            "Properties": {
                "BackupPlanId": {"Ref": "Plan"},
                "BackupSelection": {
                    "SelectionName": "ledger",
                    "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
                    "Resources": ["arn:aws:dynamodb:us-east-1:123456789012:table/ledger"],
                },
            },
        },
    },
    "Outputs": {
        "VaultName": {"Value": {"Ref": "Vault"}},
        "VaultArn": {"Value": {"Fn::GetAtt": ["Vault", "BackupVaultArn"]}},
        "PlanId": {"Value": {"Ref": "Plan"}},
        "SelectionPlan": {"Value": {"Fn::GetAtt": ["Selection", "BackupPlanId"]}},
    },
}


def test_vault_plan_and_selection_exist_after_create_and_go_with_delete() -> None:
    with emulated() as client:
        stack = create(client, "backup", TEMPLATE)
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        out = outputs(stack)
        backup = client("backup")
        vault = backup.describe_backup_vault(BackupVaultName="payments-dev")
        assert out["VaultName"] == "payments-dev"
        assert out["VaultArn"] == vault["BackupVaultArn"]
        plan = backup.get_backup_plan(BackupPlanId=out["PlanId"])["BackupPlan"]
        rule = plan["Rules"][0]
        assert rule["TargetBackupVaultName"] == "payments-dev"
        assert rule["CopyActions"][0]["DestinationBackupVaultArn"].startswith("arn:aws:backup:us-east-2:")
        assert out["SelectionPlan"] == out["PlanId"]
        [selection] = selections(DEFAULT_ACCOUNT_ID, "us-east-1")
        assert selection.resources == ("arn:aws:dynamodb:us-east-1:123456789012:table/ledger",)

        client("cloudformation").delete_stack(StackName="backup")
        assert selections(DEFAULT_ACCOUNT_ID, "us-east-1") == []
        with pytest.raises(backup.exceptions.ResourceNotFoundException):
            backup.describe_backup_vault(BackupVaultName="payments-dev")
        # Deleted with the stack, the plan's name is free again (AWS allows it; moto kept it).
        assert create(client, "again", TEMPLATE)["StackStatus"] == "CREATE_COMPLETE"
        client("cloudformation").delete_stack(StackName="again")


def test_without_the_fix_the_stack_creates_no_vault() -> None:
    with emulated(skip={"backup"}) as client:
        create(client, "backup", {"Resources": {"Vault": TEMPLATE["Resources"]["Vault"]}})
        assert client("backup").list_backup_vaults()["BackupVaultList"] == []


def test_selections_do_not_outlive_a_reset_of_the_emulator() -> None:
    """A stack left standing (as a deploy test leaves it) must not leak its selection into the next
    emulator: selections live on moto's backend, which moto's reset empties."""
    with emulated() as client:
        create(client, "left-standing", TEMPLATE)
        assert len(selections(DEFAULT_ACCOUNT_ID, "us-east-1")) == 1
    with emulated():
        assert selections(DEFAULT_ACCOUNT_ID, "us-east-1") == []
