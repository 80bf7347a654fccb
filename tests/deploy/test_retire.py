"""Removing a region converges: its stacks are found in the partition's regions, the region is
prepared by the plugins, its peerings are deleted, then its stack; a protected environment waits
for `--retire REGION`; a rerun after an interruption finishes the job."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localaws.testing import mock_aws
from payinfra.config import Context, load_context
from payinfra.deploy import commands, retire
from payinfra.deploy.errors import OrchestrationError
from payinfra.deploy.graph import StepState
from payinfra.deploy.sam import CommandResult
from payinfra.paths import ROOT
from payinfra.plugins.api import PluginContext, PluginReporter
from payinfra.plugins.aws import RegionalSessions
from payinfra.topology import stacks
from tests.deploy.fakes import DeletingSam, create_stacks, existing, is_live, runtime

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"
OVERRIDES = ["defaults.lambda.runtime=python3.11"]
MESH = 'project.peering="mesh"'
PROD = [
    "project.environment=prod",
    "us-east-1.certificate_arn=arn:aws:acm:us-east-1:123456789012:certificate/abc",
    "us-east-2.certificate_arn=arn:aws:acm:us-east-2:123456789012:certificate/abc",
]
# Few regions keep the scan quick; the partition's list is tested on its own.
SCANNED = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1"]
PEERING_TO_WEST = "sam delete --stack-name payments-peering-dev-us-west-2 --region us-east-1 --no-prompts"
WEST = "sam delete --stack-name payments-secondary-dev --region us-west-2 --no-prompts"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setattr(retire, "partition_regions", lambda _primary: SCANNED)
    with mock_aws():
        yield


@functools.cache
def two(*overrides: str) -> Context:
    return load_context(overrides=[*OVERRIDES, *overrides])


@functools.cache
def three(*overrides: str) -> Context:
    return load_context(THREE_REGIONS, [*OVERRIDES, *overrides])


def test_the_partition_is_scanned_and_only_this_deployments_names_count(aws: None) -> None:
    create_stacks(list(stacks(three())))
    mesh_peering = [s for s in stacks(three(MESH)) if s.key == "peering-us-east-2-us-west-2"]
    create_stacks(mesh_peering)  # the mesh peering us-east-2 <-> us-west-2
    create_stacks(list(stacks(load_context(THREE_REGIONS, OVERRIDES, suffix="pr42"))))  # another env
    found = retire.discover(two(), RegionalSessions())
    # Not the global stack (it serves the regions left, and the context still lists it).
    assert [(r.stack.name, r.stack.region, r.stack.key, r.retires) for r in found.stacks] == [
        ("payments-peering-dev-us-west-2", "us-east-1", "peering-us-west-2", "us-west-2"),
        ("payments-peering-dev-us-west-2", "us-east-2", "peering-us-east-2-us-west-2", "us-west-2"),
        ("payments-secondary-dev", "us-west-2", "us-west-2", "us-west-2"),
    ]
    assert found.regions == ("us-west-2",)
    assert found.unreachable == ()


def test_the_partition_holds_the_primary_and_not_other_partitions() -> None:
    regions = retire.partition_regions("us-east-1")
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(regions)
    assert "cn-north-1" not in regions and "us-gov-west-1" not in regions


def test_a_peering_between_remaining_regions_is_named_by_its_key(aws: None) -> None:
    create_stacks(list(stacks(three(MESH))))
    found = retire.discover(three(), RegionalSessions())  # mesh -> hub-and-spoke
    assert [(r.stack.key, r.retires) for r in found.stacks] == [
        ("peering-us-east-2-us-west-2", "peering-us-east-2-us-west-2")
    ]
    assert found.regions == ()


class Refusing:
    """A CloudFormation client in a region the account has not enabled."""

    def get_paginator(self, _name: str) -> Any:
        raise ClientError(
            {"Error": {"Code": "InvalidClientTokenId", "Message": "The security token is invalid"}},
            "ListStacks",
        )


def test_a_disabled_opt_in_region_counts_as_empty(aws: None) -> None:
    create_stacks(list(stacks(three())))
    sessions = RegionalSessions()
    reachable = retire.scan_clients(sessions, "us-east-1", SCANNED)
    found = retire.discover(
        two(), sessions, cloudformation=lambda r: Refusing() if r == "eu-west-1" else reachable(r)
    )
    assert found.unreachable == ("eu-west-1",)
    assert found.regions == ("us-west-2",)


def test_peerings_are_retired_before_their_regions_stack() -> None:
    found = [
        retire.Retired(stacks(three(MESH))[i], "CREATE_COMPLETE", "us-west-2", accepter)
        for i, accepter in ((4, "us-west-2"), (5, "us-west-2"))
    ] + [retire.Retired(stacks(three())[2], "CREATE_COMPLETE", "us-west-2")]
    plan = {n.key: n.needs for n in retire.retirement_plan(found)}
    assert plan == {
        "peering-us-west-2": (),
        "peering-us-east-2-us-west-2": (),
        "us-west-2": ("peering-us-west-2", "peering-us-east-2-us-west-2"),
    }


class Recorder:
    """The plugins' `prepare_retirement`, recorded in the same list as the sam commands."""

    def __init__(self, log: list[str], fail: bool = False) -> None:
        self.log = log
        self.fail = fail

    def __call__(self, pc: PluginContext, region: str, out: PluginReporter) -> None:
        self.log.append(f"prepare {region}")
        if self.fail:
            raise OrchestrationError(f"replication rule to {region} still there")


