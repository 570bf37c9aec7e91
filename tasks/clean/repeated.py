"""cc_net-style repeated lines: per-site counts of the documents each line occurs in.

Pass 1 of a run counts (``count_lines``, ``LineCounts.update``/``prune``); pass 2 asks
``is_repeated`` for every kept line (``mark_repeated``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tasks.clean.profiles import _site_key, detect_site
from tasks.clean.state import _Page
from tasks.clean.text import HEADER_RE, _line_key, _memo_key_hash, norm_repeat
from tasks.config import Settings
from tasks.records import RawDoc

REPEATED_MAX_CHARS = 400  # longer lines are prose; never removed as repeated boilerplate


PRUNE_MIN_DOCS = 1000  # sites with fewer counted documents keep exact line counts


@dataclass(slots=True)
class LineCounts:
    """Per site: how many documents were counted, and in how many of them each line occurs.

    Lines are keyed by a 64-bit hash of their cc_net normalisation. Picklable and mergeable.
    """

    docs: Counter[str] = field(default_factory=Counter)
    lines: dict[str, Counter[int]] = field(default_factory=dict)

    def update(self, other: LineCounts) -> LineCounts:
        """Add ``other`` into this one in place (no copy of the accumulated counts)."""
        self.docs.update(other.docs)
        for site, counts in other.lines.items():
            mine = self.lines.get(site)
            if mine is None:
                self.lines[site] = Counter(counts)
            else:
                mine.update(counts)
        return self

    def prune(self, epsilon: float, min_docs: int = PRUNE_MIN_DOCS) -> int:
        """Lossy counting (Manku & Motwani) to keep memory flat on large corpora.

        For a site with ``N >= min_docs`` counted documents, lines seen in fewer than
        ``epsilon * N`` of them are dropped. A line that is boilerplate (in at least
        ``repeated_line_min_share`` of the site's documents, far above ``epsilon``) is never
        dropped once established; its count can fall short by at most ``epsilon * N``. Sites
        with fewer documents are counted exactly. Returns the number of entries dropped.
        """
        dropped = 0
        for site, counts in self.lines.items():
            n = self.docs.get(site, 0)
            if n < min_docs:
                continue
            floor = epsilon * n
            rare = [key for key, c in counts.items() if c < floor]
            for key in rare:
                del counts[key]
            dropped += len(rare)
        return dropped

    def docs_with(self, site: str, text: str) -> int:
        return self.docs_with_key(site, norm_repeat(text))

    def docs_with_key(self, site: str, key: str) -> int:
        """``docs_with`` for a line already normalised with ``norm_repeat``."""
        lines = self.lines.get(site)
        return lines.get(_memo_key_hash(key), 0) if lines else 0


def _doc_line_hashes(text: str) -> set[int]:
    lines = text.split("\n")
    if m := HEADER_RE.match(lines[0]):
        lines[0] = m.group(4) or ""
    hashes = set()
    for line in lines:
        key = _line_key(line)  # == norm_repeat(line), "" for a blank line
        if key:
            hashes.add(_memo_key_hash(key))
    return hashes


def count_lines(docs: list[RawDoc]) -> LineCounts:
    """Count, per site, the documents and the documents containing each normalised line.

    Documents marked as duplicates (``duplicate_of``) or repeating a content key already seen in
    this batch are skipped, so copies of one article cannot make its own lines look repeated.
    """
    counts = LineCounts()
    seen: set[str] = set()
    for doc in docs:
        if doc.duplicate_of is not None or doc.content_key in seen:
            continue
        seen.add(doc.content_key)
        site = _site_key(detect_site(doc.text), doc.text)
        counts.docs[site] += 1
        counts.lines.setdefault(site, Counter()).update(_doc_line_hashes(doc.text))
    return counts


def merge_line_counts(a: LineCounts, b: LineCounts) -> LineCounts:
    """A new ``LineCounts`` holding both (inputs are not modified)."""
    out = LineCounts(docs=Counter(a.docs) + Counter(b.docs))
    for site in set(a.lines) | set(b.lines):
        out.lines[site] = Counter(a.lines.get(site, Counter())) + Counter(
            b.lines.get(site, Counter())
        )
    return out


def is_repeated(
    line_counts: LineCounts | None,
    site: str,
    text: str,
    settings: Settings,
    key: str | None = None,
) -> bool:
    """Whether ``text`` is a repeated line of ``site`` (``key``: its ``norm_repeat``, if known)."""
    if line_counts is None or len(text.strip()) > REPEATED_MAX_CHARS:
        return False
    total = line_counts.docs.get(site, 0)
    if total <= 0:
        return False
    n = line_counts.docs_with_key(site, norm_repeat(text) if key is None else key)
    return (
        n >= max(settings.repeated_line_min_docs, 1)
        and n / total >= settings.repeated_line_min_share
    )


def mark_repeated(
    page: _Page, start: int, line_counts: LineCounts | None, site: str, settings: Settings
) -> None:
    """Step 3: every kept line that is a repeated line of the site -> rule ``repeated_line``."""
    lines = page.lines
    for i in range(start, len(lines)):
        if page.kept(i) and is_repeated(line_counts, site, lines[i], settings, page.keys[i]):
            page.rule[i] = "repeated_line"
