"""Run one lifecycle hook over the plugins, turning expected failures into results."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from payinfra.plugins.api import Check, Hook, Plugin, PluginContext, Status
from payinfra.plugins.aws import error_message
from payinfra.plugins.errors import PluginError


@dataclass(frozen=True)
class HookResult:
    plugin: str
    ok: bool
    error: str = ""


def _failure(err: Exception) -> str:
    """Expected failures by their message; anything else also by its type (a bug to report)."""
    if isinstance(err, ClientError):
        return error_message(err)
    if isinstance(err, PluginError):
        return str(err)
    return f"unexpected {type(err).__name__}: {err}"


def run_hook(
    plugins: list[Plugin], hook: Hook, pc: PluginContext, *, stop_on_error: bool = False
) -> list[HookResult]:
    """Run `after-deploy` or `before-destroy` of each plugin in order.

    A failing plugin does not stop the independent ones after it, unless `stop_on_error` (destroy
    stops: deleting stacks after a failed before-destroy step would fail on what it left).
    """
    results = []
    for plugin in plugins:
        if hook not in plugin.hooks:
            continue
        pc.reporter.echo(f"{plugin.name} ({hook})")
        out = pc.reporter.for_plugin(plugin.name)
        if hook == Hook.BEFORE_DESTROY and plugin.destroys_data and pc.config.project.protected:
            out.unchanged(
                f"environment {pc.config.project.environment!r} is protected: its data is kept "
                "(retained with the stack), so nothing is emptied or removed"
            )
            results.append(HookResult(plugin.name, True))
            continue
        try:
            if hook == Hook.AFTER_DEPLOY:
                plugin.after_deploy(pc, out)
            else:
                plugin.before_destroy(pc, out)
        except Exception as err:  # one plugin's failure must not hide the others' results
            message = _failure(err)
            pc.reporter.echo(f"  [{plugin.name}] FAILED: {message}")
            results.append(HookResult(plugin.name, False, message))
            if stop_on_error:
                break
            continue
        results.append(HookResult(plugin.name, True))
    return results


def run_verify(plugins: list[Plugin], pc: PluginContext) -> list[Check]:
    """Every plugin's checks; a plugin that cannot even read its state yields one broken check."""
    checks: list[Check] = []
    for plugin in plugins:
        if Hook.VERIFY not in plugin.hooks:
            continue
        try:
            checks.extend(plugin.verify(pc))
        except Exception as err:  # reported as a broken promise, like any unreadable state
            checks.append(Check(f"{plugin.name}: state readable", Status.BROKEN, _failure(err)))
    return checks
