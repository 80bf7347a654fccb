"""Roles are defined once (`payinfra.topology.Role`): no module outside the topology spells one."""

from __future__ import annotations

import ast

from payinfra.paths import ROOT
from payinfra.topology import Role

# Modules that still decide by a role's spelling; each entry is a debt to pay by reading the
# topology (`Topology.node(role)`, `RegionNode.is_primary`, `Topology.pairs_of`).
NOT_YET_ON_THE_TOPOLOGY: set[str] = set()
# The same spelling with another meaning: SAM CLI's samconfig names its shared table
# `[<env>.global.parameters]`, which is not the global stack's role.
# https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html
OTHER_MEANINGS: dict[tuple[str, str], str] = {
    ("payinfra/deploy/samconfig.py", "global"): "samconfig's [<env>.global.parameters] table",
}


def test_no_module_outside_the_topology_spells_a_role() -> None:
    roles = {str(role) for role in Role}
    offenders = []
    for path in sorted((ROOT / "payinfra").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("payinfra/topology/") or relative in NOT_YET_ON_THE_TOPOLOGY:
            continue
        for node in ast.walk(ast.parse(path.read_text(), relative)):
            if not isinstance(node, ast.Constant) or (relative, node.value) in OTHER_MEANINGS:
                continue
            if node.value in roles:
                offenders.append(f"{relative}:{node.lineno}: {node.value!r}")
    assert offenders == []


def test_the_debt_list_names_only_modules_that_still_spell_a_role() -> None:
    roles = {str(role) for role in Role}
    for relative in NOT_YET_ON_THE_TOPOLOGY:
        path = ROOT / relative
        spelt = path.exists() and any(
            isinstance(node, ast.Constant) and node.value in roles
            for node in ast.walk(ast.parse(path.read_text(), relative))
        )
        assert spelt, f"{relative} no longer spells a role: remove it from NOT_YET_ON_THE_TOPOLOGY"
