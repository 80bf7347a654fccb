"""The config partial: the SSM parameters the payment handler reads, one value per region."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from payinfra.config import Context
from payinfra.config.model import Region
from payinfra.model.config import initial_active_record
from payinfra.recovery.active import initial_state
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
# logical id -> (key under the path, SSM type)
PARAMETERS = {
    "ConfigEndpointParameter": ("payment_api_endpoint", "String"),
    "ConfigMaxAmountParameter": ("max_amount", "String"),
    "ConfigCurrenciesParameter": ("currencies", "StringList"),
}


def expected_values(region: Region, ctx: Context) -> dict[str, str]:
    """Every SSM parameter's value: the region's settings, and the recorded active region, which
    every region creates alike (the context's primary at epoch 0)."""
    return {
        "ConfigEndpointParameter": region.payment_api_endpoint,
        "ConfigMaxAmountParameter": region.payments.max_amount,
        "ConfigCurrenciesParameter": ",".join(region.payments.currencies),
        "ActiveRegionParameter": json.dumps({"active": ctx.project.primary_region, "epoch": 0}),
    }


def decoded(values: dict[str, str]) -> dict[str, object]:
    """The active-region record compared as JSON (its spacing is the encoder's business)."""
    return {k: json.loads(v) if k == "ActiveRegionParameter" else v for k, v in values.items()}


def ssm_values(template: Template) -> dict[str, str]:
    return {k: r["Properties"]["Value"] for k, r in resources_of(template, "AWS::SSM::Parameter").items()}


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_parameters_hold_the_region_context_values(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    template: Template = request.getfixturevalue(role)
    region = context.primary if role == "primary" else secondary_of(context)
    assert decoded(ssm_values(template)) == decoded(expected_values(region, context))


def test_parameters_live_under_the_handler_path_with_the_contract_types(
    regional: Template, context: Context
) -> None:
    path = context.names.sub("ssm_path")
    for logical_id, (key, ssm_type) in PARAMETERS.items():
        p = props(regional, logical_id)
        assert p["Name"] == {"Fn::Sub": f"{path}/{key}"}
        assert p["Type"] == ssm_type
        assert p["Description"]
        assert {"Name", "Environment", "Region", "CostCenter"} <= set(p["Tags"])  # map form


def test_values_differ_between_regions_exactly_where_the_context_does(
    primary: Template, secondary: Template, context: Context
) -> None:
    expected_diff = {
        k for k, v in expected_values(context.primary, context).items()
        if expected_values(secondary_of(context), context)[k] != v
    }
    assert "ConfigEndpointParameter" in expected_diff  # the context gives each region its own API
    actual_diff = {k for k, v in ssm_values(primary).items() if ssm_values(secondary)[k] != v}
    assert actual_diff == expected_diff


def test_active_region_record_starts_at_the_primary_epoch_zero_in_every_region(
    regional: Template, context: Context
) -> None:
    """The handler fences on this record (ACTIVE_REGION_PARAMETER); the runbook rewrites it, the
    template only creates it, with exactly the bytes payinfra.recovery.active would write."""
    p = props(regional, "ActiveRegionParameter")
    assert p["Name"] == {"Fn::Sub": context.names.sub("active_region_parameter")}
    assert p["Name"]["Fn::Sub"].startswith(context.names.sub("ssm_path") + "/")  # the function may read it
    assert (p["Type"], p["Tier"]) == ("String", "Standard")
    assert p["Value"] == initial_state(context).encode()
    assert json.loads(p["Value"]) == {"active": context.project.primary_region, "epoch": 0}
    assert {"Name", "Environment", "Region", "CostCenter"} <= set(p["Tags"])


def test_model_initial_record_is_the_recovery_encoding(context: Context) -> None:
    """The model cannot import payinfra.recovery (a later layer), so it encodes the record itself:
    both encodings must stay byte-equal, or the first read after deploy would disagree."""
    assert initial_active_record(context.project.primary_region) == initial_state(context).encode()
    for region in context.project.region_names:
        record = json.dumps({"active": region, "epoch": 0}, separators=(",", ":"))
        assert initial_active_record(region) == record


def test_currencies_are_a_comma_joined_string_list(regional: Template, context: Context) -> None:
    value = props(regional, "ConfigCurrenciesParameter")["Value"]
    assert value.split(",") == list(context.primary.payments.currencies)
    assert " " not in value


def test_a_changed_context_value_changes_only_that_parameter(
    render_with: Callable[..., dict[str, Template]],
) -> None:
    baseline = render_with()  # rendered now, from the same partials as the override below
    changed = render_with("us-east-2.payments.max_amount='10.00'")
    assert props(changed[SECONDARY_FILE], "ConfigMaxAmountParameter")["Value"] == "10.00"
    differences = {
        (name, logical_id)
        for name in (PRIMARY_FILE, SECONDARY_FILE)
        for logical_id, resource in changed[name]["Resources"].items()
        if baseline[name]["Resources"].get(logical_id) != resource
    }
    assert differences == {(SECONDARY_FILE, "ConfigMaxAmountParameter")}


def test_a_currency_override_reaches_only_that_region(
    render_with: Callable[..., dict[str, Template]], context: Context
) -> None:
    changed = render_with("us-east-1.payments.currencies=['USD', 'CHF']")
    assert props(changed[PRIMARY_FILE], "ConfigCurrenciesParameter")["Value"] == "USD,CHF"
    secondary_value = props(changed[SECONDARY_FILE], "ConfigCurrenciesParameter")["Value"]
    assert secondary_value == ",".join(secondary_of(context).payments.currencies)


def test_parameter_path_output_is_the_handler_setting(regional: Template, context: Context) -> None:
    output = regional["Outputs"]["ConfigParameterPath"]["Value"]
    assert output == {"Fn::Sub": context.names.sub("ssm_path")}
    concrete = output["Fn::Sub"].replace("${EnvironmentSuffix}", context.project.suffix)
    assert concrete == context.names.concrete("ssm_path")
    assert concrete == f"/{context.project.app}/{context.project.suffix}"  # e.g. /payments/dev


# Standard-tier parameter values: at most 4 KB
# (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
STANDARD_TIER_MAX_VALUE_BYTES = 4096


def test_parameters_use_only_types_cloudformation_can_create_in_the_standard_tier(
    regional: Template,
) -> None:
    """CloudFormation cannot create SecureString parameters (PutParameter reference:
    https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html)."""
    for logical_id, resource in resources_of(regional, "AWS::SSM::Parameter").items():
        p = resource["Properties"]
        assert p["Type"] in ("String", "StringList"), logical_id
        assert p["Tier"] == "Standard", logical_id
        assert len(p["Value"].encode()) <= STANDARD_TIER_MAX_VALUE_BYTES, logical_id


def test_string_list_items_are_non_empty_and_comma_free(regional: Template) -> None:
    """A StringList item cannot carry a comma: the value is split on every one."""
    for resource in resources_of(regional, "AWS::SSM::Parameter").values():
        if resource["Properties"]["Type"] == "StringList":
            items = resource["Properties"]["Value"].split(",")
            assert all(item and item == item.strip() for item in items), items
