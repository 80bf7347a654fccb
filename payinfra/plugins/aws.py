"""Per-region boto3 sessions from the default credential chain, and AWS error helpers.

No endpoint is ever passed explicitly: botocore (>= 1.31) honours `AWS_ENDPOINT_URL` (and the
per-service `AWS_ENDPOINT_URL_<SERVICE>`) by itself, so the same code talks to a real account or
to a local emulator with no local-mode branch.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import boto3
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

SessionFactory = Callable[[str], boto3.Session]

# Errors that mean "cannot talk to AWS at all": the CLI turns them into one clear line.
ACCESS_ERRORS = (NoCredentialsError, PartialCredentialsError, NoRegionError, EndpointConnectionError)


def default_session(region: str) -> boto3.Session:
    return boto3.Session(region_name=region)


class RegionalSessions:
    """One boto3 Session per region, one cached client per (service, region).

    Clients are thread-safe; sessions are not, so client creation is serialised (the deploy
    runner touches two regions from two threads).
    """

    def __init__(self, factory: SessionFactory = default_session) -> None:
        self._factory = factory
        self._sessions: dict[str, boto3.Session] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def session(self, region: str) -> boto3.Session:
        with self._lock:
            if region not in self._sessions:
                self._sessions[region] = self._factory(region)
            return self._sessions[region]

    def client(self, service: str, region: str) -> Any:
        session = self.session(region)
        with self._lock:
            key = (service, region)
            if key not in self._clients:
                self._clients[key] = session.client(service)  # type: ignore[call-overload]  # stubs: literal service names only
            return self._clients[key]

    def set_client(self, service: str, region: str, client: Any) -> None:
        """Use a prepared client (tests attach a botocore Stubber to it)."""
        with self._lock:
            self._clients[(service, region)] = client


def error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def error_message(err: ClientError) -> str:
    error = err.response.get("Error", {})
    return f"{error.get('Code', 'Error')}: {error.get('Message', str(err))}"


def endpoint_description() -> str:
    """Where AWS calls go, for the first progress line of every command."""
    url = os.environ.get("AWS_ENDPOINT_URL")
    return f"endpoint {url} (AWS_ENDPOINT_URL)" if url else "AWS public endpoints"
