"""`LocalAws`: moto's server, in this process, on a free loopback port, with the fixes applied
and the strict-AWS rules on (`localaws.rules`: what AWS refuses is refused here too).

Clients reach it exactly as they reach AWS, through the endpoint variable every current AWS SDK
and SAM CLI honour (`AWS_ENDPOINT_URL`), so nothing in the templates, plugins or orchestration
needs a local-only code path. The server is a thread of this process: stopping it (or leaving
the `with` block, or Ctrl-C in the CLI) leaves no process behind.
"""

from __future__ import annotations

import logging
import socket
import threading
import urllib.request
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._moto import threaded_moto_server
from .clock import CLOCK, SimClock
from .faults import FAULTS
from .inventory import ResourceCheck, StackInventory, check_deleted, take_inventory
from .order import patch_moto
from .patching import Patcher
from .rules import RULE_IDS, set_account_concurrency
from .services.awslambda.rules.unreserved_concurrency import AccountConcurrencyError, account_concurrency
from .services.dynamodb import global_tables

if TYPE_CHECKING:
    import boto3

    from ._moto import ThreadedMotoServer

FAKE_ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that would point a client somewhere else than the emulator, or at real credentials.
CLEARED_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)

# moto's backends are process-global: one emulator per process at a time.
_ONE_AT_A_TIME = threading.Lock()


class EmulatorError(RuntimeError):
    """The emulator could not start, or was used while stopped."""


