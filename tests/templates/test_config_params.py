"""The config partial: the SSM parameters the payment handler reads, one value per region."""

from __future__ import annotations

import pytest

from payinfra.config import Context
from payinfra.config.model import Region
from tests.templates.conftest import Template, props, resources_of, secondary_of

PRIMARY_FILE, SECONDARY_FILE = "template.primary.yaml", "template.secondary.yaml"
# logical id -> (key under the path, SSM type)
PARAMETERS = {
    "ConfigEndpointParameter": ("payment_api_endpoint", "String"),
    "ConfigMaxAmountParameter": ("max_amount", "String"),
    "ConfigCurrenciesParameter": ("currencies", "StringList"),
}


def expected_values(region: Region, ctx: Context) -> dict[str, str]:
    """Every SSM parameter's value: the region's settings (the recorded active region is not one:
    it is an item of the global ledger table, payinfra/recovery/active.py)."""
    return {
        "ConfigEndpointParameter": region.payment_api_endpoint,
        "ConfigMaxAmountParameter": region.payments.max_amount,
        "ConfigCurrenciesParameter": ",".join(region.payments.currencies),
    }


def ssm_values(template: Template) -> dict[str, str]:
    return {k: r["Properties"]["Value"] for k, r in resources_of(template, "AWS::SSM::Parameter").items()}


@pytest.mark.parametrize("role", ["primary", "secondary"])
def test_parameters_hold_the_region_context_values(
    role: str, request: pytest.FixtureRequest, context: Context
) -> None:
    template: Template = request.getfixturevalue(role)
    region = context.primary if role == "primary" else secondary_of(context)
    assert ssm_values(template) == expected_values(region, context)


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


def test_no_template_creates_an_active_region_parameter(regional: Template, context: Context) -> None:
    """The record lives in the global ledger so a region lost during a failover reads the newer
    one when it returns; an SSM copy per region would still say the old region is active."""
    assert "ActiveRegionParameter" not in regional["Resources"]
    assert set(resources_of(regional, "AWS::SSM::Parameter")) == set(PARAMETERS)
    assert "ActiveRegionParameterName" not in regional.get("Outputs", {})
