"""The secondary template serves every secondary: their renders merged, differences mapped."""

from __future__ import annotations

from typing import Any

import pytest

from payinfra.cfn import load_cfn_yaml
from payinfra.config import load_context
from payinfra.model.parameters import stack_parameters
from payinfra.paths import ROOT
from payinfra.render import renderer
from payinfra.render.merge import MAPPING_NAME, MergeError, merge_renders
from payinfra.render.renderer import regional_context, render_all
from payinfra.topology import Topology

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"


def render(cidr: str = "10.1.0.0/16", codes: str = '["BY", "KP"]', account: str = "111111111111",
           latency: int = 500, extra: str = "") -> str:
    return f'''AWSTemplateFormatVersion: "2010-09-09"
Description: >-
  Shared by every secondary.

Parameters:
  AlarmLatency:
    Type: Number
    # samconfig passes it
    Default: {latency}

Conditions:
  Always: !Equals ["a", "a"]

Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: {cidr}
      Tags:
        - Key: Region
          Value: !Ref "AWS::Region"
  Acl:
    Type: AWS::WAFv2::WebACL
    Properties:
      CountryCodes: {codes}
      # kept as it was
      Scope: REGIONAL
  Policy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Principal: !Sub "arn:${{AWS::Partition}}:iam::{account}:root"
{extra}
Outputs:
  VpcCidr:
    Value: {cidr}
'''


def lookup(key: str) -> dict[str, Any]:
    return {"Fn::FindInMap": [MAPPING_NAME, {"Ref": "AWS::Region"}, key]}


def test_one_secondary_is_its_own_render_byte_for_byte() -> None:
    assert merge_renders({"us-east-2": render()}) == render()


def test_differing_values_become_lookups_with_each_regions_value_in_the_mapping() -> None:
    merged = merge_renders({
        "us-east-2": render(),
        "us-west-2": render(cidr="10.2.0.0/16", codes='["KP"]', account="222222222222", latency=800),
    })
    doc = load_cfn_yaml(merged)
    resources = doc["Resources"]
    cidr_key = resources["Vpc"]["Properties"]["CidrBlock"]["Fn::FindInMap"][2]
    assert resources["Vpc"]["Properties"]["CidrBlock"] == lookup(cidr_key)
    assert doc["Outputs"]["VpcCidr"]["Value"] == lookup(cidr_key)  # the same values share one key
    codes_key = resources["Acl"]["Properties"]["CountryCodes"]["Fn::FindInMap"][2]
    table = doc["Mappings"][MAPPING_NAME]
    assert table["us-east-2"][cidr_key] == "10.1.0.0/16" and table["us-west-2"][cidr_key] == "10.2.0.0/16"
    assert table["us-east-2"][codes_key] == ["BY", "KP"] and table["us-west-2"][codes_key] == ["KP"]
    # A word that differs inside !Sub becomes a Sub variable read from the mapping.
    template, variables = resources["Policy"]["Properties"]["Principal"]["Fn::Sub"]
    ((variable, value),) = variables.items()
    assert template == f"arn:${{AWS::Partition}}:iam::${{{variable}}}:root"
    assert value == lookup(variable) and table["us-west-2"][variable] == "222222222222"
    assert all(key.isalnum() for key in table["us-east-2"])
    # Defaults stay the first region's (samconfig passes each region's), and the text says so.
    assert doc["Parameters"]["AlarmLatency"]["Default"] == 500
    assert "Default: 500  # us-east-2's: each region's samconfig env passes its own value" in merged
    # Comments and everything equal survive as they were.
    assert "      # kept as it was\n      Scope: REGIONAL\n" in merged
    assert resources["Vpc"]["Properties"]["Tags"] == [{"Key": "Region", "Value": {"Ref": "AWS::Region"}}]
    assert merged.index("Mappings:") < merged.index("Conditions:")


@pytest.mark.parametrize(
    ("other", "message"),
    [
        (render(extra="  Subnet4:\n    Type: AWS::EC2::Subnet\n"),
         r"Resources: secondaries must agree on its keys: us-east-2 and us-west-2 differ on Subnet4"),
        (render().replace('!Ref "AWS::Region"', '!Ref "Other"'),
         r"Resources\.Vpc\.Properties\.Tags\[0\]\.Value: .*inside an intrinsic.*'!Ref \"AWS::Region\"'.*"
         r"'!Ref \"Other\"'"),
        (render().replace("Shared by every", "Only for one"),
         r"^t\.yaml: Description: .*reads literally: us-east-2 has .*Shared.*us-west-2 has .*Only for one.*"
         r"set it in \[defaults\]"),
        (render().replace("# kept as it was", "# us-west-2 only"), r"a comment differs"),
    ],
    ids=["a resource of one region only", "inside an intrinsic", "a literal description", "a comment"],
)
def test_what_one_template_cannot_serve_is_refused_with_the_path_regions_and_values(
    other: str, message: str
) -> None:
    with pytest.raises(MergeError, match=message):
        merge_renders({"us-east-2": render(), "us-west-2": other}, "t.yaml")


def test_three_regions_render_one_secondary_template_that_resolves_to_each_regions_own_render() -> None:
    """End to end: the merged template, with each region's mapping values put back, is exactly
    what that region renders on its own (defaults aside: samconfig passes those)."""
    ctx = load_context(THREE_REGIONS)
    merged = load_cfn_yaml(render_all(ctx)["template.secondary.yaml"])
    table = merged.pop("Mappings")[MAPPING_NAME]
    assert set(table) == {"us-east-2", "us-west-2"}
    assert {"10.1.0.0/16", "10.2.0.0/16"} <= {str(v) for values in table.values() for v in values.values()}

    env, parameters = renderer._environment(), stack_parameters(ctx)
    for node in Topology.from_context(ctx).secondaries:
        variables = renderer._with_partials(env, regional_context(ctx, node, parameters))
        alone = load_cfn_yaml(renderer._render(env, "regional.yaml.j2", variables))
        resolved = _resolve(merged, table[node.name])
        for name in alone["Parameters"]:
            alone["Parameters"][name].pop("Default", None)
            resolved["Parameters"][name].pop("Default", None)
        alone.pop("Description"), resolved.pop("Description")  # names every region it serves
        assert resolved == alone, node.name


def _resolve(node: Any, values: dict[str, Any]) -> Any:
    """Put a region's mapping values back where the merge looked them up."""
    if isinstance(node, dict):
        if set(node) == {"Fn::FindInMap"} and node["Fn::FindInMap"][0] == MAPPING_NAME:
            return values[node["Fn::FindInMap"][2]]
        if set(node) == {"Fn::Sub"} and isinstance(node["Fn::Sub"], list):
            text, variables = node["Fn::Sub"]
            for name, lookup_ in variables.items():
                text = text.replace("${" + name + "}", _resolve(lookup_, values))
            return {"Fn::Sub": text}
        return {key: _resolve(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, values) for item in node]
    return node
