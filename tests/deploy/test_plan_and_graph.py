"""The dependency order for any number of regions, both database modes and both peering modes;
concurrency sized by the plan; a failure stops only its dependants; destroy in reverse."""

from __future__ import annotations

import itertools
import threading

import pytest

from payinfra.config import Context, load_context
from payinfra.deploy.graph import StepFailed, StepState, run_graph
from payinfra.deploy.plan import MAX_PARALLEL, Node, deploy_plan, destroy_plan, parallelism, waves
from payinfra.paths import ROOT
from payinfra.topology import Stack

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"
MESH = 'project.peering="mesh"'
INDEPENDENT = "project.database_mode=independent"


def three(*overrides: str) -> Context:
    return load_context(THREE_REGIONS, list(overrides))


def keys(wave_list: list[list[Node]]) -> list[list[str]]:
    return [[n.key for n in wave] for wave in wave_list]


@pytest.fixture(scope="module", params=["replica", "independent"])
def ctx(request: pytest.FixtureRequest) -> Context:
    return load_context(overrides=[f"project.database_mode={request.param}"])


def test_two_regions_deploy_in_the_order_of_the_database_mode(ctx: Context) -> None:
    if ctx.project.database_mode == "replica":
        last = ["peering-us-east-2", "global"]  # the global stack reads every region, as a peering does
        assert keys(waves(deploy_plan(ctx))) == [["us-east-1"], ["us-east-2"], last]
        assert keys(waves(destroy_plan(ctx))) == [last[::-1], ["us-east-2"], ["us-east-1"]]
    else:
        assert keys(waves(deploy_plan(ctx))) == [["us-east-1", "us-east-2"], ["peering-us-east-2", "global"]]
        assert keys(waves(destroy_plan(ctx))) == [["global", "peering-us-east-2"], ["us-east-2", "us-east-1"]]


def test_secondaries_wait_for_the_primary_only_and_each_peering_for_its_two_ends() -> None:
    assert keys(waves(deploy_plan(three()))) == [
        ["us-east-1"],
        ["us-east-2", "us-west-2"],
        ["peering-us-east-2", "peering-us-west-2", "global"],
    ]
    mesh = {n.key: n.needs for n in deploy_plan(three(MESH))}
    assert mesh["peering-us-east-2-us-west-2"] == ("us-east-2", "us-west-2")
    assert mesh["us-west-2"] == ("us-east-1",)
    assert mesh["global"] == ("us-east-1", "us-east-2", "us-west-2")  # every region's ALB and alarm
    assert keys(waves(deploy_plan(three(INDEPENDENT)))) == [
        ["us-east-1", "us-east-2", "us-west-2"],
        ["peering-us-east-2", "peering-us-west-2", "global"],
    ]


def test_destroy_is_the_reverse_for_three_regions() -> None:
    assert keys(waves(destroy_plan(three(MESH)))) == [
        ["global", "peering-us-east-2-us-west-2", "peering-us-west-2", "peering-us-east-2"],
        ["us-west-2", "us-east-2"],
        ["us-east-1"],
    ]


def test_plan_uses_the_rendered_stack_names_regions_and_envs() -> None:
    stacks = {n.key: n.stack for n in deploy_plan(three(MESH))}
    assert [(s.name, s.region, s.config_env) for s in stacks.values()] == [
        ("payments-primary-dev", "us-east-1", "default"),
        ("payments-secondary-dev", "us-east-2", "us-east-2"),
        ("payments-secondary-dev", "us-west-2", "us-west-2"),
        ("payments-peering-dev-us-east-2", "us-east-1", "peering-us-east-2"),
        ("payments-peering-dev-us-west-2", "us-east-1", "peering-us-west-2"),
        ("payments-peering-dev-us-west-2", "us-east-2", "peering-us-east-2-us-west-2"),
        ("payments-global-dev", "us-east-1", "global"),
    ]


def fake_nodes(count: int) -> list[Node]:
    """`count` independent stacks (no needs), for the runner alone."""
    return [Node(Stack("secondary", f"r{i}", "t.yaml", f"e{i}", f"s{i}", f"k{i}"), ()) for i in range(count)]


def test_parallelism_is_the_widest_wave_bounded() -> None:
    assert parallelism(deploy_plan(load_context())) == 2  # replica: then one peering and the global stack
    assert parallelism(deploy_plan(three())) == 3  # the two peerings and the global stack
    assert parallelism(deploy_plan(three(MESH))) == 4  # three peerings and the global stack at once
    assert parallelism(fake_nodes(9)) == MAX_PARALLEL == 4
    assert parallelism(fake_nodes(9), limit=6) == 6


def test_cycle_and_unknown_needs_are_reported() -> None:
    plan = deploy_plan(load_context())
    cyclic = [Node(plan[0].stack, ("peering-us-east-2",)), plan[1], plan[2]]
    with pytest.raises(ValueError, match="cycle"):
        waves(cyclic)
    with pytest.raises(ValueError, match="unsatisfiable needs"):
        run_graph([Node(plan[1].stack, ("nowhere",))], lambda _node: "deployed", max_parallel=1)


