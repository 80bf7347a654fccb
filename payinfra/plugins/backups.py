"""AWS Backup: each region's plan copies its recovery points to another region's vault.

The regional templates declare the vault (`names.backup_vault`, encrypted with the region's key)
and the plan (`names.backup_plan`) whose rule's CopyActions name the destination vault; a copy is
re-encrypted with the destination vault's key:
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CopyAction.html
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html
The destination is the next region in the context's order (the last copies to the first).

`verify` checks every region's copy rule, that the destination vault exists, and its key. Before a
development destroy every recovery point in the project's vaults is deleted (a vault that holds
recovery points cannot be deleted):
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVault.html
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from payinfra.config import Context
from payinfra.model.backup import copy_region
from payinfra.model.site import site
from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.aws import error_code, error_message
from payinfra.plugins.dynamodb_replica import key_id
from payinfra.plugins.errors import PluginError
from payinfra.topology.outputs import RegionalOutput

NOT_IMPLEMENTED = frozenset({"NotImplemented", "NotImplementedError"})


def copy_destination(ctx: Context, region: str) -> str:
    """The region whose vault receives `region`'s copies: the template's rule, read from the model
    that renders it (`payinfra.model.backup.copy_region`), so the two never disagree."""
    return copy_region(site(ctx, region))


def vault_of(arn: str) -> tuple[str, str]:
    """(region, vault name) from `arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME`."""
    parts = arn.split(":")
    return (parts[3], parts[-1]) if len(parts) >= 7 else ("", arn)


def plan_copy_targets(backup: Any, plan_name: str) -> list[str] | None:
    """Destination vault ARNs of the named plan's rules, or None when the plan does not exist."""
    plans = backup.list_backup_plans().get("BackupPlansList", [])
    found = next((p for p in plans if p.get("BackupPlanName") == plan_name), None)
    if found is None:
        return None
    rules = backup.get_backup_plan(BackupPlanId=found["BackupPlanId"])["BackupPlan"].get("Rules", [])
    return [a["DestinationBackupVaultArn"] for r in rules for a in r.get("CopyActions", [])]


def vault_names(backup: Any) -> set[str]:
    """Names of the region's backup vaults."""
    pages = backup.get_paginator("list_backup_vaults").paginate()
    return {v["BackupVaultName"] for page in pages for v in page.get("BackupVaultList", [])}


class BackupsPlugin(Plugin):
    name = "backups"
    summary = (
        "verify: each region's backup plan copies to the next region's vault, encrypted with that "
        "region's key; before a development destroy, the vaults' recovery points are deleted"
    )
    hooks = (Hook.BEFORE_DESTROY, Hook.VERIFY)
    destroys_data = True

    def verify(self, pc: PluginContext) -> list[Check]:
        names = pc.config.names
        vault, plan = names.concrete("backup_vault"), names.concrete("backup_plan")
        checks = []
        for region in pc.config.project.region_names:
            destination = copy_destination(pc.config, region)
            promise = f"backup plan {plan} copies to {vault} in {destination} (that region's key)"
            where = f"{region} -> {destination}"
            try:
                targets = plan_copy_targets(pc.client("backup", region), plan)
            except ClientError as err:
                checks.append(
                    Check(promise, Status.BROKEN, f"cannot read the plan: {error_message(err)}", where)
                )
                continue
            if targets is None:
                checks.append(Check(promise, Status.BROKEN, f"no plan {plan} in {region}", where))
                continue
            if (destination, vault) not in {vault_of(t) for t in targets}:
                reason = f"copy actions go to {', '.join(targets) or 'nowhere'}"
                checks.append(Check(promise, Status.BROKEN, reason, where))
                continue
            checks.append(self._destination_check(pc, promise, where, destination, vault))
        return checks

    @staticmethod
    def _destination_check(pc: PluginContext, promise: str, where: str, region: str, vault: str) -> Check:
        want = pc.deployed(pc.topology.region(region)).require(RegionalOutput.KEY_ARN)
        try:
            found = pc.client("backup", region).describe_backup_vault(BackupVaultName=vault)
        except ClientError as err:
            return Check(promise, Status.BROKEN, f"vault {vault} in {region}: {error_message(err)}", where)
        key = found.get("EncryptionKeyArn", "")
        if key_id(key) != key_id(want):
            return Check(promise, Status.BROKEN, f"vault key is {key or 'none'}, expected {want}", where)
        return Check(promise, Status.HOLDS, f"copy rule present; vault encrypted with {want}", where)

    def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
        vault = pc.config.names.concrete("backup_vault")
        for region in pc.config.project.region_names:
            backup = pc.client("backup", region)
            try:
                # Listed first: for a vault that does not exist AWS Backup has answered
                # AccessDeniedException rather than ResourceNotFoundException (aws/aws-sdk-js#2625),
                # and a destroy of nothing must converge.
                # https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupVaults.html
                if vault not in vault_names(backup):
                    out.unchanged(f"{region}: no vault {vault}")
                    continue
                pages = backup.get_paginator("list_recovery_points_by_backup_vault").paginate(
                    BackupVaultName=vault
                )
                arns = [p["RecoveryPointArn"] for page in pages for p in page.get("RecoveryPoints", [])]
            except ClientError as err:
                code = error_code(err)
                if code == "ResourceNotFoundException":
                    out.unchanged(f"{region}: no vault {vault}")
                    continue
                if code in NOT_IMPLEMENTED:
                    out.not_performed(f"{region}: recovery points of {vault} cannot be listed here")
                    continue
                raise PluginError(
                    f"{region}: list recovery points of {vault}: {error_message(err)}"
                ) from None
            for arn in arns:
                try:
                    backup.delete_recovery_point(BackupVaultName=vault, RecoveryPointArn=arn)
                except ClientError as err:
                    raise PluginError(
                        f"{region}: delete recovery point {arn}: {error_message(err)}"
                    ) from None
            if arns:
                out.changed(f"{region}: deleted {len(arns)} recovery point(s) in {vault}")
            else:
                out.unchanged(f"{region}: {vault} holds no recovery point")