class LoggedSam(DeletingSam):
    def __init__(self, log: list[str], fail: dict[str, CommandResult] | None = None) -> None:
        super().__init__(fail)
        self.log = log

    def __call__(self, argv: list[str], **kwargs: Any) -> CommandResult:
        result = super().__call__(argv, **kwargs)
        self.log.append(self.commands[-1])
        return result


def retire_with(
    ctx: Context, root: Path, log: list[str], *, named: tuple[str, ...] = (), **options: Any
) -> tuple[retire.RetireOutcome, list[str]]:
    lines: list[str] = []
    sam_runner = LoggedSam(log, options.get("fail"))
    rt = runtime(ctx, root, sam_runner, lines)
    rt.prepare_retirement = Recorder(log, options.get("prepare_fails", False))

    def prepare_peering(pc: PluginContext, requester: str, accepter: str, out: PluginReporter) -> None:
        log.append(f"prepare peering {requester} {accepter}")
        if options.get("peering_prepare_fails", False):
            raise OrchestrationError("a zone association is still there")

    rt.prepare_peering_retirement = prepare_peering
    outcome = commands.retire_stacks(rt, commands._sam(rt, rt.environ), rt.plugin_context(), named)
    return outcome, lines


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The environment's folder: retired stacks have no samconfig env, so it needs no render."""
    return tmp_path


def test_removing_a_region_prepares_it_then_deletes_its_peering_then_its_stack(aws: None, root: Path) -> None:
    create_stacks(list(stacks(three())))
    log: list[str] = []
    outcome, lines = retire_with(two(), root, log)
    assert log == ["prepare us-west-2", PEERING_TO_WEST, WEST]
    assert outcome.ok and {r.detail for r in outcome.stacks.values()} == {"deleted"}
    assert existing(three()) == [
        "payments-primary-dev (us-east-1)",
        "payments-secondary-dev (us-east-2)",
        "payments-peering-dev-us-east-2 (us-east-1)",
        "payments-global-dev (us-east-1)",  # kept: the deploy updated it to the regions left
    ]
    assert "    payments-secondary-dev (us-west-2, CREATE_COMPLETE)" in lines
    again, _ = retire_with(two(), root, log := [])  # converged: nothing found, nothing run
    assert log == [] and again.found.stacks == () and again.ok


