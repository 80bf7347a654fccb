"""Every stack output name is defined once (payinfra/topology/outputs.py): the rendered templates
declare exactly the registry's outputs, and no code outside the registry spells one."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from payinfra.cfn import load_cfn_yaml
from payinfra.config import load_context
from payinfra.paths import ROOT
from payinfra.render.renderer import render_all
from payinfra.topology import PEERING_OUTPUT, Topology
from payinfra.topology.outputs import (
    PEER_ROUTE_TABLE_PREFIX,
    SECURITY_GROUP_OUTPUTS,
    SUBNET_OUTPUTS,
    PeeringOutput,
    RegionalOutput,
    peer_route_table,
    regional_outputs,
)

REGISTRY = Path("payinfra/topology/outputs.py")


THREE_REGIONS = ROOT / "examples" / "three-regions.toml"


@pytest.fixture(
    scope="module",
    params=[("context.toml", "replica"), ("context.toml", "independent"), ("three-regions", "replica")],
    ids="-".join,
)
def rendered(request: pytest.FixtureRequest) -> tuple[Topology, dict[str, dict[str, Any]]]:
    source, mode = request.param
    overrides = [f"project.database_mode={mode}"]
    path = THREE_REGIONS if source == "three-regions" else ROOT / "context.toml"
    ctx = load_context(path, overrides)
    files = render_all(ctx)
    templates = {name: load_cfn_yaml(text, name) for name, text in files.items() if name.endswith(".yaml")}
    return Topology.from_context(ctx), templates


def test_each_regional_template_declares_exactly_the_registry_outputs(
    rendered: tuple[Topology, dict[str, dict[str, Any]]],
) -> None:
    topology, templates = rendered
    for node in topology.regions:
        declared = list(templates[node.stack.template]["Outputs"])
        assert sorted(declared) == sorted(regional_outputs(topology, node)), node.name


def test_replica_mode_drops_only_the_secondary_secret_output(
    rendered: tuple[Topology, dict[str, dict[str, Any]]],
) -> None:
    topology, _ = rendered
    primary = set(regional_outputs(topology, topology.primary))
    only_primary = {
        RegionalOutput.SESSIONS_TABLE_NAME,
        RegionalOutput.SESSIONS_TABLE_ARN,
        RegionalOutput.SESSIONS_TABLE_STREAM_ARN,
        RegionalOutput.REPLICATION_ROLE_ARN,
    }
    if topology.replica_database:
        only_primary.add(RegionalOutput.DATABASE_SECRET_ARN)
    for secondary in topology.secondaries:
        assert primary - set(regional_outputs(topology, secondary)) == only_primary, secondary.name


def test_the_peering_stack_declares_its_outputs_and_reads_only_declared_ones(
    rendered: tuple[Topology, dict[str, dict[str, Any]]],
) -> None:
    """One template serves every peering: the requester's outputs are read in the stack's own
    region (no Region), the accepter's in the region the AccepterRegion parameter names."""
    topology, templates = rendered
    peering = templates[PEERING_OUTPUT]
    assert sorted(peering["Outputs"]) == sorted(PeeringOutput)
    reads = [read for resource in peering["Resources"].values() for read in _stack_output_reads(resource)]
    by_stack: dict[str, set[str]] = {}
    for read in reads:
        stack = read["StackName"]["Ref"]
        expected_region = {"Ref": "AccepterRegion"} if stack == "AccepterStackName" else None
        assert read.get("Region") == expected_region, read
        by_stack.setdefault(stack, set()).add(read["OutputName"])
    assert set(by_stack) == {"RequesterStackName", "AccepterStackName"}
    assert by_stack["AccepterStackName"] == {RegionalOutput.VPC_ID}
    tables = {name for name in by_stack["RequesterStackName"] if name.startswith(PEER_ROUTE_TABLE_PREFIX)}
    assert topology.peerings
    for each in topology.peerings:
        assert by_stack["RequesterStackName"] <= set(regional_outputs(topology, each.requester)), each.label
        assert by_stack["AccepterStackName"] <= set(regional_outputs(topology, each.accepter)), each.label
        assert len(tables) == each.requester.peer_route_table_count, each.label


def test_derived_output_tables_point_into_the_registry() -> None:
    assert set(SECURITY_GROUP_OUTPUTS.values()) | set(SUBNET_OUTPUTS.values()) <= set(RegionalOutput)
    assert peer_route_table(1) == "PeerRouteTable1"
    with pytest.raises(ValueError, match="start at 1"):
        peer_route_table(0)


# Words spelt like an output that are something else: a literal of these is fine, reading one as
# an output is not (caught by the call check below).
SAME_SPELLING = {
    "VpcId": "the EC2 API field of a peering connection's RequesterVpcInfo/AccepterVpcInfo",
    "PeerVpcCidr": "the peering template's parameter (also exported as an output)",
    "RequesterVpcCidr": "the peering template's parameter (also exported as an output)",
    "BackupPlanId": "the AWS Backup API's field (GetBackupPlan, ListBackupSelections)",
    "BackupVaultName": "the AWS Backup API's field (ListBackupVaults)",
}
OUTPUT_READERS = {"require", "optional", "require_list"}  # StackOutputs


def test_no_module_outside_the_registry_spells_an_output_name() -> None:
    names = {str(o) for o in RegionalOutput} | {str(o) for o in PeeringOutput}
    offenders = []
    for path in sorted((ROOT / "payinfra").rglob("*.py")):
        if path.relative_to(ROOT) == REGISTRY:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and text not in SAME_SPELLING and (
                text in names or text.startswith(PEER_ROUTE_TABLE_PREFIX)
            ):
                offenders.append(f"{where}: {text!r}")
            if _reads_output_by_literal(node):
                offenders.append(f"{where}: an output read by a string literal")
    assert offenders == []


def _reads_output_by_literal(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in OUTPUT_READERS
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def _stack_output_reads(value: Any) -> list[dict[str, Any]]:
    """Every `Fn::GetStackOutput` argument inside a resource."""
    if isinstance(value, dict):
        found = [value["Fn::GetStackOutput"]] if "Fn::GetStackOutput" in value else []
        return found + [read for item in value.values() for read in _stack_output_reads(item)]
    if isinstance(value, list):
        return [read for item in value for read in _stack_output_reads(item)]
    return []


def test_the_call_check_sees_a_literal_read_and_not_a_registry_read() -> None:
    def first_call(source: str) -> ast.AST:
        return next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call))

    assert _reads_output_by_literal(first_call('outputs.require("VpcId")'))
    assert not _reads_output_by_literal(first_call("outputs.require(RegionalOutput.VPC_ID)"))
