"""`python -m payinfra invoke --event FILE`: the payment handler, in this process, as deployed.

`sam local invoke` needs Docker. Without it, this runs `functions/payment` in this Python with
the environment the deployed function has (read back with Lambda GetFunctionConfiguration,
`Environment.Variables`), plus the variables the Lambda runtime sets itself, and with every AWS
call going to `AWS_ENDPOINT_URL`: the local AWS of `python -m payinfra local --keep` or
`python -m localaws --port N`. The response goes to stdout as JSON, the function's own
log lines to stderr, so the output pipes into `jq`.

It refuses to run without an endpoint: in-process, the handler would write to a real account's
ledger with the caller's credentials, not the function's role (use `aws lambda invoke` there).

- GetFunctionConfiguration, `Environment` (`Variables`, or `Error` when they cannot be read):
  https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html
- Variables the runtime sets (`AWS_REGION`, `AWS_LAMBDA_FUNCTION_NAME`, `_HANDLER`, ...):
  https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
- The Python context object: https://docs.aws.amazon.com/lambda/latest/dg/python-context.html
- AWS_ENDPOINT_URL: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from payinfra.config import Context
from payinfra.deploy.errors import OrchestrationError
from payinfra.paths import ROOT
from payinfra.plugins.aws import error_code, error_message
from payinfra.topology import Stack, Topology

FUNCTION_LOGICAL_ID = "PaymentFunction"  # the function's logical ID in both regional templates
FUNCTION_DIR = ROOT / "functions" / "payment"  # its CodeUri: what `sam build` packages
# Any credentials do for the local AWS; used only when the default chain finds none.
LOCAL_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}

SessionFactory = Callable[[str], boto3.Session]


@dataclass(frozen=True)
class DeployedFunction:
    """What GetFunctionConfiguration says about the deployed function."""

    name: str
    arn: str
    region: str
    handler: str  # module.function, e.g. app.lambda_handler
    environment: dict[str, str]
    timeout_s: int
    memory_mb: int


@dataclass
class LambdaContext:
    """The attributes and method of Lambda's Python context object that a handler may use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "payinfra-invoke"
    identity: Any = None
    client_context: Any = None
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


@dataclass(frozen=True)
class Invocation:
    """A handler's return value, or the error Lambda would report (`errorType`, `errorMessage`)."""

    payload: Any
    error: bool
    request_id: str
    duration_ms: float


def endpoint_from(explicit: str | None, environ: Mapping[str, str]) -> str:
    endpoint = explicit or environ.get("AWS_ENDPOINT_URL", "")
    if not endpoint:
        raise OrchestrationError(
            "invoke runs the handler in this process against a local AWS: set AWS_ENDPOINT_URL (printed by "
            "`python -m payinfra local --keep`) or pass --endpoint-url; on AWS use `aws lambda invoke`"
        )
    if not endpoint.startswith(("http://", "https://")):
        raise OrchestrationError(f"endpoint {endpoint!r} is not an http(s) URL")
    return endpoint


def local_session(region: str) -> boto3.Session:
    """The default credential chain, or throwaway credentials when it finds none."""
    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        session = boto3.Session(
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=region,
        )
    return session


def choose_stack(ctx: Context, region: str | None) -> Stack:
    """The regional stack that holds the function in `region` (default: the primary region)."""
    topology = Topology.from_context(ctx)
    wanted = region or topology.primary.name
    try:
        return topology.region(wanted).stack
    except KeyError:
        raise OrchestrationError(
            f"--region {wanted}: the context deploys the function in {', '.join(topology.region_names)}"
        ) from None


def deployed_function(
    stack: Stack, endpoint: str, session_factory: SessionFactory = local_session
) -> DeployedFunction:
    """Find the stack's function and read its configuration; one clear error when it is not there."""
    session = session_factory(stack.region)
    try:
        cfn = session.client("cloudformation", endpoint_url=endpoint)
        physical = cfn.describe_stack_resource(StackName=stack.name, LogicalResourceId=FUNCTION_LOGICAL_ID)[
            "StackResourceDetail"
        ]["PhysicalResourceId"]
        lam = session.client("lambda", endpoint_url=endpoint)
        config = lam.get_function_configuration(FunctionName=physical)
    except ClientError as err:
        hint = " (deploy it first: python -m payinfra local --keep)" if error_code(err) in (
            "ValidationError", "ResourceNotFoundException") else ""
        raise OrchestrationError(
            f"no deployed {FUNCTION_LOGICAL_ID} in stack {stack.name} ({stack.region}) at {endpoint}: "
            f"{error_message(err)}{hint}"
        ) from None
    except BotoCoreError as err:
        raise OrchestrationError(f"cannot read the deployed function at {endpoint}: {err}") from None
    environment = config.get("Environment", {})
    if environment.get("Error"):
        problem = environment["Error"]
        raise OrchestrationError(
            f"{physical}: its environment variables cannot be read: {problem.get('ErrorCode')}: "
            f"{problem.get('Message')}"
        )
    return DeployedFunction(
        name=config["FunctionName"],
        arn=config["FunctionArn"],
        region=stack.region,
        handler=config.get("Handler", "app.lambda_handler"),
        environment=dict(environment.get("Variables", {})),
        timeout_s=int(config.get("Timeout", 3)),
        memory_mb=int(config.get("MemorySize", 128)),
    )


