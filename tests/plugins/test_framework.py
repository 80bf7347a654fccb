"""The plugin framework: outputs from CloudFormation, the registry, the hook runner."""

from __future__ import annotations

import json

import boto3
import pytest

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, PluginReporter, Status
from payinfra.plugins.errors import MissingOutputError, PluginError, StackStateError
from payinfra.plugins.outputs import CloudFormationOutputs
from payinfra.plugins.registry import default_plugins, select
from payinfra.plugins.runner import run_hook, run_verify
from tests.plugins.conftest import World

TEMPLATE = {
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {"AlarmTopicArn": {"Value": {"Ref": "Topic"}}},
}


def test_outputs_come_from_describe_stacks_once(world: World) -> None:
    pc = world.context()
    stack = pc.stacks["us-east-1"]
    boto3.client("cloudformation", region_name=stack.region).create_stack(
        StackName=stack.name, TemplateBody=json.dumps(TEMPLATE)
    )
    outputs = CloudFormationOutputs(pc.sessions)
    first = outputs.deployed(stack)
    assert first.require("AlarmTopicArn").startswith("arn:aws:sns:us-east-1:")
    outputs.deployed(stack)
    assert [op for _, _, op in world.log.calls].count("DescribeStacks") == 1
    with pytest.raises(
        MissingOutputError, match=r"stack payments-primary-dev \(us-east-1\) has no output 'VpcId'"
    ):
        first.require("VpcId")


def test_missing_stack_and_bad_states_are_clear_errors(world: World) -> None:
    pc = world.context()
    outputs = CloudFormationOutputs(pc.sessions)
    with pytest.raises(
        StackStateError, match=r"does not exist in us-east-2: deploy it first .*--config-env us-east-2"
    ):
        outputs.deployed(pc.stacks["us-east-2"])
    assert outputs.existing(pc.stacks["us-east-2"]) is None


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("ROLLBACK_COMPLETE", "must be deleted before it can be deployed again"),
        ("UPDATE_ROLLBACK_COMPLETE", "fix the cause"),
        ("UPDATE_IN_PROGRESS", "wait for it to finish"),
    ],
)
def test_unstable_stack_states(world: World, status: str, advice: str) -> None:
    from payinfra.plugins.outputs import StaticOutputs

    pc = world.context()
    pc.outputs = StaticOutputs({"us-east-1": {}}, status={"us-east-1": status})
    with pytest.raises(StackStateError, match=f"is in {status}.*{advice}"):
        pc.deployed("us-east-1")


def test_every_declared_hook_is_implemented_and_names_are_unique() -> None:
    plugins = default_plugins()
    assert len({p.name for p in plugins}) == len(plugins)
    methods = {
        Hook.AFTER_DEPLOY: "after_deploy",
        Hook.BEFORE_DESTROY: "before_destroy",
        Hook.VERIFY: "verify",
    }
    for plugin in plugins:
        for hook, method in methods.items():
            overridden = getattr(type(plugin), method) is not getattr(Plugin, method)
            assert overridden == (hook in plugin.hooks), f"{plugin.name}: {hook}"


def test_replication_is_removed_before_buckets_are_emptied() -> None:
    order = [p.name for p in select(default_plugins(), Hook.BEFORE_DESTROY)]
    assert order.index("s3-replication") < order.index("versioned-buckets")
    assert order.index("dynamodb-replica") < order.index("versioned-buckets")


def test_select_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown plugin"):
        select(default_plugins(), Hook.VERIFY, ["nope"])
    assert [p.name for p in select(default_plugins(), Hook.VERIFY, ["alarms"])] == ["alarms"]


class _Failing(Plugin):
    name = "failing"
    summary = "fails"
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        raise PluginError("precondition missing")

    before_destroy = after_deploy

    def verify(self, pc: PluginContext) -> list[Check]:
        raise PluginError("cannot read")


