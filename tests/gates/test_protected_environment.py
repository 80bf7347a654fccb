"""A protected (production) render: data kept on delete, deletion protection on, HTTPS only, gate clean.

The committed templates are the development render; this renders the same sources for a
production environment into a temporary folder and runs the whole gate over it, so both
environments render and pass the gate with the expectations that belong to each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from payinfra.cfn import load_cfn_yaml
from payinfra.config import ConfigError, load_context
from payinfra.gates import runner
from payinfra.gates.report import render as render_report
from payinfra.render.renderer import render_all
from payinfra.topology import stacks

pytestmark = pytest.mark.gates

CERT = "arn:aws:acm:{region}:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
PROD = [
    "project.environment=prod",
    "project.suffix=prod",
    f"us-east-1.certificate_arn={CERT.format(region='us-east-1')}",
    f"us-east-2.certificate_arn={CERT.format(region='us-east-2')}",
]


@pytest.fixture(scope="module")
def prod_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    ctx = load_context(overrides=PROD)
    out = tmp_path_factory.mktemp("prod")
    rendered = render_all(ctx)
    for name, text in rendered.items():
        (out / name).write_text(text)
    return out, {s.template: s.region for s in stacks(ctx)}


def _resources(prod_render: tuple[Path, dict[str, str]], name: str) -> dict[str, Any]:
    out, _ = prod_render
    return load_cfn_yaml((out / name).read_text())["Resources"]


def test_production_is_refused_without_a_certificate() -> None:
    with pytest.raises(ConfigError) as err:
        load_context(overrides=["project.environment=prod"])
    assert any("certificate_arn" in p and "HTTPS" in p for p in err.value.problems)


def test_production_cannot_switch_protection_off() -> None:
    with pytest.raises(ConfigError) as err:
        load_context(overrides=[*PROD, "project.protect=false"])
    assert any(p.startswith("project.protect:") for p in err.value.problems)


def test_development_can_opt_in_to_protection() -> None:
    assert load_context().project.protected is False
    assert load_context(overrides=[*PROD[2:], "project.protect=true"]).project.protected is True


@pytest.mark.parametrize("name", ["template.primary.yaml", "template.secondary.yaml"])
def test_data_stores_are_kept_and_protected(prod_render: tuple[Path, dict[str, str]], name: str) -> None:
    resources = _resources(prod_render, name)
    data_types = (
        "AWS::RDS::DBInstance", "AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::S3::Bucket",
        "AWS::Backup::BackupVault",
    )
    kept = {lid: (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy"))
            for lid, r in resources.items() if r["Type"] in data_types}
    assert kept and all(policy == "Retain" for policy, _ in kept.values()), kept
    database = resources["Database"]
    replica = "SourceDBInstanceIdentifier" in database["Properties"]
    assert database["UpdateReplacePolicy"] == ("Retain" if replica else "Snapshot")
    assert database["Properties"]["DeletionProtection"] is True
    assert database["Properties"]["DeleteAutomatedBackups"] is False
    assert resources["BackupVault"]["DeletionPolicy"] == "Retain"
    tables = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    # The primary declares the sessions table and the global ledger; a secondary (strong ledger)
    # declares none: its replicas are the plugin's, which turns their deletion protection on.
    assert bool(tables) is (name == "template.primary.yaml")
    assert all(t["Properties"]["DeletionProtectionEnabled"] is True for t in tables)
    pairs = resources["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]
    attributes = {a["Key"]: a["Value"] for a in pairs}
    assert attributes["deletion_protection.enabled"] == "true"
    assert "HttpsListener" in resources or any(
        r["Type"] == "AWS::ElasticLoadBalancingV2::Listener" and r["Properties"].get("Protocol") == "HTTPS"
        for r in resources.values()
    )


def test_the_development_render_deletes_everything() -> None:
    resources = load_cfn_yaml(render_all(load_context())["template.primary.yaml"])["Resources"]
    assert resources["Database"]["DeletionPolicy"] == "Delete"
    assert resources["Database"]["Properties"]["DeletionProtection"] is False


def test_gate_passes_on_the_production_render(
    prod_render: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, regions = prod_render
    gate_run = runner.run([(out / name, region) for name, region in regions.items()], build_dir=tmp_path)
    failed = [r for r in gate_run.reports if not r.passed]
    assert not failed, render_report(gate_run.reports, out)