def function_environment(
    function: DeployedFunction, endpoint: str, base: Mapping[str, str], code_dir: Path
) -> dict[str, str]:
    """`base` with the runtime's variables, then the function's own, then the endpoint."""
    env = {k: v for k, v in base.items() if not k.startswith("AWS_ENDPOINT_URL_")}
    env.update(
        {
            "AWS_REGION": function.region,
            "AWS_DEFAULT_REGION": function.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "_HANDLER": function.handler,
            "LAMBDA_TASK_ROOT": str(code_dir),
        }
    )
    env.update(function.environment)
    env["AWS_ENDPOINT_URL"] = endpoint
    if local_session(function.region).get_credentials() is None:
        env.update(LOCAL_CREDENTIALS)
    return env


@contextlib.contextmanager
def _process_state(env: Mapping[str, str], code_dir: Path) -> Iterator[None]:
    """os.environ = `env` and the code dir first on sys.path, for the block only."""
    saved_env, saved_path = dict(os.environ), list(sys.path)
    os.environ.clear()
    os.environ.update(env)
    sys.path.insert(0, str(code_dir))
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.path[:] = saved_path


def _load_handler(handler: str, code_dir: Path) -> Callable[[Any, Any], Any]:
    """Import the handler's module from `code_dir` afresh (a cold start), return the function."""
    module_name, _, attribute = handler.rpartition(".")
    path = code_dir / f"{module_name.replace('.', '/')}.py"
    spec = importlib.util.spec_from_file_location(f"payinfra_invoked_{module_name}", path)
    if spec is None or spec.loader is None or not path.is_file():
        raise OrchestrationError(f"handler {handler!r}: {path} not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result: Callable[[Any, Any], Any] = getattr(module, attribute)
    return result


def invoke(
    function: DeployedFunction,
    event: Any,
    *,
    endpoint: str,
    code_dir: Path = FUNCTION_DIR,
    base_env: Mapping[str, str] | None = None,
    log: Any = None,
) -> Invocation:
    """Cold-start the handler with the function's environment and call it once with `event`.

    Its prints (JSON logs, EMF metrics) go to `log` (default stderr). An exception at import or
    in the handler becomes Lambda's error payload, as `aws lambda invoke` would show it.
    """
    env = function_environment(function, endpoint, os.environ if base_env is None else base_env, code_dir)
    context = LambdaContext(
        function_name=function.name,
        invoked_function_arn=function.arn,
        memory_limit_in_mb=function.memory_mb,
        timeout_s=function.timeout_s,
        log_group_name=f"/aws/lambda/{function.name}",
    )
    started = time.monotonic()
    with _process_state(env, code_dir), contextlib.redirect_stdout(log or sys.stderr):
        try:
            handler = _load_handler(function.handler, code_dir)
            payload, error = handler(event, context), False
        except OrchestrationError:
            raise
        except Exception as exc:  # reported as Lambda reports a function error
            payload, error = {
                "errorMessage": str(exc),
                "errorType": type(exc).__name__,
                "requestId": context.aws_request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }, True
    return Invocation(payload, error, context.aws_request_id, (time.monotonic() - started) * 1000)


def read_event(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise OrchestrationError(f"event file {path} not found (samples are in events/)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise OrchestrationError(f"event file {path} cannot be read: {err}") from None
    except json.JSONDecodeError as err:
        raise OrchestrationError(f"event file {path} is not JSON: {err}") from None


def run(
    ctx: Context,
    event_path: Path,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    echo: Callable[[str], None] = print,
    note: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    session_factory: SessionFactory = local_session,
) -> int:
    """The CLI command: 0 when the handler returned, 1 on a function error (as Lambda reports it)."""
    endpoint = endpoint_from(endpoint_url, os.environ)
    event = read_event(event_path)
    function = deployed_function(choose_stack(ctx, region), endpoint, session_factory)
    note(f"invoke {function.name} ({function.region}) in-process, deployed environment, at {endpoint}")
    result = invoke(function, event, endpoint=endpoint)
    try:
        note(f"request {result.request_id}: {'function error' if result.error else 'returned'} "
             f"in {result.duration_ms:.0f} ms")
        echo(json.dumps(result.payload, indent=2, default=str))
    except BrokenPipeError:  # `| head`: the reader left; Python's documented way out
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.dup2(devnull, sys.stderr.fileno())
    return 1 if result.error else 0
