"""Python lifecycle plugins for the cross-region wiring CloudFormation cannot express.

See `api` for the interface, `registry` for the shipped plugins and their order, and `runner`
for how a hook runs. `python -m payinfra plugins` lists them.
"""

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Reporter, Status
from payinfra.plugins.errors import MissingOutputError, PluginError, StackStateError
from payinfra.plugins.registry import default_plugins

__all__ = [
    "Check",
    "Hook",
    "MissingOutputError",
    "Plugin",
    "PluginContext",
    "PluginError",
    "Reporter",
    "StackStateError",
    "Status",
    "default_plugins",
]
