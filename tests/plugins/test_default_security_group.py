"""default-security-group: every rule revoked in both regions, idempotent, verified."""

from __future__ import annotations

import pytest

from localaws.testing import mock_aws
from payinfra.plugins.api import EventKind, Status
from payinfra.plugins.default_security_group import DefaultSecurityGroupPlugin
from tests.plugins.conftest import Interrupted, World, fresh_world


def _rules(world: World, role: str) -> list[dict]:
    region = world.context().stacks[role].region
    group = world.outputs[role]["DefaultSecurityGroupId"]
    ec2 = world.client("ec2", region)
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"
    ]


def test_revokes_ingress_and_egress_in_both_regions(world: World) -> None:
    assert len(_rules(world, "us-east-1")) == 2 and len(_rules(world, "us-east-2")) == 2
    DefaultSecurityGroupPlugin().after_deploy(world.context(), world.reporter.for_plugin("sg"))
    assert _rules(world, "us-east-1") == [] and _rules(world, "us-east-2") == []
    writes = [op for _, _, op in world.log.writes()]
    assert sorted(writes) == sorted(["RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress"] * 2)
    assert {e.kind for e in world.reporter.events} == {EventKind.CHANGED}


def test_second_run_writes_nothing_and_says_so(world: World) -> None:
    plugin = DefaultSecurityGroupPlugin()
    plugin.after_deploy(world.context(), world.reporter.for_plugin("sg"))
    world.reset_log()
    plugin.after_deploy(world.context(), world.reporter.for_plugin("sg"))
    assert world.log.writes() == []
    assert [e.kind for e in world.reporter.events] == [EventKind.NO_CHANGE, EventKind.NO_CHANGE]


def test_verify_reports_the_remaining_rules_then_holds(world: World) -> None:
    plugin = DefaultSecurityGroupPlugin()
    before = plugin.verify(world.context())
    assert [c.status for c in before] == [Status.BROKEN, Status.BROKEN]
    assert "0.0.0.0/0" in before[0].reason
    plugin.after_deploy(world.context(), world.reporter.for_plugin("sg"))
    assert [c.status for c in plugin.verify(world.context())] == [Status.HOLDS, Status.HOLDS]


@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_converges_after_an_interruption_at_each_write(aws_env: None, config, fail_at: int) -> None:
    with mock_aws():
        world = fresh_world(config)
        plugin = DefaultSecurityGroupPlugin()
        world.log.fail_at_write = fail_at
        with pytest.raises(Interrupted):
            plugin.after_deploy(world.context(), world.reporter.for_plugin("sg"))
        world.reset_log()
        plugin.after_deploy(world.context(), world.reporter.for_plugin("sg"))
        assert _rules(world, "us-east-1") == [] and _rules(world, "us-east-2") == []
        world.reset_log()
        plugin.after_deploy(world.context(), world.reporter.for_plugin("sg"))
        assert world.log.writes() == []
