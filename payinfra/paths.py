"""Where the repository's committed files live: the root that holds `context.toml`, `templates/`
and the rendered templates the design card names."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
