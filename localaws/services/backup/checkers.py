"""AWS Backup vaults and plans described through the Backup API (moto has no selections API, so a
selection is reported unchecked)."""

from __future__ import annotations

from typing import Any

from localaws.describing import CFN_DOCS, Clients, Prop, ServiceCheckers

SERVICE = ServiceCheckers("backup")


@SERVICE.describes("AWS::Backup::BackupVault")
def backup_vault(c: Clients, pid: str) -> str:
    vault = c("backup").describe_backup_vault(BackupVaultName=pid)
    return f"{vault['BackupVaultName']} key {vault.get('EncryptionKeyArn', '-')}"


@SERVICE.reads_back(
    "AWS::Backup::BackupVault",
    CFN_DOCS + "aws-resource-backup-backupvault.html",
    Prop("BackupVaultName", "BackupVaultName"),
    Prop("EncryptionKeyArn", "EncryptionKeyArn"),
)
def _vault_view(c: Clients, pid: str) -> dict[str, Any]:
    result: dict[str, Any] = c("backup").describe_backup_vault(BackupVaultName=pid)
    return result


@SERVICE.describes("AWS::Backup::BackupPlan")
def backup_plan(c: Clients, pid: str) -> str:
    plan = c("backup").get_backup_plan(BackupPlanId=pid)["BackupPlan"]
    copies = sum(len(rule.get("CopyActions", [])) for rule in plan["Rules"])
    return f"{plan['BackupPlanName']}: {len(plan['Rules'])} rule(s), {copies} copy action(s)"
