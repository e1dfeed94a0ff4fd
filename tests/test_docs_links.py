"""Links in the documentation resolve: every relative link and every `docs/….md#anchor`
names a file that exists and, with an anchor, a heading in it.

The project's documents point at each other mostly in plain text (`docs/adr/0049-….md`,
`docs/benchmarks.md#push`), and code comments cite benchmark sections the same way instead
of quoting figures that go stale. A renamed heading or file would leave those pointers
dangling without anyone noticing, so they are checked like markdown links.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Markdown inline links and images: [text](target) or [text](target "title").
_MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# A repository path to a markdown document, as written in prose and comments.
_DOC_PATH = re.compile(r"(?<![\w/.-])((?:docs/[\w./-]+|README)\.md)(#[\w-]+)?")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")

# Source trees whose comments may cite a document; node_modules and the venv are not ours.
_CODE_DIRS = ("server", "sync", "pwa", "bench", "scripts", "migrations")
_CODE_SUFFIXES = {".py", ".js", ".mjs", ".sh", ".html", ".css"}


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text without markup, lower case, with
    everything but letters, digits, spaces, hyphens and underscores dropped, and each
    space turned into a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file (repeats numbered -1, -2 as GitHub does),
    plus explicit `<a id="…">` / `name="…"` anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        found.update(re.findall(r"<a\s+(?:id|name)=\"([^\"]+)\"", line))
        m = _HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def _prose(path: Path) -> str:
    """The file's text with fenced code blocks blanked: commands are not links."""
    out, in_fence = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append("")
            continue
        out.append("" if in_fence else line)
    return "\n".join(out)


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    """What in `path` points at a missing file or anchor, as 'line: target' strings."""
    problems: list[str] = []
    text = path.read_text(encoding="utf-8") if path.suffix != ".md" else _prose(path)
    for lineno, line in enumerate(text.splitlines(), start=1):
        targets: list[tuple[Path, str | None, str]] = []
        if path.suffix == ".md":
            for target in _MD_LINK.findall(line):
                if _SCHEME.match(target) or target.startswith("//"):
                    continue  # another site: not checked offline
                file_part, _, anchor = target.partition("#")
                dest = (path.parent / file_part).resolve() if file_part else path
                targets.append((dest, anchor or None, target))
        for doc, anchor in _DOC_PATH.findall(line):
            targets.append((root / doc, anchor[1:] or None, doc + anchor))
        for dest, anchor, shown in targets:
            if not dest.exists():
                problems.append(f"{lineno}: {shown} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{lineno}: {shown} (no such heading)")
    return problems


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _code_files() -> list[Path]:
    files = [ROOT / "gunicorn.conf.py"]
    for top in _CODE_DIRS:
        for p in sorted((ROOT / top).rglob("*")):
            if p.suffix in _CODE_SUFFIXES and "node_modules" not in p.parts and p.is_file():
                files.append(p)
    return [p for p in files if p.exists()]


@pytest.mark.parametrize("doc", _documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_document_links_resolve(doc: Path) -> None:
    """Every relative link and document path in README.md and docs/ resolves."""
    problems = broken_links(doc)
    assert not problems, "\n".join(problems)


def test_code_comments_cite_existing_sections() -> None:
    """A comment's `docs/….md#anchor` names a document and heading that exist."""
    problems = [f"{p.relative_to(ROOT)}:{msg}" for p in _code_files() for msg in broken_links(p)]
    assert not problems, "\n".join(problems)


def test_checker_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    """The checker itself: a good link passes, a wrong file or heading is reported."""
    (tmp_path / "docs").mkdir()
    target = tmp_path / "docs" / "target.md"
    target.write_text("# Title\n\n## Push: where it goes\n\n```\n# not a heading\n```\n",
                      encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text(
        "[ok](target.md#push-where-it-goes) [gone](missing.md) [bad](target.md#pull)\n"
        "docs/target.md#title docs/target.md#not-a-heading [web](https://example.org/x)\n",
        encoding="utf-8")
    assert broken_links(page, root=tmp_path) == [
        "1: missing.md (no such file)",
        "1: target.md#pull (no such heading)",
        "2: docs/target.md#not-a-heading (no such heading)",
    ]


@pytest.mark.parametrize("heading, expected", [
    ("Sync", "sync"),
    ("Where a township's full recompute goes, and what did not help",
     "where-a-townships-full-recompute-goes-and-what-did-not-help"),
    ("Session 7: the push ratio falls below its goal",
     "session-7-the-push-ratio-falls-below-its-goal"),
    ("The `own_seqs` field", "the-own_seqs-field"),
    ("0060 Push pipeline — after", "0060-push-pipeline--after"),
])
def test_slug_matches_github(heading: str, expected: str) -> None:
    """Anchors are computed the way GitHub renders them."""
    assert slug(heading) == expected
