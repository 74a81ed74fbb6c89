"""The docs name only files a clone has: every repository path they mention exists, and none
points outside the repository (a `../shared/...` reference left a new operator with nothing)."""

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
    assert paths, f"{doc.name} names no repository path: the pattern is broken"
    missing = [item for item in paths if not (ROOT / item).exists()]
    assert not missing, f"{doc.relative_to(ROOT)} names files a clone does not have: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_doc_points_outside_the_repository(doc: Path) -> None:
    outside = [item for item in mentioned(doc.read_text(encoding="utf-8")) if "../" in item]
    assert not outside, f"{doc.relative_to(ROOT)} points outside the repository: {outside}"


def test_the_readme_links_the_architecture_notes() -> None:
    assert "(docs/ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
