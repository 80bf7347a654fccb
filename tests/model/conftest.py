"""Contexts for the model tests: the committed context, one with overrides applied, and the
three-region example (hub and spoke, and as a mesh)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payinfra.config import Context, load_context
from payinfra.paths import ROOT

THREE_REGIONS = ROOT / "examples" / "three-regions.toml"


@pytest.fixture(scope="session")
def context() -> Context:
    return load_context()


@pytest.fixture(scope="session")
def context_with() -> Callable[..., Context]:
    """`context_with("project.database_mode=independent")` -> a validated context."""

    def _build(*overrides: str) -> Context:
        return load_context(overrides=list(overrides))

    return _build


@pytest.fixture(scope="session")
def three_with() -> Callable[..., Context]:
    """The three-region example (us-east-1 primary; us-east-2, us-west-2), with overrides."""

    def _build(*overrides: str) -> Context:
        return load_context(THREE_REGIONS, overrides=list(overrides))

    return _build


@pytest.fixture(scope="session")
def three(three_with: Callable[..., Context]) -> Context:
    return three_with()


@pytest.fixture(scope="session")
def mesh(three_with: Callable[..., Context]) -> Context:
    return three_with('project.peering="mesh"')
