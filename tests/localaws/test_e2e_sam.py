"""The real SAM CLI against the emulator, through AWS_ENDPOINT_URL only (slow: marked e2e)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from localaws import LocalAws, StackInventory, check_deleted

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SAM = Path(sys.executable).with_name("sam")
CAPABILITIES = ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]

SMALL_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.11
      CodeUri: src/
  Key:
    Type: AWS::KMS::Key
    Properties:
      PendingWindowInDays: 7
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: "kms:*"
            Resource: "*"
Outputs:
  FnArn:
    Value: !GetAtt Fn.Arn
"""


def _sam(aws: LocalAws, cwd: Path, *args: str, region: str = "us-east-1") -> subprocess.CompletedProcess[str]:
    if not SAM.exists():
        pytest.skip(f"SAM CLI not installed next to {sys.executable}")
    env = aws.subprocess_env(os.environ, region)
    env["PATH"] = os.pathsep.join([*_python313_dirs(), str(SAM.parent), env.get("PATH", "")])
    return subprocess.run(
        [str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=540, check=False
    )


def _python313_dirs() -> list[str]:
    """A directory whose python3.13 runs (the functions' runtime, which `sam build` checks for).

    A pyenv shim may be on PATH without 3.13 being selected, so each candidate is run once.
    """
    candidates = []
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
        candidates += sorted(Path(root).glob("versions/3.13*/bin/python3.13")) if root else []
    if shutil.which("python3.13"):
        candidates.append(Path(shutil.which("python3.13") or ""))
    for candidate in candidates:
        probe = subprocess.run([str(candidate), "--version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0 and probe.stdout.startswith("Python 3.13"):
            return [str(candidate.parent)]
    return []


def _empty_buckets(aws: LocalAws, inventory: StackInventory) -> None:
    """What the destroy step must do first: CloudFormation cannot delete a bucket that holds objects."""
    s3 = aws.client("s3", inventory.region)
    for check in inventory.checks:
        if check.resource_type == "AWS::S3::Bucket" and check.physical_id:
            listing = s3.list_object_versions(Bucket=check.physical_id)
            versions = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
            if versions:
                s3.delete_objects(
                    Bucket=check.physical_id,
                    Delete={"Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]},
                )


def test_sam_deploy_resolve_s3_no_op_redeploy_and_delete(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "template.yaml").write_text(SMALL_TEMPLATE)
    deploy = [
        "deploy",
        "--stack-name",
        "x",
        "--resolve-s3",
        *CAPABILITIES,
        "--no-confirm-changeset",
        "--region",
        "us-east-1",
    ]
    with LocalAws() as aws:
        first = _sam(aws, tmp_path, *deploy)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "Successfully created/updated stack - x in us-east-1" in first.stdout
        inventory = aws.inventory("x", "us-east-1")
        assert inventory.complete, inventory.render()
        assert {c.resource_type for c in inventory.checks} >= {"AWS::Lambda::Function", "AWS::IAM::Role"}
        again = _sam(aws, tmp_path, *deploy, "--no-fail-on-empty-changeset")
        assert again.returncode == 0 and "No changes to deploy" in again.stdout, again.stdout + again.stderr
        deleted = _sam(aws, tmp_path, "delete", "--stack-name", "x", "--region", "us-east-1", "--no-prompts")
        assert deleted.returncode == 0, deleted.stdout + deleted.stderr
        assert check_deleted(inventory, aws.session("us-east-1"), endpoint_url=aws.endpoint_url) == []


# The committed samconfig's envs (the topology's stacks; localaws's tests do not import payinfra).
STACKS = [
    ("default", "payments-primary-dev", "us-east-1"),
    ("us-east-2", "payments-secondary-dev", "us-east-2"),
    ("peering-us-east-2", "payments-peering-dev-us-east-2", "us-east-1"),
]


@pytest.mark.skipif(not (REPO / "samconfig.toml").exists(), reason="rendered samconfig.toml missing")
def test_rendered_stacks_deploy_describe_and_destroy(tmp_path: Path) -> None:
    for name in ["samconfig.toml", *(p.name for p in REPO.glob("template.*.yaml"))]:
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "functions", tmp_path / "functions")
    if not _python313_dirs():
        pytest.skip(
            "python3.13 (the functions' runtime) is needed by `sam build`: install it or expose pyenv's"
        )
    with LocalAws() as aws:
        inventories = []
        for config_env, stack, region in STACKS:
            built = _sam(aws, tmp_path, "build", "--config-env", config_env, region=region)
            assert built.returncode == 0, built.stdout + built.stderr
            deployed = _sam(aws, tmp_path, "deploy", "--config-env", config_env, region=region)
            assert deployed.returncode == 0, deployed.stdout + deployed.stderr
            inventory = aws.inventory(stack, region)
            assert inventory.complete, inventory.render()
            inventories.append((config_env, inventory))
        again = _sam(aws, tmp_path, "deploy", "--config-env", "us-east-2", region="us-east-2")
        assert again.returncode == 0 and "No changes to deploy" in again.stdout, again.stdout + again.stderr
        for config_env, inventory in reversed(inventories):
            _empty_buckets(aws, inventory)
            deleted = _sam(
                aws, tmp_path, "delete", "--config-env", config_env, "--no-prompts", region=inventory.region
            )
            assert deleted.returncode == 0, deleted.stdout + deleted.stderr
            left = check_deleted(inventory, aws.session(inventory.region), endpoint_url=aws.endpoint_url)
            assert left == [], left
