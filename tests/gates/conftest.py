"""Shared fixtures for the gate tests: captured tool outputs and the installed tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from payinfra.gates.model import GateError
from payinfra.gates.tools import Tools, locate

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def tools() -> Tools:
    """The installed tools; a missing one fails the test with the install hint (CI installs them)."""
    try:
        return locate()
    except GateError as err:
        pytest.fail(f"gate tool missing: {err}", pytrace=False)
