"""Bounded waits with a progress line per poll.

Every wait has a timeout: an emulator that accepts a request and never acts on it (or an AWS
operation stuck for an hour) must end in a clear message, not an endless loop. A timeout is not
fatal to the resource: running the plugin again resumes the wait.
"""

from __future__ import annotations

from collections.abc import Callable

from payinfra.plugins.api import PluginContext, PluginReporter
from payinfra.plugins.errors import PluginError

Poll = Callable[[], tuple[bool, str]]  # -> (done, state shown in progress lines)


def wait_until(pc: PluginContext, out: PluginReporter, what: str, poll: Poll) -> str:
    """Call `poll` until it reports done; returns the final state."""
    start = pc.clock.now()
    while True:
        done, state = poll()
        elapsed = pc.clock.now() - start
        if done:
            if elapsed > 0:
                out.progress(f"{what}: {state} after {elapsed:.0f}s")
            return state
        if elapsed >= pc.wait_timeout_s:
            raise PluginError(
                f"timed out after {elapsed:.0f}s waiting for {what} (last state: {state}); "
                "the operation may still finish: run the same command again to resume waiting"
            )
        out.progress(f"waiting for {what}: {state} ({elapsed:.0f}s of at most {pc.wait_timeout_s:.0f}s)")
        pc.clock.sleep(pc.poll_interval_s)
