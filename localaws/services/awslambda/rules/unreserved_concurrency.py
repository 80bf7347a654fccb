"""LAMBDA001: reserved concurrency must leave at least 100 unreserved executions in the account.

Lambda API Reference, PutFunctionConcurrency: "You can reserve concurrency for as many functions
as you like, as long as you leave at least 100 simultaneous executions unreserved for functions
that aren't configured with a per-function limit"; the regional limit starts at 1,000 and new
accounts often get less (Lambda Developer Guide, "Configuring reserved concurrency"). moto
enforces nothing unless MOTO_LAMBDA_CONCURRENCY_QUOTA is set, so `ReservedConcurrentExecutions`
passed here on any limit. The check runs on PutFunctionConcurrency and on CreateFunction (the
path of `AWS::Lambda::Function` and of SAM's function), per account and region.

The account limit is `PAYINFRA_EMULATOR_ACCOUNT_CONCURRENCY` (default 1000, AWS's default), or
what `set_account_concurrency()` / `LocalAws.set_account_concurrency()` last set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from localaws._moto import LambdaBackend, LambdaFunction
from localaws.aws_errors import InvalidParameterValueException
from localaws.patching import Patcher

ID = "LAMBDA001"
TITLE = "reserved concurrency must leave at least 100 unreserved executions (account limit settable)"
DOC_URL = "https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html"
GUIDE_URL = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html"
ENV_VAR = "PAYINFRA_EMULATOR_ACCOUNT_CONCURRENCY"
DEFAULT_ACCOUNT_CONCURRENCY = 1000
MIN_UNRESERVED = 100

# The limit set through the API (None: the variable or the default); a dict so no `global` is needed.
_setting: dict[str, int | None] = {"limit": None}


class AccountConcurrencyError(ValueError):
    """The configured account concurrency limit is not a positive integer."""


def set_account_concurrency(limit: int | None) -> None:
    """Set the account's concurrent-executions limit (None: back to the variable or 1000)."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise AccountConcurrencyError(f"account concurrency must be a positive integer, not {limit!r}")
    _setting["limit"] = limit


def account_concurrency() -> int:
    """The limit in force: the value set, else the environment variable, else 1000."""
    if _setting["limit"] is not None:
        return _setting["limit"]
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_ACCOUNT_CONCURRENCY
    if not raw.isdigit() or int(raw) < 1:
        raise AccountConcurrencyError(f"{ENV_VAR} must be a positive integer, not {raw!r}")
    return int(raw)


def check(backend: LambdaBackend, function_name: str, reserved: Any) -> None:
    if reserved is None:
        return
    others = sum(
        int(fn.reserved_concurrency)
        for fn in backend.list_functions()
        if fn.reserved_concurrency and fn.function_name != function_name
    )
    limit = account_concurrency()
    unreserved = limit - others - int(reserved)
    if unreserved < MIN_UNRESERVED:
        raise InvalidParameterValueException(
            "Specified ReservedConcurrentExecutions for function decreases account's "
            f"UnreservedConcurrentExecution below its minimum value of [{MIN_UNRESERVED}]: account limit "
            f"{limit}, reserved by other functions {others}, requested {int(reserved)} [{ID}, {DOC_URL}]"
        )


def _put(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_function_concurrency(self: LambdaBackend, function_name: str, reserved_concurrency: str) -> Any:
        name = self.get_function(function_name).function_name
        check(self, name, reserved_concurrency)
        return original(self, function_name, reserved_concurrency)

    return put_function_concurrency


def _create(original: Callable[..., LambdaFunction]) -> Callable[..., LambdaFunction]:
    def create_function(self: LambdaBackend, spec: dict[str, Any]) -> LambdaFunction:
        check(self, str(spec.get("FunctionName")), spec.get("ReservedConcurrentExecutions"))
        return original(self, spec)

    return create_function


def apply(patcher: Patcher) -> None:
    patcher.replace(LambdaBackend, "put_function_concurrency", _put(LambdaBackend.put_function_concurrency))
    patcher.replace(LambdaBackend, "create_function", _create(LambdaBackend.create_function))
