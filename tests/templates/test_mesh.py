"""The three-region example as a mesh: one secondary template serves both secondaries, its peer
resources toward each secondary conditioned on the region; hub and spoke keeps plain resources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localaws.inventory import declared_resources
from payinfra.cfn import load_cfn_yaml
from payinfra.config import Context, load_context
from payinfra.model import region_slots
from payinfra.paths import ROOT
from payinfra.render.renderer import RenderError, render_all

from .conftest import Template, resources_of

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"
SECONDARIES = {"us-east-2": "UsEast2", "us-west-2": "UsWest2"}
PEER_TYPES = ("AWS::EC2::NetworkAclEntry", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")


@pytest.fixture(scope="module")
def mesh_context() -> Context:
    return load_context(THREE_REGIONS, overrides=['project.peering="mesh"'])


@pytest.fixture(scope="module")
def mesh_rendered(mesh_context: Context) -> dict[str, Template]:
    out = render_all(mesh_context)
    return {name: load_cfn_yaml(text) for name, text in out.items() if name.endswith(".yaml")}


def _cidr(resource: dict[str, Any]) -> str:
    """The literal range of a peer resource; a mapped one (the region's own VPC) as JSON."""
    props = resource["Properties"]
    cidr = props.get("CidrIp", props.get("CidrBlock"))
    return cidr if isinstance(cidr, str) else json.dumps(cidr)


def _peer_resources(template: Template, cidrs: set[str]) -> dict[str, dict[str, Any]]:
    """Logical ID -> SG rule or ACL entry whose range is one of `cidrs` (literal, not mapped)."""
    found: dict[str, dict[str, Any]] = {}
    for type_name in PEER_TYPES:
        found |= {k: v for k, v in resources_of(template, type_name).items() if _cidr(v) in cidrs}
    return found


def test_the_secondary_template_declares_a_region_condition_per_secondary(
    mesh_rendered: dict[str, Template],
) -> None:
    conditions = mesh_rendered["template.secondary.yaml"]["Conditions"]
    for region, name in SECONDARIES.items():
        assert conditions[f"NotIn{name}"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, region]}]}


def test_peer_resources_toward_a_secondary_carry_its_condition_and_toward_the_primary_none(
    mesh_rendered: dict[str, Template], mesh_context: Context
) -> None:
    secondary = mesh_rendered["template.secondary.yaml"]
    for region, name in SECONDARIES.items():
        toward = _peer_resources(secondary, {mesh_context.regions[region].vpc_cidr})
        kinds = {v["Type"] for v in toward.values()}
        assert kinds == set(PEER_TYPES), region  # ACL entries both ways, SG ingress and egress
        assert {v.get("Condition") for v in toward.values()} == {f"NotIn{name}"}, region
    toward_primary = _peer_resources(secondary, {mesh_context.primary.vpc_cidr})
    assert toward_primary and all("Condition" not in v for v in toward_primary.values())


@pytest.mark.parametrize("region", SECONDARIES)
def test_each_secondary_stack_opens_to_the_two_other_regions_and_not_to_itself(
    mesh_rendered: dict[str, Template], mesh_context: Context, region: str
) -> None:
    """The conditions evaluated as CloudFormation does in that region (the inventory's reader)."""
    secondary = mesh_rendered["template.secondary.yaml"]
    created = declared_resources(secondary, {"AWS::Region": region})
    cidrs = {r: s.vpc_cidr for r, s in mesh_context.regions.items()}
    peer = _peer_resources(secondary, set(cidrs.values()))
    opened = {_cidr(secondary["Resources"][k]) for k in created if k in peer}
    assert opened == {cidr for r, cidr in cidrs.items() if r != region}


def test_the_primary_opens_plainly_to_both_secondaries(
    mesh_rendered: dict[str, Template], mesh_context: Context
) -> None:
    primary = mesh_rendered["template.primary.yaml"]
    for region in SECONDARIES:
        rules = _peer_resources(primary, {mesh_context.regions[region].vpc_cidr})
        assert {v["Type"] for v in rules.values()} == set(PEER_TYPES), region
        assert all("Condition" not in v for v in rules.values())
    assert not any(name.startswith("NotIn") for name in primary.get("Conditions", {}))


def test_hub_and_spoke_renders_no_region_conditions(
    three_rendered: dict[str, Template], rendered: dict[str, str]
) -> None:
    committed = {name: load_cfn_yaml(text) for name, text in rendered.items() if name.endswith(".yaml")}
    for templates in (three_rendered, committed):
        for name, template in templates.items():
            assert not any(c.startswith("NotIn") for c in template.get("Conditions", {})), name
            for type_name in PEER_TYPES:
                assert all("Condition" not in v for v in resources_of(template, type_name).values()), name


@pytest.mark.parametrize("which", ["mesh", "hub", "default"])
def test_rule_numbers_are_unique_per_acl_and_direction(
    which: str,
    mesh_rendered: dict[str, Template],
    three_rendered: dict[str, Template],
    rendered: dict[str, str],
) -> None:
    """Every declared entry, conditioned or not: AWS refuses a number twice in one direction."""
    templates = {
        "mesh": mesh_rendered,
        "hub": three_rendered,
        "default": {n: load_cfn_yaml(t) for n, t in rendered.items() if n.endswith(".yaml")},
    }[which]
    for name, template in templates.items():
        seen: set[tuple[str, bool, int]] = set()
        for entry in resources_of(template, "AWS::EC2::NetworkAclEntry").values():
            p = entry["Properties"]
            key = (json.dumps(p["NetworkAclId"]), p["Egress"] in (True, "true"), int(p["RuleNumber"]))
            assert key not in seen, (name, key)
            seen.add(key)


def test_a_region_without_a_rule_number_slot_is_one_render_error(
    mesh_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As after a botocore upgrade that knows a region the slot table does not."""
    monkeypatch.delitem(region_slots._SLOT, "us-west-2")
    with pytest.raises(RenderError, match=r"^us-west-2 has no ACL rule-number slot: append it to REGION_SL"):
        render_all(mesh_context)
