"""AWS Backup in one region: a vault, a daily plan that copies each recovery point to another
region's vault, and the selection of what it backs up.

- The vault is encrypted with the region's CMK (`EncryptionKeyArn`); a copy is re-encrypted with
  the destination vault's key, so each region's recovery points only need that region's key:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-backupvault.html
  https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html
- One rule on `recovery.backup_schedule`, kept `recovery.backup_retention_days`; its
  `CopyActions` name the destination vault by ARN (same name in every region) with the same
  lifecycle: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-backup-backupplan-copyactionresourcetype.html
- Destinations: the primary copies to the first secondary, every secondary to the primary (so
  the secondaries' renders are equal and share one template).
- The selection names this region's ledger table (its replica outside the primary: a table of
  this region under the global name) and, in eventual mode, the audit table; and the database
  where it is not a read replica, since RDS for PostgreSQL keeps no backups of a read replica
  (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.html): a promoted replica
  is added by the next deploy after its stack runs a writer.
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-backup-backupselection-backupselectionresourcetype.html
- The selection's role holds the AWS managed backup and restore policies for AWS Backup:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html
"""

from __future__ import annotations

from dataclasses import dataclass

from payinfra.model.site import Site

# The AWS managed policies of the default AWS Backup service role (backup, then restore).
MANAGED_POLICIES = (
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
)


@dataclass(frozen=True)
class Backup:
    vault_name: str  # `Fn::Sub` string (names.backup_vault), the same in every region
    plan_name: str  # `Fn::Sub` string (names.backup_plan)
    schedule: str  # a `cron(...)` expression (recovery.backup_schedule)
    retention_days: int
    copy_region: str  # the region each recovery point is copied to
    copy_vault_arn: str  # `Fn::Sub` string of that region's vault
    # Selected resources as YAML intrinsics (`!GetAtt X.Arn` / `!Sub "..."`).
    resources: tuple[str, ...]
    managed_policies: tuple[str, ...]


def copy_region(site: Site) -> str:
    """Where this region's recovery points are copied: the first secondary for the primary, the
    primary for every secondary."""
    return site.project.secondary_regions[0] if site.is_primary else site.primary_name


def backup(site: Site) -> Backup:
    names, recovery = site.names, site.recovery
    destination = copy_region(site)
    vault = names.sub("backup_vault")
    here = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}"
    ledger = f"{here}:table/{names.sub('ledger_table')}"
    resources = ["!GetAtt LedgerTable.Arn" if site.is_primary else f'!Sub "{ledger}"']
    if site.eventual_ledger:
        resources.append("!GetAtt AuditTable.Arn")
    if not site.is_replica:
        resources.append("!GetAtt Database.DBInstanceArn")
    return Backup(
        vault_name=vault,
        plan_name=names.sub("backup_plan"),
        schedule=recovery.backup_schedule,
        retention_days=recovery.backup_retention_days,
        copy_region=destination,
        copy_vault_arn=f"arn:${{AWS::Partition}}:backup:{destination}:${{AWS::AccountId}}:backup-vault:{vault}",
        resources=tuple(resources),
        managed_policies=MANAGED_POLICIES,
    )
