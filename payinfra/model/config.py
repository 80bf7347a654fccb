"""The feature settings the payment handler reads from SSM Parameter Store at run time.

Types are String or StringList only: CloudFormation cannot create a SecureString parameter
(PutParameter `Type`: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html),
so nothing secret belongs here. StringList items cannot contain a comma.

The recorded active region is not here: it is an item of the global ledger table
(payinfra/recovery/active.py), written by the runbook and, the first time, by the recovery-state
plugin, so it replicates to a region that was lost during a failover.
"""

from __future__ import annotations

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
class Config:
    path: str  # `Fn::Sub` string of the parameters' path (SSM_PARAMETER_PATH)
    settings: tuple[Setting, ...]


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
    )
