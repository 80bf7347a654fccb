"""The project's context (config): typed model, loader and CLI overrides."""

from payinfra.config.loader import ConfigError, build_context, load_context
from payinfra.config.model import Context, Region

__all__ = ["ConfigError", "Context", "Region", "build_context", "load_context"]
