"""Expected failures: each message names the stack, resource or output and says what to do."""

from __future__ import annotations


class PluginError(Exception):
    """A missing precondition or a resource in a bad state: shown as one message, no traceback."""


class StackStateError(PluginError):
    """A stack is missing, or in a state (rollback, in progress) that plugins cannot build on."""


class MissingOutputError(PluginError):
    """A stack lacks an output of the contract in templates/README.md."""
