"""The feature settings the payment handler reads from SSM Parameter Store at run time.

Types are String or StringList only: CloudFormation cannot create a SecureString parameter
(PutParameter `Type`: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html),
so nothing secret belongs here. StringList items cannot contain a comma.

The recorded active region (payinfra/recovery/active.py) is one more String parameter in every
region, created with the primary at epoch 0. Its value in the template never changes, so
CloudFormation never rewrites it: a deploy between failover and failback keeps the failover.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from payinfra.model.site import Site


@dataclass(frozen=True)
class Setting:
    logical_id: str
    key: str  # the parameter's name under the path
    type: str  # String | StringList
    value: str
    description: str

    @property
    def tag_name(self) -> str:
        return "config-" + self.key.replace("_", "-")


@dataclass(frozen=True)
class ActiveRegion:
    """The `ActiveRegionParameter` resource: the record the handler fences on."""

    name: str  # `Fn::Sub` string (names.active_region_parameter)
    value: str  # JSON {"active": <primary>, "epoch": 0}, as `ActiveState.encode()` writes it


@dataclass(frozen=True)
class Config:
    path: str  # `Fn::Sub` string of the parameters' path (SSM_PARAMETER_PATH)
    settings: tuple[Setting, ...]
    active_region: ActiveRegion


def initial_active_record(primary: str) -> str:
    """The active-region record at deployment: the primary at epoch 0 (the model cannot import
    payinfra.recovery, a later step; tests hold the two encodings equal)."""
    return json.dumps({"active": primary, "epoch": 0}, separators=(",", ":"))


def config(site: Site) -> Config:
    region = site.settings
    return Config(
        path=site.names.sub("ssm_path"),
        settings=(
            Setting("ConfigEndpointParameter", "payment_api_endpoint", "String", region.payment_api_endpoint,
                    "Base URL of the payment API this region's handler calls"),
            Setting("ConfigMaxAmountParameter", "max_amount", "String", region.payments.max_amount,
                    "Largest amount (decimal string) a single payment may carry"),
            Setting("ConfigCurrenciesParameter", "currencies", "StringList",
                    ",".join(region.payments.currencies),
                    "Accepted ISO 4217 currency codes, comma-separated"),
        ),
        active_region=ActiveRegion(
            name=site.names.sub("active_region_parameter"),
            value=initial_active_record(site.primary_name),
        ),
    )
