"""SSM configuration: parsing, the single-call loader, and the TTL cache's failure behaviour."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from botocore.exceptions import EndpointConnectionError
from payment_processor.config import (
    ConfigCache,
    ConfigError,
    ConfigUnavailable,
    PaymentConfig,
    SsmConfigLoader,
    parse_config,
)
from payment_processor.observability import JsonLogger
from payment_processor.settings import Settings, SettingsError

from .support import ENDPOINT, PATH, CallLog, Region

GOOD = PaymentConfig(api_endpoint=ENDPOINT, max_amount=Decimal(100), currencies=frozenset({"USD"}))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class ScriptedLoader:
    """Returns or raises the scripted outcomes in order, counting calls."""

    def __init__(self, *outcomes: PaymentConfig | Exception):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self) -> PaymentConfig:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def make_cache(loader: ScriptedLoader, clock: FakeClock, stream: io.StringIO | None = None) -> ConfigCache:
    logger = JsonLogger(service="payments", stream=stream or io.StringIO())
    return ConfigCache(loader, ttl_s=60, logger=logger, retry_after_failure_s=5, clock=clock)


def test_parse_config_accepts_the_contract_format() -> None:
    config = parse_config(
        {"payment_api_endpoint": ENDPOINT + "/", "max_amount": "50000.00", "currencies": "USD, JPY"}
    )

    assert config == PaymentConfig(ENDPOINT, Decimal("50000.00"), frozenset({"USD", "JPY"}))
    assert config.status_url("pay_1") == f"{ENDPOINT}/payments/pay_1"


def test_parse_config_names_every_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(
            {"payment_api_endpoint": "http://plain", "max_amount": "-1", "currencies": "USD,ABC,XAU"}
        )

    message = str(raised.value)
    assert "payment_api_endpoint must be an https URL" in message
    assert "max_amount must be a positive decimal" in message
    assert "['ABC', 'XAU']" in message


def test_loader_reads_all_parameters_in_one_call(region: Region) -> None:
    calls = CallLog()
    calls.attach(region.ssm)

    config = SsmConfigLoader(region.ssm, PATH)()

    assert config.currencies == frozenset({"USD", "EUR", "GBP", "JPY", "CAD"})
    assert config.max_amount == Decimal("50000.00")
    assert calls.calls == [("SSM", "GetParameters")]


def test_loader_names_missing_parameters(region: Region) -> None:
    region.ssm.delete_parameter(Name=f"{PATH}/currencies")

    with pytest.raises(ConfigError, match=f"not found: {PATH}/currencies"):
        SsmConfigLoader(region.ssm, PATH)()


def test_loader_falls_back_to_the_environment_endpoint_only(region: Region) -> None:
    region.ssm.delete_parameter(Name=f"{PATH}/payment_api_endpoint")

    config = SsmConfigLoader(region.ssm, PATH, fallback_endpoint="https://fallback.example.com")()

    assert config.api_endpoint == "https://fallback.example.com"


def test_cache_serves_within_ttl_and_refreshes_after() -> None:
    clock, newer = FakeClock(), PaymentConfig(ENDPOINT, Decimal(200), frozenset({"USD"}))
    loader = ScriptedLoader(GOOD, newer)
    cache = make_cache(loader, clock)

    assert [cache.get() for _ in range(100)] == [GOOD] * 100
    clock.now += 61
    assert cache.get() == newer
    assert loader.calls == 2


def test_cold_failure_is_a_clear_error_and_is_not_retried_per_event() -> None:
    clock = FakeClock()
    loader = ScriptedLoader(EndpointConnectionError(endpoint_url="https://ssm.us-east-1.amazonaws.com"), GOOD)
    cache = make_cache(loader, clock)

    for _ in range(3):
        with pytest.raises(ConfigUnavailable, match="could not be loaded: EndpointConnectionError"):
            cache.get()
    assert loader.calls == 1
    clock.now += 6
    assert cache.get() == GOOD


def test_warm_cache_survives_refresh_failures() -> None:
    clock, stream = FakeClock(), io.StringIO()
    loader = ScriptedLoader(GOOD, EndpointConnectionError(endpoint_url="https://ssm"), GOOD)
    cache = make_cache(loader, clock, stream)
    cache.get()

    clock.now += 61
    assert cache.get() == GOOD  # stale, served
    assert cache.get() == GOOD  # within the retry back-off: no second SSM call
    assert loader.calls == 2
    assert cache.refresh_failures == 1
    assert json.loads(stream.getvalue().splitlines()[0])["level"] == "WARNING"
    clock.now += 6
    assert cache.get() == GOOD and loader.calls == 3


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SSM_PARAMETER_PATH": "/p"}, "LEDGER_TABLE"),
        ({"LEDGER_TABLE": "t", "SSM_PARAMETER_PATH": "payments"}, "SSM_PARAMETER_PATH must look like"),
        ({"LEDGER_TABLE": "t", "SSM_PARAMETER_PATH": "/p"}, "DEPLOY_REGION"),
        (
            {
                "LEDGER_TABLE": "t",
                "SSM_PARAMETER_PATH": "/p",
                "DEPLOY_REGION": "r",
                "CONFIG_CACHE_TTL_S": "x",
            },
            "number",
        ),
        (
            {
                "LEDGER_TABLE": "t",
                "SSM_PARAMETER_PATH": "/p",
                "DEPLOY_REGION": "r",
                "CONFIG_CACHE_TTL_S": "0",
            },
            "(0, 3600]",
        ),
    ],
)
def test_settings_name_the_broken_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("]", r"\]")):
        Settings.from_env(env)


def test_settings_read_the_contract_variables() -> None:
    settings = Settings.from_env(
        {
            "LEDGER_TABLE": "ledger",
            "SSM_PARAMETER_PATH": "/payments/dev/",
            "DEPLOY_REGION": "us-east-2",
            "CONFIG_CACHE_TTL_S": "30",
            "DEAD_LETTER_QUEUE_URL": "https://sqs/dlq",
        }
    )

    assert (settings.ssm_parameter_path, settings.region, settings.config_cache_ttl_s) == (
        "/payments/dev",
        "us-east-2",
        30,
    )
    assert settings.dead_letter_queue_url == "https://sqs/dlq"
