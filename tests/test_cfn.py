"""Reading CloudFormation YAML: short tags in their long form, plain data, one-line errors."""

from __future__ import annotations

import json

import pytest

from payinfra.cfn import CfnDocumentError, load_cfn_yaml

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsProd
    Properties:
      TopicName: !Sub "alarms-${Env}"
      KmsMasterKeyId: !If [IsProd, !GetAtt Key.Arn, !Ref AWS::NoValue]
      Tags:
        - Key: zone
          Value: !Select [0, !GetAZs ""]
        - Key: joined
          Value: !Join ["-", [a, !Ref Env]]
Outputs:
  Endpoint:
    Value: !GetAtt Db.Endpoint.Address
  Listed:
    Value: !GetAtt [Db, Endpoint.Port]
  Long:
    Value:
      Fn::GetAtt: [Key, Arn]
  Gate:
    Value: !Condition IsProd
"""


@pytest.fixture(scope="module")
def document() -> dict:
    return load_cfn_yaml(TEMPLATE, "t.yaml")


def test_short_tags_become_long_form_keys(document: dict) -> None:
    props = document["Resources"]["Topic"]["Properties"]
    assert document["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Env"}, "prod"]}
    assert props["TopicName"] == {"Fn::Sub": "alarms-${Env}"}
    assert props["KmsMasterKeyId"] == {
        "Fn::If": ["IsProd", {"Fn::GetAtt": ["Key", "Arn"]}, {"Ref": "AWS::NoValue"}]
    }
    assert props["Tags"][0]["Value"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
    assert props["Tags"][1]["Value"] == {"Fn::Join": ["-", ["a", {"Ref": "Env"}]]}
    # `Condition` is not an `Fn::` function (the old hand-written loader said `Fn::Condition`).
    assert document["Outputs"]["Gate"]["Value"] == {"Condition": "IsProd"}


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Endpoint", ["Db", "Endpoint.Address"]),  # split at the first dot only
        ("Listed", ["Db", "Endpoint.Port"]),
        ("Long", ["Key", "Arn"]),
    ],
)
def test_every_get_att_form_reads_as_the_json_array(document: dict, output: str, expected: list) -> None:
    assert document["Outputs"][output]["Value"] == {"Fn::GetAtt": expected}


def test_result_is_plain_data_in_document_order(document: dict) -> None:
    def types(node: object) -> set[type]:
        if isinstance(node, dict):
            return {type(node)} | {t for v in node.values() for t in types(v)}
        if isinstance(node, list):
            return {list} | {t for v in node for t in types(v)}
        return set()

    assert types(document) == {dict, list}
    assert list(document) == ["AWSTemplateFormatVersion", "Conditions", "Resources", "Outputs"]
    assert json.loads(json.dumps(document)) == document


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Resources: [\n", r"^t\.yaml:2:1: YAML does not parse: .+"),
        ("Resources:\n  A: !Ref\n    - x\n  B: [\n", r"^t\.yaml:\d+:\d+: YAML does not parse"),
        ("? [a, b]\n: c\n", r"^t\.yaml: not a CloudFormation document \(TypeError: .*unhashable"),
        ("Value: !GetAtt {A: B}\n", r"^t\.yaml: not a CloudFormation document \(AttributeError"),
    ],
)
def test_broken_yaml_is_one_line_naming_the_source(text: str, message: str) -> None:
    with pytest.raises(CfnDocumentError, match=message) as raised:
        load_cfn_yaml(text, "t.yaml")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("text", ["just a string\n", "- a\n- b\n", "", "42\n"])
def test_a_document_that_is_not_a_mapping_is_refused(text: str) -> None:
    with pytest.raises(CfnDocumentError, match=r"^t\.yaml: YAML is not a mapping$"):
        load_cfn_yaml(text, "t.yaml")


def test_the_source_defaults_to_a_placeholder() -> None:
    with pytest.raises(CfnDocumentError, match=r"^<template>: YAML is not a mapping$"):
        load_cfn_yaml("[]\n")
