"""Parameter defaults: one source for the templates' Parameters and samconfig's overrides."""

from __future__ import annotations

import tomllib
from collections.abc import Callable

from payinfra.cfn import load_cfn_yaml
from payinfra.config import Context
from payinfra.model.parameters import stack_parameters
from payinfra.render.renderer import render_all
from payinfra.topology import stacks


def test_every_stack_has_its_suffix_and_sorted_names(context: Context) -> None:
    params = stack_parameters(context)
    assert set(params) == {s.key for s in stacks(context)}
    for values in params.values():
        assert values["EnvironmentSuffix"] == context.project.suffix
        assert list(values) == sorted(values)


def test_primary_db_arn_only_on_a_replica(context_with: Callable[..., Context]) -> None:
    replica = stack_parameters(context_with("project.database_mode=replica"))
    independent = stack_parameters(context_with("project.database_mode=independent"))
    assert replica["us-east-2"]["PrimaryDbArn"] == ""
    assert "PrimaryDbArn" not in replica["us-east-1"]
    assert "PrimaryDbArn" not in independent["us-east-2"]


def test_peering_defaults_name_the_regional_stacks_and_the_peer_cidr(context: Context) -> None:
    peering = stack_parameters(context)["peering-us-east-2"]
    by_key = {s.key: s.name for s in stacks(context)}
    assert peering["RequesterStackName"] == by_key["us-east-1"]
    assert peering["RequesterVpcCidr"] == context.regions["us-east-1"].vpc_cidr
    assert peering["AccepterStackName"] == by_key["us-east-2"]
    assert peering["AccepterRegion"] == "us-east-2"
    assert peering["PeerVpcCidr"] == context.regions["us-east-2"].vpc_cidr


def test_rendered_parameters_and_samconfig_both_equal_the_model(context_with: Callable[..., Context]) -> None:
    """The drift guard: a parameter added to a template but not to the model fails here."""
    for mode in ("replica", "independent"):
        ctx = context_with(f"project.database_mode={mode}")
        out = render_all(ctx)
        config = tomllib.loads(out["samconfig.toml"])
        expected = stack_parameters(ctx)
        for stack in stacks(ctx):
            declared = load_cfn_yaml(out[stack.template]).get("Parameters", {})
            assert {k: str(v.get("Default", "")) for k, v in declared.items()} == expected[stack.key]
            overrides = config[stack.config_env]["deploy"]["parameters"]["parameter_overrides"]
            assert overrides == " ".join(f'{k}="{v}"' for k, v in expected[stack.key].items())
