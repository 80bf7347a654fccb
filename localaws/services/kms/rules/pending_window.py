"""KMS002: a key's deletion waiting period is 7-30 days.

KMS API Reference, ScheduleKeyDeletion `PendingWindowInDays`: "If you include a value, it must be
between 7 and 30, inclusive" (the default is 30); `AWS::KMS::Key` `PendingWindowInDays` has the
same bounds. moto silently schedules nothing outside the range, and its CloudFormation model
ignores the property, so a template with a 5-day window deployed here and failed on AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localaws._moto import Key, KmsBackend
from localaws.aws_errors import ValidationException
from localaws.patching import Patcher

ID = "KMS002"
TITLE = "a KMS key's PendingWindowInDays is 7-30"
DOC_URL = "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html"
MIN_DAYS, MAX_DAYS = 7, 30


def check(days: Any) -> None:
    if days is None:
        return
    try:
        value = int(days)
    except (TypeError, ValueError):
        value = None
    if value is None or not MIN_DAYS <= value <= MAX_DAYS:
        raise ValidationException(
            f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
            f"constraint: Member must have value between {MIN_DAYS} and {MAX_DAYS}, inclusive "
            f"[{ID}, {DOC_URL}]"
        )


def _schedule(original: Callable[..., Any]) -> Callable[..., Any]:
    def schedule_key_deletion(self: KmsBackend, key_id: str, pending_window_in_days: int) -> Any:
        check(pending_window_in_days)
        return original(self, key_id, pending_window_in_days)

    return schedule_key_deletion


def _cfn_create(original: Callable[..., Key]) -> Callable[..., Key]:
    def create(resource_name: str, cloudformation_json: dict[str, Any], *args: Any, **kwargs: Any) -> Key:
        check(cloudformation_json.get("Properties", {}).get("PendingWindowInDays"))
        return original(resource_name, cloudformation_json, *args, **kwargs)

    return create


def apply(patcher: Patcher) -> None:
    patcher.replace(KmsBackend, "schedule_key_deletion", _schedule(KmsBackend.schedule_key_deletion))
    patcher.wrap_classmethod(Key, "create_from_cloudformation_json", _cfn_create)
