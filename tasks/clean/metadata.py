"""Metadata from the page's head: body start and datelines, category, title, author lines.

The head zone is what comes before the first body paragraph (a prose line or one opening with a
dateline). Steps 4-6 of ``page._clean``.
"""

from __future__ import annotations

import re

from tasks.clean.dates import _UPDATED, When, parse_when
from tasks.clean.profiles import Profile
from tasks.clean.state import _Page
from tasks.clean.tail import RELATED_TEASER_MAX_CHARS, _starts_tail
from tasks.clean.text import _is_prose, _is_title_like, norm_exact
from tasks.records import Article


def _search_group(patterns, text: str, group: str) -> re.Match[str] | None:
    for p in patterns:
        m = p.search(text)
        if m and group in m.re.groupindex:
            return m
    return None


def _split_tags(text: str) -> list[str]:
    parts = re.split(r"\s*[,;|#]\s*|\s{2,}", text.strip())
    return [p.strip(" .#") for p in parts if p.strip(" .#")]


def _menu_lines(page: _Page, start: int, end: int, profile: Profile) -> set[int]:
    """Section labels in runs of >= 3 consecutive lines: a site menu, not the rubric."""
    menu: set[int] = set()
    run: list[int] = []
    for i in range(start, end + 1):
        if (
            i < end
            and page.rule.get(i) == "section_label"
            and page.keys[i] in profile.category_labels
        ):
            run.append(i)
            continue
        if len(run) >= 3:
            menu.update(run)
        run = []
    return menu


def _find_title(
    page: _Page, start: int, head_end: int, body_start: int | None, header_norm: str
) -> int | None:
    lines = page.lines
    head = [i for i in range(start, head_end) if page.kept(i) and _is_title_like(lines[i])]
    if not head:
        return None
    # (a) the header text repeats a head line; (b) a head line printed twice (title + duplicate)
    for i in head:
        if header_norm and page.keys[i] == header_norm:
            return i
    seen: dict[str, int] = {}
    for i in head:
        key = page.keys[i]
        if key in seen:
            return seen[key]
        seen[key] = i
    # (c) next to the published-time line or a date/time line
    for i in head:
        for j in (i - 1, i + 1):
            k = j
            while start <= k < len(lines) and not lines[k].strip():
                k += -1 if j < i else 1
            if start <= k < len(lines) and page.rule.get(k) in ("published_time", "datetime"):
                return i
    # (d) the first title-like line before a body that starts with a paragraph
    if body_start is not None:
        return head[0]
    return None


def find_body_start(page: _Page, start: int, profile: Profile, art: Article) -> int | None:
    """Step 4: the first body paragraph (a prose line, or one opening with a dateline).

    Datelines above it are extracted; one alone on its line is removed (rule ``dateline``).
    """
    lines = page.lines
    for i in range(start, len(lines)):
        if not page.kept(i):
            continue
        m = _search_group(profile.datelines, lines[i].strip(), "dateline")
        if m is not None:
            if art.dateline is None:
                art.dateline = m.group("dateline").strip()
            rest = lines[i].strip()[m.end() :].strip(" \t:.,-–—")
            if not rest:
                page.rule[i] = "dateline"
                continue
            return i
        if _is_prose(lines[i]):
            return i
    return None


def read_head_zone(
    page: _Page, start: int, head_end: int, profile: Profile, art: Article
) -> tuple[When | None, list[When]]:
    """The category (a rubric label above the article, not part of a menu) and the date lines.

    Returns the first standalone date line above the article and those of them that also state
    the time of day ("Updated:" lines never).
    """
    lines = page.lines
    head_when: When | None = None  # the first standalone date line above the article
    head_timed: list[When] = []  # those that also state the time of day
    menu = _menu_lines(page, start, head_end, profile)
    for i in range(start, head_end):
        r = page.rule.get(i)
        if r == "section_label" and art.category is None:
            if page.keys[i] in profile.category_labels and i not in menu:
                art.category = lines[i].strip()  # a rubric label in the header area
        elif r == "datetime" and (w := parse_when(lines[i])) is not None:
            head_when = head_when or w
            if w.hour is not None and not _UPDATED.search(lines[i]):
                head_timed.append(w)
    return head_when, head_timed


def mark_title(
    page: _Page,
    start: int,
    head_end: int,
    body_start: int | None,
    header_text: str | None,
    profile: Profile,
    art: Article,
) -> None:
    """Step 5: the title line, its later copies, and the teasers of a sidebar above it."""
    lines = page.lines
    n = len(lines)
    header_norm = norm_exact(header_text) if header_text else ""
    title_i = _find_title(page, start, head_end, body_start, header_norm)
    if title_i is None:
        return
    art.title = lines[title_i].strip()
    page.rule[title_i] = "title"
    tnorm = norm_exact(art.title)
    for i in range(start, n):
        if page.kept(i) and page.keys[i] == tnorm:
            page.rule[i] = "duplicate_title"
    # a "Latest news" sidebar above the title: its headlines are teasers
    for i in range(start, title_i):
        if _starts_tail(profile, page.rule.get(i, "")):
            for k in range(i + 1, title_i):
                t = lines[k].strip()
                if page.kept(k) and len(t) <= RELATED_TEASER_MAX_CHARS and not _is_prose(t):
                    page.rule[k] = "related_teaser"
            break


def mark_author_lines(
    page: _Page, start: int, head_end: int, body_start: int | None, profile: Profile, art: Article
) -> None:
    """Step 6: author lines in the head zone (profiles whose ``author_line`` is the name alone)."""
    if profile.author_line is None or body_start is None:
        return
    lines = page.lines
    for i in range(start, head_end):
        s = lines[i].strip()
        if (
            page.kept(i)
            and len(s) <= 40
            and profile.author_line.match(s)
            and norm_exact(s) not in profile.section_labels
        ):
            page.rule[i] = "author"
            if art.author is None:
                art.author = s


def header_dateline(art: Article, role: str, header_text: str | None, profile: Profile) -> None:
    """A lead paragraph in the header line may carry the dateline the page has nowhere else."""
    if art.dateline is None and role == "lead" and header_text:
        m = _search_group(profile.datelines, header_text, "dateline")
        if m is not None:
            art.dateline = m.group("dateline").strip()
