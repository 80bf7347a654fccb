"""The model's one error type: the context asks for something no template can lay out.

A `ValueError`, so callers that catch that keep working; render reports it as one line.
"""

from __future__ import annotations


class ModelError(ValueError):
    """The context is valid, but the model cannot be computed from it (the message says why)."""
