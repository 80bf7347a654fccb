"""Shared fixtures: a moto-backed region (ledger table, SSM parameters, DLQ) and the function.

Every test gets a fresh moto world and a fresh `PaymentFunction` (a fresh "container"), so no
test depends on another's cache or records. Fake credentials and a fixed region are set per test
with monkeypatch; nothing here touches the network.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore.session
import pytest

from localaws.testing import mock_aws  # imported before any client is created, so moto can intercept them

# support puts functions/payment on sys.path, so test modules can import payment_processor.
from .support import (
    ENV_ENDPOINT,
    EVENTS_DIR,
    FUNCTION_DIR,
    PATH,
    REGION,
    SESSION,
    TABLE,
    Region,
    create_region,
)


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_XRAY_DAEMON_ADDRESS", "_X_AMZN_TRACE_ID", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("LEDGER_TABLE", TABLE)
    monkeypatch.setenv("SSM_PARAMETER_PATH", PATH)
    monkeypatch.setenv("DEPLOY_REGION", REGION)
    monkeypatch.setenv("PAYMENT_API_ENDPOINT", ENV_ENDPOINT)  # SSM must win over this fallback
    monkeypatch.setenv("CONFIG_CACHE_TTL_S", "60")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "payments")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Payments")


@pytest.fixture
def region(monkeypatch: pytest.MonkeyPatch) -> Iterator[Region]:
    with mock_aws():
        created = create_region()
        monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", created.dlq_url)
        yield created


@pytest.fixture
def make_function(region: Region) -> Callable[[], Any]:
    """A factory of fresh containers (each with its own clients and config cache)."""
    from payment_processor.function import PaymentFunction

    return lambda: PaymentFunction.from_env(SESSION)


@pytest.fixture
def function(make_function: Callable[[], Any]) -> Any:
    return make_function()


@pytest.fixture
def app(region: Region, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """functions/payment/app.py imported fresh, as Lambda would at a cold start."""
    monkeypatch.setattr(botocore.session, "get_session", lambda: SESSION)  # reuse parsed models
    spec = importlib.util.spec_from_file_location("payment_app_under_test", FUNCTION_DIR / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_event() -> Callable[[str], dict[str, Any]]:
    def load(name: str) -> dict[str, Any]:
        return json.loads((EVENTS_DIR / name).read_text())

    return load
