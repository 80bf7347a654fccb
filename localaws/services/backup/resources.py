"""CloudFormation support for AWS Backup vaults, plans and selections.

moto 5.2.5 implements CreateBackupVault and CreateBackupPlan but has no CloudFormation model for
`AWS::Backup::BackupVault`, `BackupPlan` or `BackupSelection`: a stack skips them and reports
success, so nothing exists and `DescribeBackupVault` finds nothing. The vault and plan models call
moto's backend; moto has no selections at all, so a selection is kept on moto's Backup backend of
its account and region (`selections()` lists them, for checks that a plan names the ledger and
database): moto's reset empties them with the rest, and a snapshot saves and restores them.
Backup and copy jobs never run: a recovery point or a copy in another region's vault is "not
performed" locally.

Ref and GetAtt follow the CloudFormation reference: a vault's Ref is its name (GetAtt
BackupVaultArn, BackupVaultName); a plan's Ref is its id (GetAtt BackupPlanId, BackupPlanArn,
VersionId); a selection's Ref is its id (GetAtt SelectionId, BackupPlanId).
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupvault.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupplan.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupselection.html
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from localaws._moto import backup_backends
from localaws.patching import EmulatorModel, Patcher


@dataclass(frozen=True)
class Selection:
    """A selection as CreateBackupSelection would hold it."""

    selection_id: str
    backup_plan_id: str
    name: str
    iam_role_arn: str
    resources: tuple[str, ...]


def _kept(account_id: str, region_name: str) -> dict[str, Selection]:
    """Selection id -> Selection, on the region's moto backend (a module-level store outlived
    moto's reset: a stack deployed before it left selections every later test saw)."""
    backend = backup_backends[account_id][region_name]
    store: dict[str, Selection] | None = backend.__dict__.get("_localaws_selections")
    if store is None:
        store = {}
        backend.__dict__["_localaws_selections"] = store
    return store


def selections(account_id: str, region_name: str) -> list[Selection]:
    """The selections stacks created in one account and region."""
    return list(_kept(account_id, region_name).values())


def _plan_document(properties: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's plan (BackupPlanRule, TargetBackupVault) in the API's form (Rules,
    TargetBackupVaultName)."""
    plan = properties["BackupPlan"]
    rules = []
    for rule in plan.get("BackupPlanRule", []):
        api = {k: v for k, v in rule.items() if k != "TargetBackupVault"}
        api["TargetBackupVaultName"] = rule["TargetBackupVault"]
        rules.append(api)
    return {"BackupPlanName": plan["BackupPlanName"], "Rules": rules}


class BackupVaultModel(EmulatorModel):
    ATTRIBUTES = ("BackupVaultArn", "BackupVaultName")

    def __init__(self, vault: Any) -> None:
        self.name = vault.backup_vault_name
        self.physical_resource_id = vault.backup_vault_name
        self.attributes = {"BackupVaultArn": vault.backup_vault_arn, "BackupVaultName": self.name}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupVault"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> BackupVaultModel:
        p = cloudformation_json["Properties"]
        vault = backup_backends[account_id][region_name].create_backup_vault(
            backup_vault_name=p["BackupVaultName"],
            backup_vault_tags=p.get("BackupVaultTags") or {},
            encryption_key_arn=p.get("EncryptionKeyArn"),
            creator_request_id=str(uuid.uuid4()),
        )
        return cls(vault)

    def delete(self, account_id: str, region_name: str) -> None:
        backup_backends[account_id][region_name].delete_backup_vault(self.name)


class BackupPlanModel(EmulatorModel):
    ATTRIBUTES = ("BackupPlanId", "BackupPlanArn", "VersionId")

    def __init__(self, plan: Any) -> None:
        self.plan_id = plan.backup_plan_id
        self.physical_resource_id = plan.backup_plan_id
        self.attributes = {
            "BackupPlanId": plan.backup_plan_id,
            "BackupPlanArn": plan.backup_plan_arn,
            "VersionId": plan.version_id,
        }

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupPlan"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> BackupPlanModel:
        p = cloudformation_json["Properties"]
        plan = backup_backends[account_id][region_name].create_backup_plan(
            backup_plan=_plan_document(p),
            backup_plan_tags=p.get("BackupPlanTags") or {},
            creator_request_id=str(uuid.uuid4()),
        )
        return cls(plan)

    def delete(self, account_id: str, region_name: str) -> None:
        # moto keeps a deleted plan (and then refuses a new plan of the same name, which AWS
        # allows): forget it.
        backup_backends[account_id][region_name].plans.pop(self.plan_id, None)


class BackupSelectionModel(EmulatorModel):
    ATTRIBUTES = ("SelectionId", "BackupPlanId")

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.physical_resource_id = selection.selection_id
        self.attributes = {"SelectionId": selection.selection_id, "BackupPlanId": selection.backup_plan_id}

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Backup::BackupSelection"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> BackupSelectionModel:
        p = cloudformation_json["Properties"]
        body = p["BackupSelection"]
        selection = Selection(
            selection_id=str(uuid.uuid4()),
            backup_plan_id=p["BackupPlanId"],
            name=body["SelectionName"],
            iam_role_arn=body["IamRoleArn"],
            resources=tuple(body.get("Resources", [])),
        )
        _kept(account_id, region_name)[selection.selection_id] = selection
        return cls(selection)

    def delete(self, account_id: str, region_name: str) -> None:
        _kept(account_id, region_name).pop(self.selection.selection_id, None)


def apply(patcher: Patcher) -> None:
    patcher.register_models((BackupVaultModel, BackupPlanModel, BackupSelectionModel))
