"""The docs name only files a clone has: every repository path they mention exists, none
points outside the repository (a `../shared/...` reference left a new operator with nothing),
and every link between the pages lands on a page and a heading it has (the README's reference
sections became pages of docs/, and a link left behind leads nowhere)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "README.md"])
TOP_LEVEL = (
    "bot/",
    "handlers/",
    "loopback/",
    "moderation/",
    "storage/",
    "tests/",
    "bench/",
    "deploy/",
    "docs/",
)
# `path`, `path: name` or `path (...)` in backticks, and markdown links [text](path).
_CODE = re.compile(r"`([^`\s:]+)(?::[^`]*)?`")
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def mentioned(text: str) -> set[str]:
    found = set(_CODE.findall(text)) | set(_LINK.findall(text))
    return {item for item in found if not item.startswith(("http://", "https://", "#"))}


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_repository_path_a_doc_names_exists(doc: Path) -> None:
    paths = [
        item
        for item in mentioned(doc.read_text(encoding="utf-8"))
        if item.startswith(TOP_LEVEL) and not re.search(r"[<>*]|NNNN", item)
    ]
    # A link's anchor (`docs/page.md#heading`) is checked with the headings below.
    missing = [item for item in paths if not (ROOT / item.partition("#")[0]).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} names files a clone does not have: {missing}"


def test_the_pattern_finds_the_paths_the_docs_name() -> None:
    """Some pages name no path; these do, so an empty list means the pattern broke."""
    for doc in (
        ROOT / "README.md",
        ROOT / "docs" / "ARCHITECTURE.md",
        ROOT / "docs" / "deploying.md",
    ):
        assert mentioned(doc.read_text(encoding="utf-8")), f"nothing found in {doc.name}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_doc_points_outside_the_repository(doc: Path) -> None:
    """A path in backticks is the repository's (from its top), so never `../`; a link is
    resolved from its page (docs/ links the README as `../README.md`) and stays inside."""
    text = doc.read_text(encoding="utf-8")
    outside = [item for item in _CODE.findall(text) if "../" in item] + [
        link
        for link in _LINK.findall(text)
        if not link.startswith(("http://", "https://", "#"))
        and not (doc.parent / link.partition("#")[0]).resolve().is_relative_to(ROOT)
    ]
    assert not outside, f"{doc.relative_to(ROOT)} points outside the repository: {outside}"


def headings(doc: Path) -> set[str]:
    """The anchors GitHub gives the headings of a page: lower case, punctuation dropped,
    spaces as hyphens, a repeated one numbered."""
    anchors: set[str] = set()
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.M | re.S)
    for title in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        anchor, n = slug, 0
        while anchor in anchors:
            n += 1
            anchor = f"{slug}-{n}"
        anchors.add(anchor)
    return anchors


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_between_the_docs_lands_on_a_page_and_a_heading(doc: Path) -> None:
    """issue 28, point 14: with the README split into docs/ pages, a link (`page.md`,
    `page.md#heading`, `#heading`) resolves from the page it is in to a file of the
    repository, and its anchor to a heading of that file."""
    broken: list[str] = []
    for link in _LINK.findall(doc.read_text(encoding="utf-8")):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = link.partition("#")
        target = (doc.parent / path).resolve() if path else doc
        if not target.is_relative_to(ROOT) or not target.exists():
            broken.append(f"{link} (no such file)")
        elif anchor and (target.suffix != ".md" or anchor not in headings(target)):
            broken.append(f"{link} (no such heading)")
    assert not broken, f"{doc.relative_to(ROOT)} has links that lead nowhere: {broken}"


def test_the_readme_links_every_docs_page() -> None:
    """issue 28, point 14: the README's table of contents names every page of docs/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted(path.name for path in (ROOT / "docs").glob("*.md"))
    assert [page for page in pages if f"(docs/{page})" not in readme] == []
    assert "(docs/ARCHITECTURE.md)" in readme