def test_an_interrupted_retirement_is_finished_by_the_next_run(aws: None, root: Path) -> None:
    create_stacks(list(stacks(three())))
    log: list[str] = []
    failed, _ = retire_with(two(), root, log, fail={WEST: CommandResult(255, "interrupted")})
    assert failed.stacks["us-west-2"].state == StepState.FAILED and not failed.ok
    assert not is_live("payments-peering-dev-us-west-2", "us-east-1")
    assert is_live("payments-secondary-dev", "us-west-2")
    log.clear()
    finished, _ = retire_with(two(), root, log)
    assert log == ["prepare us-west-2", WEST]  # the peering is gone: only what is left
    assert finished.ok and not is_live("payments-secondary-dev", "us-west-2")


MESH_PEERING = "sam delete --stack-name payments-peering-dev-us-west-2 --region us-east-2 --no-prompts"


def test_mesh_back_to_hub_unlinks_the_peering_of_two_staying_regions_before_deleting_it(
    aws: None, root: Path
) -> None:
    create_stacks(list(stacks(three(MESH))))
    log: list[str] = []
    outcome, _ = retire_with(three(), root, log)
    assert log == ["prepare peering us-east-2 us-west-2", MESH_PEERING]
    assert outcome.ok and not is_live("payments-peering-dev-us-west-2", "us-east-2")
    log.clear()
    failed, _ = retire_with(three(), root, log := [], peering_prepare_fails=True)
    assert failed.ok and log == []  # already converged: nothing found, nothing prepared


def test_a_failed_peering_preparation_keeps_its_stack(aws: None, root: Path) -> None:
    create_stacks(list(stacks(three(MESH))))
    log: list[str] = []
    outcome, _ = retire_with(three(), root, log, peering_prepare_fails=True)
    assert log == ["prepare peering us-east-2 us-west-2"]  # nothing deleted
    assert outcome.prepare_failures == {"peering-us-east-2-us-west-2": "a zone association is still there"}
    assert not outcome.ok and is_live("payments-peering-dev-us-west-2", "us-east-2")


def test_a_failed_preparation_keeps_that_regions_stacks(aws: None, root: Path) -> None:
    create_stacks(list(stacks(three())))
    log: list[str] = []
    outcome, _ = retire_with(two(), root, log, prepare_fails=True)
    assert log == ["prepare us-west-2"]  # nothing deleted
    assert outcome.prepare_failures == {"us-west-2": "replication rule to us-west-2 still there"}
    assert outcome.stacks["us-west-2"].state == StepState.SKIPPED
    assert not outcome.ok


def test_a_protected_environment_retires_only_the_region_it_is_told(aws: None, root: Path) -> None:
    create_stacks(list(stacks(three())))
    log: list[str] = []
    refused, lines = retire_with(two(*PROD), root, log)
    assert log == [] and refused.refused == ("us-west-2",) and not refused.ok
    assert is_live("payments-secondary-dev", "us-west-2")
    told = "python -m payinfra deploy --retire us-west-2"
    assert any("protected" in line and told in line for line in lines)
    named, _ = retire_with(two(*PROD), root, log, named=("us-west-2",))
    assert log == ["prepare us-west-2", PEERING_TO_WEST, WEST] and named.ok


def test_retire_may_not_name_a_region_the_context_lists() -> None:
    with pytest.raises(OrchestrationError, match="--retire us-east-2: the context still lists it"):
        retire.check_names(two(), ["us-east-2"])
    retire.check_names(two(), ["us-west-2"])


def test_destroy_names_what_it_leaves_in_removed_regions(aws: None, root: Path) -> None:
    create_stacks(list(stacks(three())))
    lines: list[str] = []
    commands.warn_retired(runtime(two(), root, LoggedSam([]), lines))
    assert [line.split(":")[1].strip() for line in lines] == [
        "payments-peering-dev-us-west-2 (us-east-1, CREATE_COMPLETE)",
        "payments-secondary-dev (us-west-2, CREATE_COMPLETE)",
    ]
    assert all("the context no longer lists us-west-2" in line for line in lines)
