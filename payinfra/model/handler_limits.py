"""The payment handler's request limits, read from the handler's own source for the edge to render.

The WAF rule in front of the ALB must refuse exactly what the handler refuses and answer with
the handler's 413 body. Both come from `functions/payment/payment_processor/limits.py`, the one
place the limit is written. That file is loaded by path (it imports only the standard library),
so rendering neither imports the handler package nor puts `functions/` on `sys.path`, and the
handler keeps reading its constant as it always did (no environment variable, no extra work per
event or at cold start).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from types import ModuleType

from payinfra.paths import ROOT

LIMITS_PATH = ROOT / "functions" / "payment" / "payment_processor" / "limits.py"


@functools.cache
def payment_limits(path: Path = LIMITS_PATH) -> ModuleType:
    """The handler's `limits` module (`MAX_BODY_BYTES`, `payload_too_large_body(region)`)."""
    spec = importlib.util.spec_from_file_location("payinfra_render_payment_limits", path)
    if spec is None or spec.loader is None:  # pragma: no cover - only with a missing file
        raise ImportError(f"cannot load the payment handler's limits from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
