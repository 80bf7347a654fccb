"""Expected orchestration failures: one clear message each, never a traceback."""

from __future__ import annotations


class OrchestrationError(Exception):
    """A precondition of deploy/verify/destroy is not met; the message says what to do."""