def _check_port_free(host: str, port: int) -> None:
    """Fail clearly on a busy port: moto's server thread would exit and `start()` wait forever."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise EmulatorError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


class LocalAws:
    """A running local AWS endpoint. Use as a context manager, or call `start()`/`stop()`.

    `skip_fixes` names fixes (see `localaws.order.FIX_NAMES`) to leave out: the tests
    use it to show what each fix repairs. The strict-AWS rules (`localaws.rules`) are
    applied after the fixes; `skip_rules` names rule IDs to leave out (`RULE_IDS`).
    `quiet` silences the per-request log lines.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        primary_region: str = "us-east-1",
        skip_fixes: frozenset[str] | set[str] = frozenset(),
        skip_rules: frozenset[str] | set[str] = frozenset(),
        quiet: bool = True,
    ) -> None:
        unknown = set(skip_rules) - set(RULE_IDS)
        if unknown:
            raise EmulatorError(f"unknown strict-AWS rule(s) {sorted(unknown)}; known: {', '.join(RULE_IDS)}")
        self._requested_port = port
        self._host = host
        self.primary_region = primary_region
        self._skip_fixes = frozenset(skip_fixes)
        self._skip_rules = frozenset(skip_rules)
        self._server: ThreadedMotoServer | None = None
        self._patcher: Patcher | None = None
        self._endpoint_url: str | None = None
        self._quiet = quiet
        self._holds_lock = False
        self._werkzeug_level: int | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> LocalAws:
        """Apply the fixes, start the server and reset every backend; returns `self`."""
        if self._server is not None:
            return self
        try:  # a bad PAYINFRA_EMULATOR_ACCOUNT_CONCURRENCY is one clear error now, not a 500 later
            account_concurrency()
        except AccountConcurrencyError as exc:
            raise EmulatorError(str(exc)) from None
        if not _ONE_AT_A_TIME.acquire(blocking=False):
            raise EmulatorError(
                "another LocalAws is running in this process (moto's state is process-global)"
            )
        self._holds_lock = True
        try:
            _check_port_free(self._host, self._requested_port)
            self._patcher = patch_moto(skip_fixes=self._skip_fixes, skip_rules=self._skip_rules)
            if self._quiet:  # one log line per request drowns SAM's output
                werkzeug_logger = logging.getLogger("werkzeug")
                self._werkzeug_level = werkzeug_logger.level
                werkzeug_logger.setLevel(logging.WARNING)
            server = threaded_moto_server()(ip_address=self._host, port=self._requested_port, verbose=False)
            server.start()
            self._server = server
            host, port = server.get_host_and_port()
            self._endpoint_url = f"http://{host}:{port}"
            self.reset()
        except BaseException:
            self._release()
            raise
        return self

    def stop(self) -> None:
        """Stop the server thread and undo the fixes. Safe to call twice."""
        self._release()

    def _release(self) -> None:
        server, self._server = self._server, None
        patcher, self._patcher = self._patcher, None
        try:
            if server is not None:
                server.stop()
        finally:
            if patcher is not None:
                patcher.revert()
                set_account_concurrency(None)  # a limit set on this emulator ends with it
            if self._werkzeug_level is not None:
                logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
                self._werkzeug_level = None
            self._endpoint_url = None
            if self._holds_lock:
                self._holds_lock = False
                _ONE_AT_A_TIME.release()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- what clients need ---------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:PORT` (the template-URL fix makes an IP endpoint work with moto)."""
        if self._endpoint_url is None:
            raise EmulatorError("LocalAws is not running: call start() or use it in a with block")
        return self._endpoint_url

    def env(self, region: str | None = None) -> dict[str, str]:
        """Variables that point any AWS SDK, the AWS CLI and SAM CLI at the emulator.

        Overlay them on `os.environ` and drop `CLEARED_VARIABLES` (see `subprocess_env`). The
        region defaults to the primary; commands that target another region pass `--region`.
        """
        region = region or self.primary_region
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **FAKE_CREDENTIALS,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_EC2_METADATA_DISABLED": "true",  # never wait for an instance-metadata endpoint
            "SAM_CLI_TELEMETRY": "0",
        }

    def subprocess_env(self, base: Mapping[str, str], region: str | None = None) -> dict[str, str]:
        """`base` (usually `os.environ`) without credential, profile and per-service endpoint
        variables, plus `env()`."""
        merged = {
            k: v
            for k, v in base.items()
            if k not in CLEARED_VARIABLES and not k.startswith("AWS_ENDPOINT_URL_")  # per-service overrides
        }
        merged.update(self.env(region))
        return merged

    def session(self, region: str | None = None) -> boto3.Session:
        import boto3

        return boto3.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=region or self.primary_region,
        )

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for `service` in `region` on the emulator's endpoint."""
        return self.session(region).client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]  # stubs: literal names only

    # -- state ---------------------------------------------------------------------------------
    def set_account_concurrency(self, limit: int | None) -> None:
        """Set the account's Lambda concurrency limit (rule LAMBDA001) for every region; None
        restores `PAYINFRA_EMULATOR_ACCOUNT_CONCURRENCY` or AWS's default of 1000."""
        try:
            set_account_concurrency(limit)
        except AccountConcurrencyError as exc:
            raise EmulatorError(str(exc)) from None

    def reset(self) -> None:
        """Empty every service in every region (`POST /moto-api/reset`); end every fault, rewind
        the clock to real time and forget global-table replication."""
        FAULTS.reset()
        CLOCK.reset()
        global_tables.STATE.reset()
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            if response.status != 200:
                raise EmulatorError(f"moto reset answered HTTP {response.status}")

    # -- faults (disaster-recovery drills; process-wide like moto's state) ----------------------
    @property
    def clock(self) -> SimClock:
        """The emulator's clock: `advance(s)` skips a simulated wait (replication lag, probes)."""
        return CLOCK

    def outage(self, region: str) -> None:
        """Every call signed for `region` now answers 503 ServiceUnavailable (Route 53 with
        us-east-1); replication to and from it holds until `restore`."""
        FAULTS.outage(region)

    def isolate(self, region: str) -> None:
        """`region` answers its clients but reaches no other region (replication holds, a strongly
        consistent table there refuses writes)."""
        FAULTS.isolate(region)

    def restore(self, region: str) -> None:
        """End an outage or isolation; held replication is delivered before the next request."""
        FAULTS.restore(region)

    def refused_calls(self, region: str) -> int:
        """Calls refused for `region` since the last reset (0 proves nothing called it)."""
        return FAULTS.refused(region)

    def set_replication_lag(self, seconds: float) -> None:
        """Delay of eventually consistent global-table replication, on `clock` (default 0.5 s)."""
        try:
            global_tables.set_replication_lag(seconds)
        except ValueError as exc:
            raise EmulatorError(str(exc)) from None

    def flush_replication(self) -> int:
        """Deliver every queued global-table change whose regions reach each other, due or not;
        returns how many were applied (held ones stay queued)."""
        return global_tables.flush_replication()

    def inventory(self, stack_name: str, region: str | None = None) -> StackInventory:
        """Each resource of the stack, checked through its own service's API (see `inventory`)."""
        return take_inventory(stack_name, self.session(region), endpoint_url=self.endpoint_url)

    def leftovers(self, inventory: StackInventory) -> list[ResourceCheck]:
        """After deleting the stack of `inventory`: what its services still describe."""
        return check_deleted(inventory, self.session(inventory.region), endpoint_url=self.endpoint_url)
