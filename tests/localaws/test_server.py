"""LocalAws: a real endpoint on a free port, the environment clients need, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
from botocore.exceptions import ClientError

from localaws import EmulatorError, LocalAws

TEMPLATE = json.dumps(
    {
        "Resources": {
            "P": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/p", "Type": "String", "Value": "v"}}
        }
    }
)


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.is_alive() and "_server_entry" in repr(t._target)]  # type: ignore[attr-defined]


def test_serves_env_resets_and_stops_cleanly() -> None:
    from moto.cloudformation.parsing import get_model_map

    with LocalAws() as aws:
        assert aws.endpoint_url.startswith("http://127.0.0.1:")
        env = aws.env("us-east-2")
        assert env["AWS_ENDPOINT_URL"] == aws.endpoint_url
        assert (env["AWS_DEFAULT_REGION"], env["AWS_REGION"], env["SAM_CLI_TELEMETRY"]) == (
            "us-east-2",
        ) * 2 + ("0",)
        merged = aws.subprocess_env(
            {"AWS_PROFILE": "prod", "AWS_ENDPOINT_URL_S3": "https://x", "PATH": "/bin"}
        )
        assert (
            "AWS_PROFILE" not in merged and "AWS_ENDPOINT_URL_S3" not in merged and merged["PATH"] == "/bin"
        )
        aws.client("ssm").put_parameter(Name="/x", Value="1", Type="String")
        aws.reset()
        assert aws.client("ssm").describe_parameters()["Parameters"] == []
        assert "AWS::WAFv2::WebACL" in get_model_map()
        with pytest.raises(EmulatorError, match="another LocalAws"):
            LocalAws().start()
    assert not aws.running and _server_threads() == []
    assert "AWS::WAFv2::WebACL" not in get_model_map()  # the fixes are reverted
    with pytest.raises(EmulatorError, match="not running"):
        _ = aws.endpoint_url


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(EmulatorError, match=f"cannot listen on 127.0.0.1:{port}"):
            LocalAws(port=port).start()
    with LocalAws() as aws:  # and the failed start left nothing locked
        assert aws.running


@pytest.mark.parametrize("fixed", [True, False])
def test_template_url_on_the_ip_endpoint(fixed: bool) -> None:
    with LocalAws(skip_fixes=set() if fixed else {"template_url"}) as aws:
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="templates")
        s3.put_object(Bucket="templates", Key="t.json", Body=TEMPLATE.encode())
        cfn = aws.client("cloudformation")
        try:
            cfn.create_change_set(
                StackName="s",
                ChangeSetName="c1",
                ChangeSetType="CREATE",
                TemplateURL=f"{aws.endpoint_url}/templates/t.json",
            )
            created = True
        except ClientError as exc:
            assert "NoSuchBucket" in str(exc)
            created = False
        assert created is fixed


def test_cli_serves_until_interrupted() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "localaws"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline()  # type: ignore[union-attr]
        assert "at http://127.0.0.1:" in first
        endpoint = first.rsplit(" ", 1)[-1].strip()
        with socket.create_connection(("127.0.0.1", int(endpoint.rsplit(":", 1)[-1])), timeout=5):
            pass
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0 and "stopped" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_cli_rejects_a_bad_port() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localaws", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "--port must be 0-65535" in result.stderr
