"""The inventory: each declared resource checked through its own service API, with honest statuses."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from payinfra.emulator import check_deleted, take_inventory
from payinfra.emulator.checkers import CHECKERS
from payinfra.emulator.fixes import apply_fixes
from payinfra.emulator.fixes._template_hook import parse_template
from payinfra.emulator.inventory import declared_resources

from .support import create, emulated, vpc_template

REPO = Path(__file__).resolve().parents[2]
RENDERED = sorted(REPO.glob("template.*.yaml"))
# What the SAM transform turns the serverless types of our templates into (each needs a checker too).
SAM_OUTPUT_TYPES = {
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission",
}


def _session(region: str = "us-east-1") -> boto3.Session:
    return boto3.Session(region_name=region)


def test_statuses_are_honest() -> None:
    template = vpc_template(
        extra={
            "Param": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": "/p", "Type": "String", "Value": "v"},
            },
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"Name": "r", "ScheduleExpression": "rate(1 day)"},
            },
            "Unknown": {"Type": "AWS::AppConfig::Application", "Properties": {"Name": "a"}},
            "Skipped": {
                "Type": "AWS::SSM::Parameter",
                "Condition": "Off",
                "Properties": {"Name": "/q", "Type": "String", "Value": "v"},
            },
        }
    )
    template["Parameters"] = {"Flag": {"Type": "String", "Default": "no"}}
    template["Conditions"] = {"Off": {"Fn::Equals": [{"Ref": "Flag"}, "yes"]}}
    with emulated() as client:
        create(client, "s", template)
        client("ssm").delete_parameter(Name="/p")  # removed behind CloudFormation's back
        inventory = take_inventory("s", _session())
        status = {c.logical_id: c.status for c in inventory.checks}
        assert status == {
            "Vpc": "describable",
            "Subnet": "describable",
            "Param": "missing",
            "Rule": "unchecked",
            "Unknown": "not_materialised",
        }
        assert not inventory.complete
        assert inventory.not_materialised() == {"AWS::AppConfig::Application": ["Unknown"]}
        rows = {r.resource_type: r for r in inventory.by_type()}
        assert (rows["AWS::EC2::Subnet"].created, rows["AWS::EC2::Subnet"].describable) == (1, 1)
        assert "! unchecked: Rule (AWS::Events::Rule)" in inventory.render()
        assert inventory.summary().startswith(
            "s (us-east-1): 5 declared, 4 created, 2 describable, 1 missing"
        )


def test_check_deleted_lists_what_outlives_the_stack() -> None:
    template = vpc_template(
        extra={
            "Kept": {
                "Type": "AWS::SSM::Parameter",
                "DeletionPolicy": "Retain",
                "Properties": {"Name": "/kept", "Type": "String", "Value": "v"},
            }
        }
    )
    with emulated() as client:
        create(client, "s", template)
        inventory = take_inventory("s", _session())
        assert inventory.complete
        client("cloudformation").delete_stack(StackName="s")
        assert [c.logical_id for c in check_deleted(inventory, _session())] == ["Kept"]


def test_conditions_follow_parameters() -> None:
    template = {
        "Conditions": {
            "HasCert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Cert"}, ""]}]},
            "Both": {
                "Fn::And": [{"Condition": "HasCert"}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}]
            },
            "Either": {"Fn::Or": [{"Condition": "HasCert"}, {"Fn::Equals": ["a", "a"]}]},
        },
        "Resources": {name: {"Type": "T", "Condition": name} for name in ("HasCert", "Both", "Either")}
        | {"Always": {"Type": "T"}},
    }
    assert set(declared_resources(template, {"Cert": "", "AWS::Region": "us-east-1"})) == {"Either", "Always"}
    assert set(declared_resources(template, {"Cert": "arn:x", "AWS::Region": "us-east-1"})) == {
        "HasCert",
        "Both",
        "Either",
        "Always",
    }


@pytest.mark.skipif(not RENDERED, reason="no rendered template.*.yaml at the repository root")
@pytest.mark.parametrize("path", RENDERED, ids=lambda p: p.name)
def test_every_type_of_the_rendered_templates_is_materialised_and_checked(path: Path) -> None:
    """No silent skip: a type the templates use without a model or a checker fails here first."""
    from moto.cloudformation.parsing import get_model_map

    types = {r["Type"] for r in parse_template(path.read_text())["Resources"].values()}
    if any(t.startswith("AWS::Serverless::") for t in types):
        types = {t for t in types if not t.startswith("AWS::Serverless::")} | SAM_OUTPUT_TYPES
    patcher = apply_fixes()
    try:
        models = get_model_map()
        assert sorted(t for t in types if t not in models) == []
    finally:
        patcher.revert()
    assert sorted(t for t in types if t not in CHECKERS) == []
