"""DDB004: TransactWriteItems is refused on a multi-Region strongly consistent (MRSC) table.

DynamoDB's MRSC global tables do not support transactions (TransactWriteItems), so a handler
that puts the ledger item and its audit item in one transaction works only in eventual mode;
moto ran the transaction on any table.
"""

from __future__ import annotations

from collections.abc import Callable

from localaws.aws_errors import DynamoDBValidationException
from localaws.patching import Patcher
from localaws.services.dynamodb.global_tables import GlobalTables

ID = "DDB004"
TITLE = "TransactWriteItems is not supported on a multi-Region strongly consistent (MRSC) global table"
DOC_URL = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/multi-region-strong-consistency-gt.html"
)


def _wrap_before_write(original: Callable[..., None]) -> Callable[..., None]:
    def before_write(self: GlobalTables, account: str, region: str, action: str, tables: list[str]) -> None:
        if action == "transact_write_items":
            for name in tables:
                group = self.group(account, name)
                if group is not None and group.consistency == "STRONG":
                    raise DynamoDBValidationException(
                        f"TransactWriteItems is not supported on {name}, a multi-Region strongly "
                        f"consistent global table [{ID}, {DOC_URL}]"
                    )
        original(self, account, region, action, tables)

    return before_write


def apply(patcher: Patcher) -> None:
    patcher.replace(GlobalTables, "before_write", _wrap_before_write(GlobalTables.before_write))
