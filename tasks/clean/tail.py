"""The end of the article: end markers, related blocks and teaser headlines.

An end marker after the body ("Latest", "Tags:", "Read more" with no sentence after it) ends the
article when what follows holds a headline or a time line; headlines after an in-body
"Read more" and next to time lines after the last paragraph are teasers too.
"""

from __future__ import annotations

import re

from tasks.clean.profiles import Profile
from tasks.clean.state import _Page
from tasks.clean.text import _ENDS_SENTENCE, _SENTENCE_END, _is_prose, _is_title_like


def _starts_tail(profile: Profile, rule_name: str) -> bool:
    return rule_name in profile.tail_rules


RELATED_TEASER_MAX_CHARS = 200  # a teaser headline is a short line


def _ends_sentence(page: _Page, i: int) -> bool:
    """A kept line ending like a sentence: the article may go on there."""
    return page.kept(i) and _ENDS_SENTENCE.search(page.lines[i].strip()) is not None


def _looks_like_related_block(page: _Page, profile: Profile, frm: int, n: int) -> bool:
    """Whether what follows an end marker is a related/most-read block, not more article.

    A related block holds at least one headline-like line or time line, or no other kept line
    than short ones, up to the next end marker. A marker followed by sentences only is an
    in-article label: they stay.
    """
    sentences = 0
    for i in range(frm, n):
        r = page.rule.get(i)
        if r in ("datetime", "published_time"):
            return True
        if r is not None and (r == "tags" or _starts_tail(profile, r)):
            break
        if not page.kept(i):
            continue
        line = page.lines[i]
        if _is_title_like(line) and not _is_prose(line):
            return True
        if _is_prose(line) or _SENTENCE_END.search(line.strip() + " "):
            sentences += 1
    return sentences == 0


def _read_more_teasers(page: _Page, frm: int, to: int) -> None:
    """Headlines right after a "Read more" / "Читайте также" link inside the body (at most 5)."""
    lines = page.lines
    for i in range(frm, to):
        if page.rule.get(i) != "read_more":
            continue
        taken = 0
        k = i + 1
        while k < to and taken < 5:
            if not lines[k].strip() or page.rule.get(k) == "datetime":
                k += 1
                continue
            if not page.kept(k) or not _is_title_like(lines[k]) or _is_prose(lines[k]):
                break
            page.rule[k] = "related_teaser"
            taken += 1
            k += 1


def _teasers(page: _Page, start: int, n: int) -> None:
    """After the last prose paragraph: short lines next to a standalone time line are teasers."""
    lines = page.lines
    last_prose = None
    for i in range(start, n):
        if page.kept(i) and _is_prose(lines[i]):
            last_prose = i
    if last_prose is None:
        return

    def neighbour(i: int, step: int) -> int | None:
        k = i + step
        while start <= k < n and not lines[k].strip():
            k += step
        return k if start <= k < n else None

    for i in range(last_prose + 1, n):
        t = lines[i].strip()
        if not page.kept(i) or len(t) > RELATED_TEASER_MAX_CHARS or re.search(r"[.!…]$", t):
            continue  # a headline has no full stop; a short closing sentence stays
        for step in (-1, 1):
            k = neighbour(i, step)
            if k is not None and page.rule.get(k) == "datetime":
                page.rule[i] = "related_teaser"
                break


FOLLOW_RULES = frozenset({"follow_footer"})  # "Follow all news": ends the article, like "Latest"
DATED_LIST_MIN = 2  # dated lines after the body that make a list of other stories
DATED_LIST_PARAGRAPHS = 3  # ... or one, after at least this many paragraphs of the article


def _dated_list(page: _Page, body_start: int, to: int) -> int | None:
    """Where a list of other stories, each under its own date line, follows the article.

    Timestamps (rule ``datetime`` with a calendar date and a time of day) after the body's first
    paragraph, each followed by kept text: two of them, or one after at least
    ``DATED_LIST_PARAGRAPHS`` paragraphs, start a list of other stories' dates and teasers (a
    page's own date stands above its article, or at its very end with nothing after it).
    Returns the index of the first such line.
    """
    dated: list[int] = []
    for i in range(body_start + 1, to):
        line = page.lines[i]
        if page.rule.get(i) != "datetime" or not (
            _DATE_IN_LINE.search(line) and _TIME_IN_LINE.search(line)
        ):
            continue
        if any(page.kept(k) for k in range(i + 1, to)):
            dated.append(i)
    if not dated:
        return None
    paragraphs = sum(1 for k in range(body_start, dated[0]) if page.kept(k))
    if len(dated) >= DATED_LIST_MIN or paragraphs >= DATED_LIST_PARAGRAPHS:
        return dated[0]
    return None


_TIME_IN_LINE = re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?![\d:])")
# a calendar date: 12.05.2024, 2024-05-12, or a day next to a word (12 May, May 12, 12 мая)
_DATE_IN_LINE = re.compile(
    r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}\s+[^\W\d_]{3,}|[^\W\d_]{3,}\.?\s+\d{1,2}\b"
)


def mark_tail(page: _Page, start: int, body_start: int | None, profile: Profile) -> int | None:
    """Step 7: a marker after the body ends the article; teasers. Returns the marker's index."""
    lines = page.lines
    n = len(lines)
    tail_from = None
    if body_start is not None:
        for i in range(body_start + 1, n):
            r = page.rule.get(i)
            is_marker = r is not None and (
                r == "tags"
                or r in FOLLOW_RULES
                or _starts_tail(profile, r)
                or (r == "read_more" and not any(_ends_sentence(page, k) for k in range(i + 1, n)))
            )
            if is_marker and _looks_like_related_block(page, profile, i + 1, n):
                tail_from = i
                break
        dated = _dated_list(page, body_start, tail_from if tail_from is not None else n)
        if dated is not None:
            tail_from = dated
    if tail_from is not None:
        for i in range(tail_from + 1, n):
            if page.kept(i):
                page.rule[i] = "related_block" if _is_prose(lines[i]) else "related_teaser"
    if body_start is not None:
        _read_more_teasers(page, body_start + 1, tail_from if tail_from is not None else n)
    _teasers(page, start, n)
    return tail_from