class _Fine(Plugin):
    name = "fine"
    summary = "works"
    hooks = (Hook.AFTER_DEPLOY, Hook.BEFORE_DESTROY, Hook.VERIFY)

    def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
        out.unchanged("ok")

    before_destroy = after_deploy

    def verify(self, pc: PluginContext) -> list[Check]:
        return [Check("fine", Status.HOLDS, "ok")]


def test_runner_continues_after_deploy_but_stops_destroy(world: World) -> None:
    pc = world.context()
    results = run_hook([_Failing(), _Fine()], Hook.AFTER_DEPLOY, pc)
    assert [(r.plugin, r.ok, r.error) for r in results] == [
        ("failing", False, "precondition missing"),
        ("fine", True, ""),
    ]
    results = run_hook([_Failing(), _Fine()], Hook.BEFORE_DESTROY, pc, stop_on_error=True)
    assert [r.plugin for r in results] == ["failing"]
    checks = run_verify([_Failing(), _Fine()], pc)
    assert [(c.promise, c.status) for c in checks] == [
        ("failing: state readable", Status.BROKEN),
        ("fine", Status.HOLDS),
    ]


def test_policy_documents_in_json_or_flow_mapping_form() -> None:
    from payinfra.plugins.iam_grants import _document, document_allows

    as_json = '{"Statement": [{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "arn:k"}]}'
    as_repr = "{'Statement': [{'Effect': 'Allow', 'Action': ['kms:Encrypt'], 'Resource': 'arn:k'}]}"
    for raw in (as_json, as_repr):
        assert document_allows(_document(raw, "test"), "kms:Encrypt", "arn:k")
    with pytest.raises(PluginError, match="neither JSON nor a mapping"):
        _document("[unclosed", "test")


def test_runner_reports_unexpected_errors_by_type(world: World) -> None:
    class _Buggy(_Fine):
        name = "buggy"

        def after_deploy(self, pc: PluginContext, out: PluginReporter) -> None:
            raise KeyError("Rules")

    (result,) = run_hook([_Buggy()], Hook.AFTER_DEPLOY, world.context())
    assert (result.ok, result.error) == (False, "unexpected KeyError: 'Rules'")


def test_protected_environment_keeps_data_on_destroy(world: World) -> None:
    """Every plugin whose before-destroy deletes data is skipped, with a reason, when protected."""
    from payinfra.config import load_context
    from payinfra.plugins.registry import default_plugins

    class _Destroyer(_Fine):
        name = "destroyer"
        destroys_data = True

        def before_destroy(self, pc: PluginContext, out: PluginReporter) -> None:
            raise AssertionError("a protected environment's data must not be touched")

    protected = load_context(overrides=[
        "project.protect=true",
        "us-east-1.certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/abc",
        "us-east-2.certificate_arn=arn:aws:acm:us-east-2:123456789012:certificate/abc",
    ])
    pc = world.context()
    pc.config = protected
    results = run_hook([_Destroyer(), _Fine()], Hook.BEFORE_DESTROY, pc, stop_on_error=True)
    assert [(r.plugin, r.ok) for r in results] == [("destroyer", True), ("fine", True)]
    kept = [e.message for e in world.reporter.events if e.plugin == "destroyer"]
    assert kept and "protected" in kept[0] and "kept" in kept[0]
    # The shipped plugins that empty buckets or drop replicas are the ones marked.
    marked = {p.name for p in default_plugins() if p.destroys_data}
    assert {"versioned-buckets", "dynamodb-replica", "secret-replication"} <= marked


def test_development_environment_runs_data_deleting_plugins(world: World) -> None:
    class _Destroyer(_Fine):
        name = "destroyer"
        destroys_data = True

    results = run_hook([_Destroyer()], Hook.BEFORE_DESTROY, world.context())
    assert [e.message for e in world.reporter.events if e.plugin == "destroyer"] == ["ok"]
    assert results[0].ok
