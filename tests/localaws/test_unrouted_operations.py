"""An operation moto has no route for answers AWS's 501 NotImplemented, read by botocore after one
request, instead of werkzeug's HTML 404 (an unreadable "404" error)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from localaws import LocalAws


@pytest.mark.parametrize("fixed", [True, False])
def test_an_unrouted_rest_operation_is_not_implemented(fixed: bool) -> None:
    skip = set() if fixed else {"faults_middleware"}
    with LocalAws(skip_fixes=skip) as aws:
        backup = aws.client("backup", "us-east-1")
        with pytest.raises(ClientError) as err:
            backup.list_recovery_points_by_backup_vault(BackupVaultName="payments-dev")
        error = err.value.response["Error"]
        if fixed:
            assert error["Code"] == "NotImplemented"
            assert "GET /backup-vaults/payments-dev/recovery-points/" in error["Message"]
            assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
            assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 0
        else:
            assert error["Code"] == "404"  # moto alone: werkzeug's HTML page
