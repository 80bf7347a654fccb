"""The dependency order for both database modes, and how a failure stops only its dependants."""

from __future__ import annotations

import threading

import pytest

from payinfra.config import Context, load_context
from payinfra.deploy.graph import StepFailed, StepState, run_graph
from payinfra.deploy.plan import Node, deploy_plan, destroy_plan, waves


@pytest.fixture(scope="module", params=["replica", "independent"])
def ctx(request: pytest.FixtureRequest) -> Context:
    return load_context(overrides=[f"project.database_mode={request.param}"])


def roles(wave_list: list[list[Node]]) -> list[list[str]]:
    return [[n.role for n in wave] for wave in wave_list]


def test_deploy_order_follows_the_database_mode(ctx: Context) -> None:
    if ctx.project.database_mode == "replica":
        assert roles(waves(deploy_plan(ctx))) == [["primary"], ["secondary"], ["peering"]]
    else:
        assert roles(waves(deploy_plan(ctx))) == [["primary", "secondary"], ["peering"]]


def test_destroy_is_the_reverse(ctx: Context) -> None:
    if ctx.project.database_mode == "replica":
        assert roles(waves(destroy_plan(ctx))) == [["peering"], ["secondary"], ["primary"]]
    else:
        assert roles(waves(destroy_plan(ctx))) == [["peering"], ["secondary", "primary"]]


def test_plan_uses_the_rendered_stack_names_and_regions(ctx: Context) -> None:
    stacks = {n.role: n.stack for n in deploy_plan(ctx)}
    assert (stacks["secondary"].name, stacks["secondary"].region, stacks["secondary"].config_env) == (
        "payments-secondary-dev",
        "us-east-2",
        "us-east-2",
    )
    assert (stacks["peering"].region, stacks["peering"].config_env) == ("us-east-1", "peering")


def test_cycle_is_reported() -> None:
    plan = deploy_plan(load_context())
    cyclic = [Node(plan[0].stack, ("peering",)), plan[1], plan[2]]
    with pytest.raises(ValueError, match="cycle"):
        waves(cyclic)


class Recorder:
    """Fake step: records start/finish order; fails the roles it is told to."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.events: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, node: Node) -> str:
        with self.lock:
            self.events.append(f"start {node.role}")
        if node.role in self.fail:
            raise self.fail[node.role]
        with self.lock:
            self.events.append(f"end {node.role}")
        return "deployed"


def test_runner_respects_the_order(ctx: Context) -> None:
    step = Recorder()
    results = run_graph(deploy_plan(ctx), step)
    assert {r.state for r in results.values()} == {StepState.OK}
    events = step.events
    assert events.index("end primary") < events.index("start peering")
    assert events.index("end secondary") < events.index("start peering")
    if ctx.project.database_mode == "replica":
        assert events.index("end primary") < events.index("start secondary")


def test_independent_regions_really_run_concurrently() -> None:
    ctx = load_context(overrides=["project.database_mode=independent"])
    both_started = threading.Barrier(2, timeout=30)  # breaks (fails the step) if run one after the other

    def step(node: Node) -> str:
        if node.role != "peering":
            both_started.wait()
        return "deployed"

    results = run_graph(deploy_plan(ctx), step)
    assert [r.state for r in results.values()] == [StepState.OK] * 3


def test_replica_mode_primary_failure_stops_everything_after_it() -> None:
    ctx = load_context(overrides=["project.database_mode=replica"])
    step = Recorder(fail={"primary": StepFailed("`sam deploy --config-env default` exited 1")})
    results = run_graph(deploy_plan(ctx), step)
    assert results["primary"].state == StepState.FAILED
    assert results["primary"].detail == "`sam deploy --config-env default` exited 1"
    assert (results["secondary"].state, results["secondary"].detail) == (
        StepState.SKIPPED,
        "not run: primary failed",
    )
    assert results["peering"].state == StepState.SKIPPED
    assert step.events == ["start primary"]


def test_independent_mode_failure_spares_the_other_region() -> None:
    ctx = load_context(overrides=["project.database_mode=independent"])
    step = Recorder(fail={"secondary": StepFailed("boom")})
    results = run_graph(deploy_plan(ctx), step)
    assert results["primary"].state == StepState.OK
    assert results["secondary"].state == StepState.FAILED
    assert (results["peering"].state, results["peering"].detail) == (
        StepState.SKIPPED,
        "not run: secondary failed",
    )


def test_unexpected_errors_fail_the_step_with_their_type() -> None:
    step = Recorder(fail={"primary": KeyError("VpcId")})
    results = run_graph(deploy_plan(load_context()), step)
    assert results["primary"].detail == "KeyError: 'VpcId'"


def test_skips_cascade_through_destroy_order() -> None:
    ctx = load_context(overrides=["project.database_mode=replica"])
    results = run_graph(destroy_plan(ctx), Recorder(fail={"peering": StepFailed("still DELETE_FAILED")}))
    assert results["secondary"].detail == "not run: peering failed"
    assert results["primary"].state == StepState.SKIPPED
