"""Fixtures over the rendered templates: render once per session, parse into plain dicts.

Short-form tags become `{"Ref": ...}` / `{"Fn::Sub": ...}` keys (see `load_cfn_yaml`), so tests
assert on resource types and properties without caring how the YAML spelled them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from payinfra.cfn import load_cfn_yaml
from payinfra.config import Context, build_context, load_context
from payinfra.config.loader import DEFAULT_PATH, _read_toml
from payinfra.config.model import Region
from payinfra.paths import ROOT
from payinfra.render.renderer import render_all

Template = dict[str, Any]


@pytest.fixture(scope="session")
def context() -> Context:
    return load_context()


@pytest.fixture(scope="session")
def rendered(context: Context) -> dict[str, str]:
    return render_all(context)


@pytest.fixture(scope="session")
def primary(rendered: dict[str, str]) -> Template:
    return load_cfn_yaml(rendered["template.primary.yaml"])


@pytest.fixture(scope="session")
def secondary(rendered: dict[str, str]) -> Template:
    return load_cfn_yaml(rendered["template.secondary.yaml"])


@pytest.fixture(scope="session")
def peering(rendered: dict[str, str]) -> Template:
    return load_cfn_yaml(rendered["template.peering.yaml"])


@pytest.fixture(params=["primary", "secondary"])
def regional(request: pytest.FixtureRequest) -> Template:
    """Each regional template in turn (for rules that hold in both regions)."""
    template: Template = request.getfixturevalue(request.param)
    return template


@pytest.fixture(scope="session")
def render_with() -> Callable[..., dict[str, Template]]:
    """Render with overrides (`"us-east-2.waf.blocked_countries=['RU']"` style) -> parsed templates."""

    def _render(*overrides: str) -> dict[str, Template]:
        from payinfra.config.loader import _apply_override

        raw = _read_toml(DEFAULT_PATH)
        for item in overrides:
            _apply_override(raw, item)
        out = render_all(build_context(raw))
        return {name: load_cfn_yaml(text) for name, text in out.items() if name.endswith(".yaml")}

    return _render


@pytest.fixture(scope="session")
def three_rendered() -> dict[str, Template]:
    """The three-region example (us-east-1; us-east-2 and us-west-2, hub and spoke), parsed."""
    out = render_all(load_context(ROOT / "examples" / "three-regions.toml"))
    return {name: load_cfn_yaml(text) for name, text in out.items() if name.endswith(".yaml")}


def resources_of(template: Template, type_name: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource for every resource of `type_name`."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_name}


def props(template: Template, logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id].get("Properties", {})
    return properties


def secondary_of(ctx: Context) -> Region:
    """The settings of the context's first secondary (the committed context has one)."""
    return ctx.regions[ctx.project.secondary_regions[0]]
