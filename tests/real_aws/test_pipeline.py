"""The real-AWS lane: preflight, deploy, verify and destroy against a real account (billable).

Runs only with credentials in the default chain AND `PAYINFRA_REAL_AWS=1`; skipped otherwise,
with the reason. Each run uses a suffix of its own (`rt` + 6 hex digits), so names never collide
with another run or with KMS aliases still pending deletion (7 days) from an earlier one. The
run works in a copy of the repository rendered for that suffix, kept under
`.aws-sam/real-aws/<suffix>/` (its logs too), and destroys in a `finally`, whatever failed.
If the run is killed before that: see docs/operations.md, "Real-AWS lane", for the one-line cleanup.

Every command is the documented CLI (`python -m payinfra preflight|deploy|verify|destroy`), so
the lane checks what a user runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from payinfra.config import load_context
from payinfra.paths import ROOT
from payinfra.topology import stacks

OPT_IN = "PAYINFRA_REAL_AWS"
RUNS_DIR = ROOT / ".aws-sam" / "real-aws"
# Email and HTTPS subscribers stay pending until a person confirms the link SNS sends, which a
# test run cannot do (https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html): verify
# rightly calls that promise broken; every other promise must hold.
UNCONFIRMABLE = "alarm topic has a confirmed subscriber"
# Bounds per command: an RDS instance and its cross-region read replica take most of the deploy.
TIMEOUT_S = {"preflight": 600, "deploy": 3 * 3600, "verify": 1200, "destroy": 2 * 3600}


def skip_reason(environ: Mapping[str, str], has_credentials: bool) -> str | None:
    """Why the lane does not run here, or None when it may."""
    if environ.get(OPT_IN) != "1":
        return f"real AWS lane: set {OPT_IN}=1 with AWS credentials to run it (billable: docs/operations.md)"
    if environ.get("AWS_ENDPOINT_URL"):
        return "real AWS lane: AWS_ENDPOINT_URL is set (that is a local AWS, not an account)"
    if not has_credentials:
        return "real AWS lane: no AWS credentials in the default chain"
    return None


def new_suffix() -> str:
    return f"rt{uuid.uuid4().hex[:6]}"


def working_copy(suffix: str) -> Path:
    """The working tree (tracked and new, not ignored files); the run's logs stay beside them."""
    copy = RUNS_DIR / suffix
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def payinfra(copy: Path, verb: str, *args: str) -> tuple[int, str]:
    """`python -m payinfra <verb> ...` in the copy; output to <copy>/real-aws-<verb>.log."""
    log = copy / f"real-aws-{verb}.log"
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    with log.open("w") as out:
        done = subprocess.run(
            [sys.executable, "-m", "payinfra", verb, *args],
            cwd=copy, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            timeout=TIMEOUT_S.get(verb, 3600), check=False,
        )
    return done.returncode, log.read_text()


def stack_exists(name: str, region: str) -> bool:
    try:
        stacks = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=name)["Stacks"]
    except ClientError as err:
        if "does not exist" in str(err):
            return False
        raise
    return any(s["StackStatus"] != "DELETE_COMPLETE" for s in stacks)


def test_the_lane_is_skipped_without_an_explicit_opt_in() -> None:
    """Runs everywhere: nothing billable happens by accident."""
    assert skip_reason({}, has_credentials=True) is not None
    assert "PAYINFRA_REAL_AWS=1" in (skip_reason({"PAYINFRA_REAL_AWS": "yes"}, True) or "")
    assert "AWS_ENDPOINT_URL" in (
        skip_reason({"PAYINFRA_REAL_AWS": "1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, True) or ""
    )
    assert "no AWS credentials" in (skip_reason({"PAYINFRA_REAL_AWS": "1"}, False) or "")
    assert skip_reason({"PAYINFRA_REAL_AWS": "1"}, True) is None
    assert new_suffix() != new_suffix() and new_suffix().startswith("rt")


@pytest.mark.real_aws
def test_whole_pipeline_on_a_real_account() -> None:
    reason = skip_reason(os.environ, boto3.Session().get_credentials() is not None)
    if reason:
        pytest.skip(reason)
    suffix = new_suffix()
    copy = working_copy(suffix)
    print(f"\nreal AWS run {suffix}: working copy and logs in {copy}")
    deployed = [(s.name, s.region) for s in stacks(load_context(copy / "context.toml", suffix=suffix))]
    render = subprocess.run(
        [sys.executable, "render.py", "--suffix", suffix], cwd=copy, capture_output=True, text=True,
        check=False,
    )
    assert render.returncode == 0, render.stdout + render.stderr
    try:
        code, out = payinfra(copy, "preflight", "--suffix", suffix)
        assert code == 0, f"preflight found problems (nothing was created):\n{out[-3000:]}"
        code, out = payinfra(copy, "deploy", "--suffix", suffix, "--no-verify")
        assert code == 0, f"deploy failed:\n{out[-5000:]}"
        code, out = payinfra(copy, "verify", "--suffix", suffix)
        broken = [line for line in out.splitlines() if line.split()[:1] == ["broken"]]
        unexpected = [line for line in broken if UNCONFIRMABLE not in line]
        assert not unexpected, "verify found broken promises:\n" + "\n".join(unexpected)
        assert code == (1 if broken else 0), out[-5000:]
        # On AWS nothing is "not performed by this backend": every promise is checked for real.
        assert "not performed by this backend" not in out, out[-5000:]
    finally:
        code, out = payinfra(copy, "destroy", "--suffix", suffix, "--yes")
        left = [name for name, region in deployed if stack_exists(name, region)]
        assert code == 0 and not left, (
            f"destroy of run {suffix} did not finish (stacks left: {left}); clean up with\n"
            f"  cd {copy} && {sys.executable} -m payinfra destroy --suffix {suffix} --yes\n{out[-5000:]}"
        )
