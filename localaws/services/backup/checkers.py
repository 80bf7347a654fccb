"""AWS Backup vaults, plans and selections described through the Backup API.

A selection's physical ID is its SelectionId (CloudFormation's `Ref`); AWS finds it only within
its plan (GetBackupSelection and ListBackupSelections take the BackupPlanId), so it is looked for
in every plan's selections. moto has no selections API (ListBackupSelections answers
NotImplemented), so on the local AWS the selection is read from the emulator's own state
(`resources.selections`), where the stack's selections are kept.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupselection.html
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupSelections.html
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from localaws.describing import CFN_DOCS, Clients, Missing, Prop, ServiceCheckers
from localaws.unimplemented import CODE as NOT_IMPLEMENTED

from .resources import selections

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


@SERVICE.describes("AWS::Backup::BackupSelection")
def backup_selection(c: Clients, pid: str) -> str:
    backup = c("backup")
    plans = [
        p for page in backup.get_paginator("list_backup_plans").paginate() for p in page["BackupPlansList"]
    ]
    for plan in plans:
        try:
            pages = backup.get_paginator("list_backup_selections").paginate(BackupPlanId=plan["BackupPlanId"])
            listed = [s for page in pages for s in page["BackupSelectionsList"]]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != NOT_IMPLEMENTED:
                raise
            return _emulated_selection(c, pid)
        for selection in listed:
            if selection["SelectionId"] == pid:
                return f"{selection['SelectionName']} in plan {plan['BackupPlanName']}"
    raise Missing(f"no backup plan has selection {pid}")


def _emulated_selection(c: Clients, pid: str) -> str:
    """The local AWS's selection `pid`: moto lacks GetBackupSelection, the emulator keeps them."""
    account = c("sts").get_caller_identity()["Account"]
    kept = {s.selection_id: s for s in selections(account, c("backup").meta.region_name)}
    if pid not in kept:
        raise Missing(f"backup selection {pid} not found (read from the local AWS's state)")
    selection = kept[pid]
    return (
        f"{selection.name}: {len(selection.resources)} resource(s) in plan {selection.backup_plan_id} "
        "(read from the local AWS's state: moto has no selections API)"
    )
