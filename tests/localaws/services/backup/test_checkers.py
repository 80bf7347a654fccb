"""Backup's describe-checkers: a stack's vault, plan and selection are described while the stack
exists and gone after it; moto has no selections API, so the selection is read from the local
AWS's own state, and the checker says so."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localaws import check_deleted, take_inventory
from localaws.describing import Missing
from localaws.services.backup.checkers import backup_selection
from tests.localaws.support import create, emulated

from .test_resources import TEMPLATE


def test_vault_plan_and_selection_are_described_and_gone_after_delete() -> None:
    session = boto3.Session(region_name="us-east-1")
    with emulated() as client:
        create(client, "backup", TEMPLATE)
        inventory = take_inventory("backup", session)
        status = {c.logical_id: c.status for c in inventory.checks}
        assert status == {"Vault": "describable", "Plan": "describable", "Selection": "describable"}
        [selection] = [c for c in inventory.checks if c.logical_id == "Selection"]
        plan_id = next(c.physical_id for c in inventory.checks if c.logical_id == "Plan")
        assert selection.detail == (
            f"ledger: 1 resource(s) in plan {plan_id} "
            "(read from the local AWS's state: moto has no selections API)"
        )

        client("cloudformation").delete_stack(StackName="backup")
        assert check_deleted(inventory, session) == []


class _Backup:
    """A Backup API that has ListBackupSelections (AWS's answer shape)."""

    def __init__(self, selection_id: str) -> None:
        self.selection_id = selection_id

    def get_paginator(self, operation: str) -> Any:
        pages = {
            "list_backup_plans": [
                {"BackupPlansList": [{"BackupPlanId": "p1", "BackupPlanName": "payments-dev"}]}
            ],
            "list_backup_selections": [
                {"BackupSelectionsList": [{"SelectionId": self.selection_id, "SelectionName": "ledger"}]}
            ],
        }[operation]
        return type("Paginator", (), {"paginate": lambda self, **kw: pages})()


def test_on_aws_a_selection_is_found_in_its_plan() -> None:
    backup = _Backup("sel-1")
    assert backup_selection(lambda service: backup, "sel-1") == "ledger in plan payments-dev"
    with pytest.raises(Missing, match=r"^no backup plan has selection sel-2$"):
        backup_selection(lambda service: backup, "sel-2")


def test_an_error_other_than_not_implemented_is_not_hidden() -> None:
    class _Refusing(_Backup):
        def get_paginator(self, operation: str) -> Any:
            if operation == "list_backup_selections":
                raise ClientError({"Error": {"Code": "AccessDeniedException"}}, "ListBackupSelections")
            return super().get_paginator(operation)

    with pytest.raises(ClientError, match="AccessDeniedException"):
        backup_selection(lambda service: _Refusing("sel-1"), "sel-1")
