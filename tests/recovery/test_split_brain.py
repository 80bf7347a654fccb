"""The regression test for the split brain after an unplanned failover, on the local AWS.

The lost region returns after the failover. Its handler must refuse payments as fenced and its
/healthz must answer 503, in strong (MRSC) and eventual (MREC) mode alike: the active-region
record is an item of the global ledger, so the returning replica holds the newer record (before,
a per-region SSM parameter still said {"active": <itself>, "epoch": 0} until failback).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from localaws import LocalAws
from payinfra.config import Context, load_context
from payinfra.recovery.runbook import run_failover
from tests.functions.payment.support import payment  # (also puts payment_processor on sys.path)
from tests.recovery.conftest import World, build

LOST, SURVIVOR = "us-east-1", "us-east-2"


@pytest.fixture(scope="module")
def running() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


@pytest.fixture
def local(running: LocalAws, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalAws]:
    running.reset()
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", running.endpoint_url)  # boto3 in build() goes there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    yield running


def handler_env(ctx: Context, region: str) -> dict[str, str]:
    """The environment the regional template gives the function (payinfra/model/functions.py)."""
    env = {
        "LEDGER_TABLE": ctx.names.concrete("ledger_table"),
        "SSM_PARAMETER_PATH": ctx.names.concrete("ssm_path"),
        "DEPLOY_REGION": region,
        "ACTIVE_REGION_CACHE_S": f"{ctx.recovery.active_region_cache_s:g}",
        "LEDGER_CONSISTENCY": ctx.recovery.ledger_consistency,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    if ctx.recovery.ledger_consistency == "eventual":
        env["AUDIT_TABLE"] = ctx.names.concrete("audit_table")
    return env


def regional_config(ctx: Context, world: World) -> None:
    """The SSM settings each regional stack creates, and (eventual mode) its audit table."""
    for region in ctx.project.region_names:
        ssm = world.client("ssm", region)
        path = ctx.names.concrete("ssm_path")
        for key, value in (
            ("payment_api_endpoint", "https://api.example.com"),
            ("max_amount", "50000"),
            ("currencies", "USD"),
        ):
            ssm.put_parameter(Name=f"{path}/{key}", Value=value, Type="String")
        if ctx.recovery.ledger_consistency == "eventual":
            world.client("dynamodb", region).create_table(
                TableName=ctx.names.concrete("audit_table"),
                KeySchema=[
                    {"AttributeName": "payment_id", "KeyType": "HASH"},
                    {"AttributeName": "region", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "payment_id", "AttributeType": "S"},
                    {"AttributeName": "region", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )


def post(function: Any, payment_id: str) -> tuple[int, dict[str, Any]]:
    from payment_processor.function import alb_post_event

    response = function.handle(alb_post_event(payment(payment_id)))
    return response["statusCode"], json.loads(response["body"] or "null")


def healthz(function: Any) -> tuple[int, dict[str, Any]]:
    from payment_processor.function import alb_get_event

    response = function.handle(alb_get_event("/healthz"))
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("mode", ["strong", "eventual"])
def test_a_region_returning_after_an_unplanned_failover_stays_fenced(local: LocalAws, mode: str) -> None:
    from payment_processor.function import build as build_function

    ctx = load_context(overrides=[f'recovery.ledger_consistency="{mode}"'])
    world = build(ctx)
    regional_config(ctx, world)

    def handler(region: str) -> Any:
        return build_function(
            handler_env(ctx, region),
            endpoint_url=local.endpoint_url,
            stream=io.StringIO(),
            clock=local.clock.now,
        )

    lost = handler(LOST)
    assert post(lost, "pay_before")[0] == 201
    assert healthz(lost)[0] == 200

    local.outage(LOST)
    run_failover(ctx, world.client, to=SURVIVOR, clock=local.clock, echo=lambda _line: None)
    local.restore(LOST)
    local.clock.advance(ctx.recovery.active_region_cache_s + 1)  # past the cache (and the lag)

    status, body = post(lost, "pay_after_return")
    assert (status, body["error"], body["active_region"]) == (503, "region fenced", SURVIVOR), body
    assert healthz(lost) == (503, {"status": "fenced", "region": LOST, "active_region": SURVIVOR})
    assert post(handler(SURVIVOR), "pay_after_return")[0] == 201  # served once, by the survivor