class Recorder:
    """Fake step: records start/finish order; fails the keys it is told to."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.events: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, node: Node) -> str:
        with self.lock:
            self.events.append(f"start {node.key}")
        if node.key in self.fail:
            raise self.fail[node.key]
        with self.lock:
            self.events.append(f"end {node.key}")
        return "deployed"


def test_runner_respects_the_order(ctx: Context) -> None:
    step = Recorder()
    results = run_graph(deploy_plan(ctx), step)
    assert {r.state for r in results.values()} == {StepState.OK}
    events = step.events
    assert events.index("end us-east-1") < events.index("start peering-us-east-2")
    assert events.index("end us-east-2") < events.index("start peering-us-east-2")
    if ctx.project.database_mode == "replica":
        assert events.index("end us-east-1") < events.index("start us-east-2")


def test_the_secondaries_really_deploy_concurrently_after_the_primary() -> None:
    secondaries_started = threading.Barrier(2, timeout=30)  # breaks (fails the step) if run one by one
    primary_done = threading.Event()

    def step(node: Node) -> str:
        if node.key == "us-east-1":
            primary_done.set()
        elif node.stack.role == "secondary":
            assert primary_done.is_set()
            secondaries_started.wait()
        return "deployed"

    results = run_graph(deploy_plan(three()), step)
    assert [r.state for r in results.values()] == [StepState.OK] * 6


def test_concurrency_is_bounded_by_max_parallel() -> None:
    active, most = 0, 0
    lock = threading.Lock()
    four_at_once = threading.Barrier(4, timeout=30)  # two rounds of four: needs four workers

    def step(node: Node) -> str:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        four_at_once.wait()
        with lock:
            active -= 1
        return "deployed"

    results = run_graph(fake_nodes(8), step)  # default: the widest wave (8), bounded to 4
    assert {r.state for r in results.values()} == {StepState.OK}
    assert most == 4


def test_elapsed_times_come_from_the_clock() -> None:
    ticks = itertools.count(start=100, step=5)
    results = run_graph(fake_nodes(1), lambda _node: "deployed", clock=lambda: float(next(ticks)))
    assert results["k0"].elapsed_s == 5.0


def test_replica_mode_primary_failure_stops_everything_after_it() -> None:
    step = Recorder(fail={"us-east-1": StepFailed("`sam deploy --config-env default` exited 1")})
    results = run_graph(deploy_plan(three()), step)
    assert results["us-east-1"].state == StepState.FAILED
    assert results["us-east-1"].detail == "`sam deploy --config-env default` exited 1"
    assert (results["us-west-2"].state, results["us-west-2"].detail) == (
        StepState.SKIPPED,
        "not run: us-east-1 failed",
    )
    assert results["peering-us-west-2"].detail == "not run: us-east-1 failed"
    assert step.events == ["start us-east-1"]


def test_a_failed_secondary_stops_only_its_peerings_and_the_global_stack() -> None:
    step = Recorder(fail={"us-east-2": StepFailed("`sam deploy --config-env us-east-2` exited 1")})
    results = run_graph(deploy_plan(three(MESH)), step)
    states = {key: r.state for key, r in results.items()}
    assert states == {
        "us-east-1": StepState.OK,
        "us-east-2": StepState.FAILED,
        "us-west-2": StepState.OK,
        "peering-us-east-2": StepState.SKIPPED,
        "peering-us-west-2": StepState.OK,
        "peering-us-east-2-us-west-2": StepState.SKIPPED,
        "global": StepState.SKIPPED,  # it reads every region's load balancer
    }
    assert results["peering-us-east-2-us-west-2"].detail == "not run: us-east-2 failed"
    assert results["global"].detail == "not run: us-east-2 failed"


def test_independent_mode_failure_spares_the_other_regions() -> None:
    step = Recorder(fail={"us-east-2": StepFailed("boom")})
    results = run_graph(deploy_plan(three(INDEPENDENT)), step)
    assert results["us-east-1"].state == results["us-west-2"].state == StepState.OK
    assert (results["peering-us-east-2"].state, results["peering-us-east-2"].detail) == (
        StepState.SKIPPED,
        "not run: us-east-2 failed",
    )


def test_unexpected_errors_fail_the_step_with_their_type() -> None:
    step = Recorder(fail={"us-east-1": KeyError("VpcId")})
    results = run_graph(deploy_plan(load_context()), step)
    assert results["us-east-1"].detail == "KeyError: 'VpcId'"


def test_a_failed_deletion_stops_only_what_waits_for_it_in_destroy_order() -> None:
    step = Recorder(fail={"peering-us-west-2": StepFailed("still DELETE_FAILED")})
    results = run_graph(destroy_plan(three()), step)
    assert results["peering-us-east-2"].state == results["us-east-2"].state == StepState.OK
    assert results["us-west-2"].detail == "not run: peering-us-west-2 failed"
    assert results["us-east-1"].state == StepState.SKIPPED  # it waits for every secondary
