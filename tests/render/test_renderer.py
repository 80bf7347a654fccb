"""Renderer properties: one source for both regions, config-driven differences, samconfig."""

from __future__ import annotations

import difflib
import re
import tomllib

import pytest

from payinfra.config import load_context
from payinfra.model.network import plan_subnets
from payinfra.paths import ROOT
from payinfra.render.renderer import RenderError, render_all
from payinfra.topology import stacks

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"


def changed_lines(a: str, b: str) -> list[str]:
    return [
        line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_one_context_key_changes_only_the_expected_lines() -> None:
    base = render_all(load_context())
    changed = render_all(load_context(overrides=['us-east-2.waf.blocked_countries=["KP","IR","RU"]']))
    assert base["template.primary.yaml"] == changed["template.primary.yaml"]
    assert base["template.peering.yaml"] == changed["template.peering.yaml"]
    diff = changed_lines(base["template.secondary.yaml"], changed["template.secondary.yaml"])
    assert diff, "the secondary WAF list must reach the secondary template"
    # Only country-code lines (YAML list items or a flow list) change.
    for line in diff:
        assert any(code in line for code in ("KP", "IR", "RU", "SY", "CU", "BY")), line


def test_template_sources_never_spell_a_region_or_cidr() -> None:
    """Region differences come only from context.toml: no literal region or CIDR in templates/."""
    from payinfra.render.renderer import TEMPLATES

    ctx = load_context(THREE_REGIONS)
    literals = {*ctx.regions, *(region.vpc_cidr for region in ctx.regions.values())}
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.j2")):
        code = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)  # Jinja comments
        for line in code.splitlines():
            content = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
            if any(literal in content for literal in literals):
                offenders.append(f"{path.relative_to(TEMPLATES)}: {line.strip()}")
    assert offenders == []


def test_samconfig_has_one_env_per_stack_with_everything_sam_needs() -> None:
    ctx = load_context()
    out = render_all(ctx)
    config = tomllib.loads(out["samconfig.toml"])
    for stack in stacks(ctx):
        env = config[stack.config_env]
        assert env["global"]["parameters"]["stack_name"] == stack.name
        assert env["global"]["parameters"]["region"] == stack.region
        assert env["build"]["parameters"]["template_file"] == stack.template
        deploy = env["deploy"]["parameters"]
        assert deploy["template_file"].endswith("/template.yaml")
        assert deploy["resolve_s3"] is True
        assert "CAPABILITY_NAMED_IAM" in deploy["capabilities"]
        assert f'Region="{stack.region}"' in deploy["tags"]
        assert f'Environment="{ctx.project.environment}"' in deploy["tags"]
        assert f'CostCenter="{ctx.project.cost_center}"' in deploy["tags"]
        assert f'EnvironmentSuffix="{ctx.project.suffix}"' in deploy["parameter_overrides"]
    assert set(config) >= {"default", "us-east-2", "peering-us-east-2"}
    assert config["default"]["global"]["parameters"]["region"] == "us-east-1"
    assert config["us-east-2"]["global"]["parameters"]["region"] == "us-east-2"


@pytest.mark.parametrize("peering", ["hub-and-spoke", "mesh"])
def test_three_regions_give_one_env_per_stack_each_with_its_own_parameters(peering: str) -> None:
    ctx = load_context(THREE_REGIONS, [f'project.peering="{peering}"'])
    out = render_all(ctx)
    config = tomllib.loads(out["samconfig.toml"])
    envs = {stack.config_env: stack for stack in stacks(ctx)}
    assert set(envs) <= set(config)
    expected = {"default", "us-east-2", "us-west-2", "peering-us-east-2", "peering-us-west-2", "global"}
    if peering == "mesh":
        expected.add("peering-us-east-2-us-west-2")
    assert set(envs) == expected
    overrides = {env: config[env]["deploy"]["parameters"]["parameter_overrides"] for env in envs}
    assert 'AccepterRegion="us-west-2"' in overrides["peering-us-west-2"]
    assert 'RequesterStackName="payments-primary-dev"' in overrides["peering-us-west-2"]
    assert 'AlarmLatencyP99Ms="800"' in overrides["us-west-2"]
    assert 'AlarmLatencyP99Ms="500"' in overrides["us-east-2"]
    # One file per template, shared by the stacks that deploy it.
    assert {envs[env].template for env in envs} == {
        "template.primary.yaml", "template.secondary.yaml", "template.peering.yaml", "template.global.yaml"}


def test_samconfig_overrides_list_every_template_parameter() -> None:
    from payinfra.cfn import load_cfn_yaml

    ctx = load_context()
    out = render_all(ctx)
    config = tomllib.loads(out["samconfig.toml"])
    for stack in stacks(ctx):
        params = load_cfn_yaml(out[stack.template]).get("Parameters", {})
        overrides = config[stack.config_env]["deploy"]["parameters"]["parameter_overrides"]
        for name in params:
            assert f"{name}=" in overrides, (stack.role, name)


@pytest.mark.parametrize("cidr,azs", [("10.0.0.0/16", 3), ("10.1.0.0/16", 2), ("172.16.0.0/20", 3),
                                      ("192.168.0.0/16", 6)])
def test_subnet_plan_is_disjoint_and_inside_the_vpc(cidr: str, azs: int) -> None:
    import ipaddress

    vpc = ipaddress.IPv4Network(cidr)
    plan = plan_subnets(cidr, azs)
    assert len(plan) == 3 * azs
    nets = [ipaddress.IPv4Network(s.cidr) for s in plan]
    assert all(n.subnet_of(vpc) for n in nets)
    assert all(not a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1:])
    assert {s.tier for s in plan} == {"public", "private", "isolated"}


def test_mesh_requesters_with_different_route_table_counts_are_refused() -> None:
    """The one peering template lays out one route per requester route table: every requester
    (in mesh, the primary and all but the last secondary) must have as many."""
    from payinfra.model.parameters import stack_parameters
    from payinfra.render.renderer import peering_context

    ctx = load_context(THREE_REGIONS, ['project.peering="mesh"', "us-east-1.az_count=2"])
    with pytest.raises(RenderError, match=r"same number of route tables.*us-east-1 3, us-east-2 4.*az_count"):
        peering_context(ctx, stack_parameters(ctx))
    hub = load_context(THREE_REGIONS, ["us-east-1.az_count=2"])
    assert peering_context(hub, stack_parameters(hub))["route_table_count"] == 3
