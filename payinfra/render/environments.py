"""Where an environment's rendered files live, so that environments deploy side by side.

The repository root holds the render of the context file as committed (`context.toml`, suffix
`dev`): the design card's files, which `sam deploy --config-env X` reads from the root. Any other
environment, i.e. another `--config` file (even one with the same suffix: it may list other
regions) or a `--suffix` or `--set` that changes the context, is rendered by the command itself, with the same
renderer (so its deletion policies and `project.protect` come with it), into a folder of its own:
`.aws-sam/environments/<suffix>/`. That folder is laid out like the root (three templates and
samconfig.toml; SAM CLI looks for samconfig.toml beside the template, see
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-config.html),
and the environment's builds and logs go under it, so two environments never share a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from payinfra.config import Context
from payinfra.config.loader import DEFAULT_PATH
from payinfra.paths import ROOT
from payinfra.render.renderer import render_all, write_all

ENVIRONMENTS_DIR = Path(".aws-sam") / "environments"


@dataclass(frozen=True)
class Environment:
    """One environment's rendered files: `home` holds its templates and samconfig.toml."""

    suffix: str
    committed: bool  # the root's committed render: checked, never written by a command
    root: Path = ROOT  # the repository

    @property
    def home(self) -> Path:
        return self.root if self.committed else self.root / ENVIRONMENTS_DIR / self.suffix

    def shown(self) -> str:
        """`home` as a user sees it from the repository root ("." for the committed files)."""
        return "." if self.committed else str(ENVIRONMENTS_DIR / self.suffix)


def committed(ctx: Context, root: Path = ROOT) -> Environment:
    return Environment(ctx.project.suffix, committed=True, root=root)


def locate(ctx: Context, base: Context, root: Path = ROOT, *, config: Path = DEFAULT_PATH) -> Environment:
    """The committed environment for the default context file when the overrides change nothing,
    else the suffix's own folder.

    `config` is the file `ctx` was read from: any but the default `context.toml` is another
    environment, whatever it holds. `base` is that file read without --suffix/--set: a render is
    a function of the context, so equal contexts render equal files.
    """
    default = config.resolve() == DEFAULT_PATH.resolve()
    return Environment(ctx.project.suffix, committed=default and ctx == base, root=root)


def render_into(env: Environment, ctx: Context) -> list[str]:
    """Render `ctx` into a non-committed environment's folder; returns the files that changed."""
    if env.committed:
        raise ValueError("the committed files are written by `python render.py` only")
    env.home.mkdir(parents=True, exist_ok=True)
    return write_all(render_all(ctx), env.home)

