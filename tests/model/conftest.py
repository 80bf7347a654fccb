"""Contexts for the model tests: the committed context, and one with overrides applied."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from payinfra.config import Context, load_context


@pytest.fixture(scope="session")
def context() -> Context:
    return load_context()


@pytest.fixture(scope="session")
def context_with() -> Callable[..., Context]:
    """`context_with("project.database_mode=independent")` -> a validated context."""

    def _build(*overrides: str) -> Context:
        return load_context(overrides=list(overrides))

    return _build
