"""backups: the copy rule to the template's destination vault and that vault's key, read from live state."""

from __future__ import annotations

import boto3

from payinfra.plugins.api import Status
from payinfra.plugins.backups import BackupsPlugin
from tests.plugins.conftest import PRIMARY, SECONDARY, World

VAULT = PLAN = "payments-dev"


def deploy_backup(world: World, region: str, copy_to: str, key_region: str) -> None:
    backup = boto3.client("backup", region_name=region)
    backup.create_backup_vault(BackupVaultName=VAULT, EncryptionKeyArn=world.outputs[key_region]["KeyArn"])
    arn = f"arn:aws:backup:{copy_to}:123456789012:backup-vault:{VAULT}"
    rule = {
        "RuleName": "daily",
        "TargetBackupVaultName": VAULT,
        "ScheduleExpression": "cron(0 5 * * ? *)",
        "CopyActions": [{"DestinationBackupVaultArn": arn, "Lifecycle": {"DeleteAfterDays": 35}}],
    }
    backup.create_backup_plan(BackupPlan={"BackupPlanName": PLAN, "Rules": [rule]})


def test_each_region_copies_to_its_destination_vault(world: World) -> None:
    deploy_backup(world, PRIMARY, SECONDARY, PRIMARY)
    deploy_backup(world, SECONDARY, PRIMARY, SECONDARY)
    checks = BackupsPlugin().verify(world.context())
    assert [(c.region, c.status) for c in checks] == [
        (f"{PRIMARY} -> {SECONDARY}", Status.HOLDS),
        (f"{SECONDARY} -> {PRIMARY}", Status.HOLDS),
    ]


def test_a_wrong_destination_or_key_is_broken(world: World) -> None:
    deploy_backup(world, PRIMARY, PRIMARY, PRIMARY)  # copies to itself
    deploy_backup(world, SECONDARY, PRIMARY, PRIMARY)  # its vault under the primary's key
    first, second = BackupsPlugin().verify(world.context())
    assert first.status == Status.BROKEN and "copy actions go to" in first.reason
    assert second.status == Status.HOLDS  # us-east-2 copies to us-east-1, whose vault has its own key
    boto3.client("backup", region_name=PRIMARY).delete_backup_vault(BackupVaultName=VAULT)
    _, second = BackupsPlugin().verify(world.context())
    assert second.status == Status.BROKEN and "vault payments-dev in us-east-1" in second.reason


def test_the_plugin_and_the_template_agree_on_every_destination() -> None:
    """Primary -> first secondary, every secondary -> primary (payinfra.model.backup), with three."""
    from payinfra.config import load_context
    from payinfra.model.backup import backup
    from payinfra.model.site import site
    from payinfra.paths import ROOT
    from payinfra.plugins.backups import copy_destination

    ctx = load_context(ROOT / "examples" / "three-regions.toml")
    expected = {"us-east-1": "us-east-2", "us-east-2": "us-east-1", "us-west-2": "us-east-1"}
    assert {r: copy_destination(ctx, r) for r in ctx.project.region_names} == expected
    assert {r: backup(site(ctx, r)).copy_region for r in ctx.project.region_names} == expected
