"""Hosted single-user rotation: what AWS's rotation function does to the secret, run in place.

On AWS, a `RotationSchedule` with a `HostedRotationLambda` gets a rotation function built from
AWS's code (the AWS::SecretsManager transform), and Secrets Manager invokes its four steps
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html,
https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html):
createSecret puts a new version labelled AWSPENDING holding a new password, setSecret changes
the database user's password to it, testSecret logs in with it, finishSecret moves AWSCURRENT to
it (AWSPREVIOUS to the old one). Secrets Manager then records LastRotatedDate and schedules the
next rotation at that date plus the interval
(https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html).
moto 5.2.5 can only invoke a Lambda ARN it has; without one its RotateSecret labels an EMPTY
version AWSCURRENT (the secret then has no value).

Here, for a secret whose schedule uses the hosted function (`configure_hosted`, called by the
RotationSchedule model), the emulator runs those steps itself when the schedule is created
(RotateImmediatelyOnUpdate, default true), when RotateSecret is called (RotateImmediately,
default true), and when the schedule is due on `CLOCK` (checked before every Secrets Manager
read or write of a region). Limits, said plainly: no PostgreSQL server runs here, so setSecret
cannot change a real database user's password; it changes the master password moto records for
the RDS instance the secret is attached to (`dbInstanceIdentifier`, same user), which is all
the emulated database has, and testSecret cannot log in: it checks that the pending version is
a database secret (JSON with the username and a new password). The hosted function itself does
not exist, so `RotationLambdaARN` stays empty. A rotation whose primary region is down
(`FAULTS`) does not run, as the function there could not.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localaws._moto import JsonRESTError, ReplicaSecret, rds_backends, secretsmanager_backends
from localaws.clock import CLOCK
from localaws.faults import FAULTS
from localaws.patching import Patcher

DAY_S = 86400
HOSTED = "_localaws_hosted_rotation"  # FakeSecret attribute: the HostedRotationLambda settings
PASSWORD_LENGTH = 32  # the hosted PostgreSQL functions' default
_ROTATING = threading.local()  # set while a rotation's own calls run: they do not re-check due ones


@dataclass(frozen=True)
class HostedRotation:
    """What the hosted function needs from `HostedRotationLambda`."""

    rotation_type: str
    exclude_characters: str = ""


def configure_hosted(backend: Any, secret: Any, spec: dict[str, Any], days: int, *, rotate_now: bool) -> None:
    """Record that `secret` rotates with the hosted function every `days`; rotate it now unless
    told not to."""
    setattr(
        secret,
        HOSTED,
        HostedRotation(str(spec.get("RotationType", "")), str(spec.get("ExcludeCharacters", ""))),
    )
    secret.auto_rotate_after_days = days
    secret.next_rotation_date = int(CLOCK.now()) + days * DAY_S if days else None
    if rotate_now:
        rotate(backend, secret)


def hosted(secret: Any) -> HostedRotation | None:
    found: HostedRotation | None = getattr(secret, HOSTED, None)
    return found


def rotate(backend: Any, secret: Any) -> str:
    """One rotation of `secret` (a primary in `backend`'s region); returns the new version id."""
    settings = hosted(secret)
    if settings is None:
        raise ValueError(f"{secret.arn} does not rotate with a hosted rotation function")
    token = str(uuid.uuid4())
    current = secret.default_version_id
    _ROTATING.active = True
    try:
        _create_secret(backend, secret, settings, token)
        _set_secret(secret, token)
        _test_secret(secret, token, current)
        _finish_secret(backend, secret, token, current)
    finally:
        _ROTATING.active = False
    now = int(CLOCK.now())
    secret.last_rotation_date = now
    days = int(secret.auto_rotate_after_days or 0)
    secret.next_rotation_date = now + days * DAY_S if days else None
    return token


def _create_secret(backend: Any, secret: Any, settings: HostedRotation, token: str) -> None:
    """createSecret: the current JSON with a new password, as a version labelled AWSPENDING."""
    document = json.loads(
        backend.get_secret_value(secret_id=secret.arn, version_id=None, version_stage=None)["SecretString"]
    )
    generated = backend.get_random_password(
        password_length=PASSWORD_LENGTH,
        exclude_characters=settings.exclude_characters,
        exclude_numbers=False,
        exclude_punctuation=False,
        exclude_uppercase=False,
        exclude_lowercase=False,
        include_space=False,
        require_each_included_type=True,
    )
    document["password"] = json.loads(generated)["RandomPassword"]
    backend.put_secret_value(
        secret_id=secret.arn,
        secret_string=json.dumps(document),
        secret_binary=None,
        client_request_token=token,
        version_stages=["AWSPENDING"],
    )


def _set_secret(secret: Any, token: str) -> None:
    """setSecret, as far as the emulated database goes (module docstring): the attached RDS
    instance's recorded master password, when the secret holds its master user."""
    pending = json.loads(secret.versions[token]["secret_string"])
    identifier = pending.get("dbInstanceIdentifier")
    databases = rds_backends[secret.account_id][secret.region].databases
    instance = databases.get(identifier) if identifier else None
    if instance is not None and instance.master_username == pending.get("username"):
        instance._master_user_password = pending["password"]


def _test_secret(secret: Any, token: str, current: str | None) -> None:
    """testSecret, as far as it goes without a database (setSecret has nothing to call)."""
    pending = json.loads(secret.versions[token]["secret_string"])
    before = json.loads(secret.versions[current]["secret_string"]) if current else {}
    if not pending.get("username") or not pending.get("password"):
        raise JsonRESTError(
            "InvalidRequestException", f"{secret.arn}: not a database secret (username, password)"
        )
    if pending["password"] == before.get("password"):
        raise JsonRESTError("InvalidRequestException", f"{secret.arn}: rotation made no new password")


def _finish_secret(backend: Any, secret: Any, token: str, current: str | None) -> None:
    """finishSecret: AWSCURRENT to the new version (AWSPREVIOUS to the old), AWSPENDING removed."""
    backend.update_secret_version_stage(
        secret_id=secret.arn,
        version_stage="AWSCURRENT",
        remove_from_version_id=current,
        move_to_version_id=token,
    )
    secret.default_version_id = token  # what GetSecretValue without a stage returns
    secret.versions[token]["version_stages"].remove("AWSPENDING")


def rotate_due(backend: Any) -> None:
    """Run every hosted rotation due by `CLOCK` among `backend`'s secrets (a replica's read
    rotates its primary first, in the primary's region)."""
    now = CLOCK.now()
    for entry in list(backend.secrets.values()):
        secret = entry.source if isinstance(entry, ReplicaSecret) else entry
        if (
            hosted(secret) is None
            or not secret.rotation_enabled
            or secret.is_deleted()
            or secret.next_rotation_date is None
            or secret.next_rotation_date > now
            or FAULTS.is_down(secret.region)
        ):
            continue
        rotate(secretsmanager_backends[secret.account_id][secret.region], secret)


def _due_first(original: Callable[..., Any]) -> Callable[..., Any]:
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(_ROTATING, "active", False):
            rotate_due(self)
        return original(self, *args, **kwargs)

    call.__name__ = original.__name__
    return call


def _rotate_secret(original: Callable[..., str]) -> Callable[..., str]:
    """RotateSecret on a secret with a hosted schedule and no other function: run the steps."""

    def rotate_secret(self: Any, secret_id: str, **kwargs: Any) -> str:
        secret = self.secrets[secret_id] if self._is_valid_identifier(secret_id) else None
        if (
            secret is None
            or isinstance(secret, ReplicaSecret)
            or hosted(secret) is None
            or kwargs.get("rotation_lambda_arn")
        ):
            return original(self, secret_id, **kwargs)
        rotation_rules = kwargs.get("rotation_rules")
        days = (rotation_rules or {}).get("AutomaticallyAfterDays")
        if days is not None:
            if not 1 <= int(days) <= 1000:
                raise JsonRESTError(
                    "InvalidParameterException", "RotationRules.AutomaticallyAfterDays must be within 1-1000."
                )
            secret.auto_rotate_after_days = int(days)
            secret.next_rotation_date = int(CLOCK.now()) + int(days) * DAY_S
        secret.rotation_enabled = True
        version = rotate(self, secret) if kwargs.get("rotate_immediately", True) else None
        return str(secret.to_short_dict(version_id=version))

    return rotate_secret


# Every backend call a Secrets Manager request makes first (reads and writes of a secret).
CHECKED_FIRST = (
    "describe_secret",
    "get_secret_value",
    "batch_get_secret_value",
    "list_secrets",
    "list_secret_version_ids",
    "put_secret_value",
    "update_secret",
)


def apply(patcher: Patcher) -> None:
    backend_class = secretsmanager_backends.backend
    for name in CHECKED_FIRST:
        patcher.replace(backend_class, name, _due_first(getattr(backend_class, name)))
    patcher.replace(backend_class, "rotate_secret", _rotate_secret(backend_class.rotate_secret))
