"""The README and docs/ stay a walkable front door: every relative link (and its #anchor)
resolves, the README opens with the two set-up commands, and no page names a path outside the
repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from payinfra.paths import ROOT

README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
OUTSIDE = re.compile(r"\.\./shared|/(work|tmp|root)/")


def prose(text: str) -> str:
    """The page without fenced code blocks, whose `#` lines are comments, not headings."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a page, duplicates numbered as GitHub does (`x`, `x-1`, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(prose(page.read_text())):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """One line per relative link of `page` whose file or anchor does not exist."""
    problems = []
    for target in LINK.findall(INLINE_CODE.sub("", prose(page.read_text()))):
        if re.match(r"[a-z]+:", target):  # https:, mailto: ... are not files of this repository
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        where = f"{page.relative_to(root)}: {target}"
        if not dest.exists():
            problems.append(f"{where}: no such file")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{where}: no heading with that anchor")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_names_a_path_outside_the_repository(page: Path) -> None:
    assert [
        f"{page.relative_to(ROOT)}:{n}: {line.strip()}"
        for n, line in enumerate(page.read_text().splitlines(), 1)
        if OUTSIDE.search(line)
    ] == []


def test_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.read_text().splitlines()[:30])
    assert re.search(r"^make local\b", head, re.MULTILINE)
    assert re.search(r"^make test\b", head, re.MULTILINE)


def test_docs_pages_exist() -> None:
    """The reference the README points to: one page per topic."""
    names = {p.name for p in PAGES if p != README}
    assert {
        "architecture.md", "configuration.md", "operations.md", "local-aws.md",
        "security-gate.md", "payment-function.md", "testing.md",
    } <= names


def test_checker_catches_a_broken_link_and_anchor(tmp_path: Path) -> None:
    """The checker itself fails on what it is for (otherwise an empty result proves nothing)."""
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Real heading\n```\n# not a heading\n```\n")
    page.write_text(
        "# Title, with `code`\n[ok](other.md#real-heading) [self](#title-with-code)\n"
        "[gone](missing.md) [bad anchor](other.md#not-a-heading) [web](https://example.com)\n"
    )
    assert broken_links(page, root=tmp_path) == [
        "page.md: missing.md: no such file",
        "page.md: other.md#not-a-heading: no heading with that anchor",
    ]
