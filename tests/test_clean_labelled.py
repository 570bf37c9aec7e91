"""Line-labelled pages: the share of boilerplate removed and of content kept, and the dates.

Each file in tests/golden/clean/labelled/ is a page whose every line is prefixed "B|"
(boilerplate, or metadata such as the title: must leave the body) or "C|" (content: must stay).
The first line "# published_date=... site=... category=..." gives the expected metadata.
Acceptance for the issue: >= 98 % of boilerplate lines removed, >= 99 % of content lines kept,
the publication date right on every page. Run this file alone to print the per-page figures:

    .venv/bin/pytest tests/test_clean_labelled.py -s
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tasks.clean import HEADER_RE, count_lines, run_clean
from tasks.config import Settings
from tasks.records import Article, RawDoc

LABELLED = Path(__file__).resolve().parent / "golden" / "clean" / "labelled"
PAGES = sorted(LABELLED.glob("*.txt"))


@dataclass
class Page:
    name: str
    text: str
    labels: list[str | None]  # per line: "B", "C" or None (blank)
    meta: dict[str, str]


def load(path: Path) -> Page:
    raw = path.read_text(encoding="utf-8").split("\n")
    meta = dict(kv.split("=", 1) for kv in raw[0].lstrip("# ").split())
    lines, labels = [], []
    for row in raw[1:]:
        if not row:
            continue
        label, _, line = row.partition("|")
        assert label in ("B", "C"), f"{path.name}: bad label in {row!r}"
        lines.append(line)
        labels.append(label if line.strip() else None)
    return Page(path.stem, "\n".join(lines) + "\n", labels, meta)


def doc_of(page: Page) -> RawDoc:
    raw = page.text.encode("utf-8")
    return RawDoc(
        source_path=f"{page.name}.txt",
        text=page.text,
        encoding="utf-8",
        source_sha256=hashlib.sha256(raw).hexdigest(),
        content_key=hashlib.sha256(" ".join(page.text.split()).encode()).hexdigest(),
        size_bytes=len(raw),
    )


def score(page: Page, art: Article) -> tuple[int, int, int, int, list[str]]:
    """(boilerplate lines, removed of them, content lines, kept of them, mistakes)."""
    removed = {r.line_no for r in art.removed}
    body = art.body.split("\n\n") if art.body else []
    lines = page.text.split("\n")
    b = b_ok = c = c_ok = 0
    mistakes = []
    for no, label in enumerate(page.labels, start=1):
        if label is None:
            continue
        line = lines[no - 1]
        if no == 1 and (m := HEADER_RE.match(line)):
            gone = no in removed or (m.group(4) or "").strip() not in body
        else:
            gone = no in removed
        if label == "B":
            b += 1
            b_ok += gone
            if not gone:
                mistakes.append(f"kept boilerplate {no}: {line!r}")
        else:
            c += 1
            c_ok += not gone
            if gone:
                rule = next((r.rule for r in art.removed if r.line_no == no), "?")
                mistakes.append(f"removed content {no} ({rule}): {line!r}")
    return b, b_ok, c, c_ok, mistakes


def clean_all(pages: list[Page]):
    docs = [doc_of(p) for p in pages]
    result = run_clean(docs, count_lines(docs), Settings())
    assert not result.quarantined
    return {a.source_path[:-4]: a for a in result.items}


def test_labelled_pages_exist():
    assert len(PAGES) >= 8


def test_boilerplate_removed_and_content_kept_overall():
    pages = [load(p) for p in PAGES]
    arts = clean_all(pages)
    tb = tbo = tc = tco = 0
    report = []
    for page in pages:
        b, bo, c, co, mistakes = score(page, arts[page.name])
        tb, tbo, tc, tco = tb + b, tbo + bo, tc + c, tco + co
        report.append(f"{page.name}: boilerplate {bo}/{b}, content {co}/{c} {mistakes}")
    print("\n".join(report))
    print(f"boilerplate removed {tbo}/{tb}, content kept {tco}/{tc}")
    assert tbo / tb >= 0.98, report
    assert tco / tc >= 0.99, report


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_labelled_page_metadata(path):
    page = load(path)
    art = clean_all([page])[page.name]
    want = page.meta
    expected_date = None if want["published_date"] == "None" else want["published_date"]
    assert (art.published_date.isoformat() if art.published_date else None) == expected_date
    assert str(art.site) == want["site"]
    assert str(art.category) == want["category"]


def test_no_content_line_removed_on_any_page():
    pages = [load(p) for p in PAGES]
    arts = clean_all(pages)
    for page in pages:
        mistakes = [m for m in score(page, arts[page.name])[4] if m.startswith("removed")]
        assert not mistakes, (page.name, mistakes)
