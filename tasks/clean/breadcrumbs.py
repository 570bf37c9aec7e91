"""Breadcrumb trails: numbered ("1. Home", "2. Politics") or starting with a home word."""

from __future__ import annotations

import re

from tasks.clean.profiles import Profile
from tasks.clean.state import _Page
from tasks.clean.text import _is_prose, norm_exact
from tasks.records import Article

_CRUMB_ITEM = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.{0,60})$")
_CRUMB_LONG = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.{0,250})$")
BREADCRUMB_TOP_LINES = 12  # a generic numbered trail must start within this many non-blank lines


def _crumb_text(text: str) -> bool:
    """Short label text, as breadcrumb items are ("Xəbərlər", "Oil&Gas", "Внутренняя политика")."""
    t = text.strip()
    return (
        len(t) <= 40
        and len(t.split()) <= 5
        and not re.search(r"[.!?:;,…]$", t)
        and any(ch.isalpha() for ch in t)
    )


def _breadcrumbs(page: _Page, start: int, profile: Profile, art: Article) -> None:
    """Numbered breadcrumb trails ("1. Home", "2. Azerbaijan", "3. Politics") -> rule breadcrumb.

    A run is a breadcrumb when its first item is a home word (anywhere on the page), or, in any
    language, when it is a top-of-page run: numbered 1, 2, 3, ... on consecutive lines, >= 2 short
    label items, before any prose line and within the first ``BREADCRUMB_TOP_LINES`` non-blank
    lines (after the "..." separator or at the very beginning). The last item that is not a home
    or navigation word names the category. A last item that repeats a later line (the title
    printed as the last crumb) belongs to the trail too.
    """
    lines = page.lines
    n = len(lines)
    nav = profile.section_labels - profile.category_labels
    seen_prose = False
    non_blank = 0
    i = start
    while i < n:
        line = lines[i]
        m = _CRUMB_ITEM.match(line)
        home_first = m is not None and norm_exact(m.group(2)) in profile.breadcrumb_home
        top = (
            m is not None
            and not seen_prose
            and non_blank < BREADCRUMB_TOP_LINES
            and m.group(1) == "1"
            and _crumb_text(m.group(2))
        )
        if m is None or not (home_first or top):
            if line.strip():
                non_blank += 1
                if page.kept(i) and _is_prose(line):
                    seen_prose = True
            i += 1
            continue
        items: list[int] = []
        j = i
        while j < n and (mm := _CRUMB_ITEM.match(lines[j])):
            if not home_first and (
                int(mm.group(1)) != len(items) + 1 or not _crumb_text(mm.group(2))
            ):
                break
            items.append(j)
            j += 1
        title_item = None
        mm = _CRUMB_LONG.match(lines[j]) if not home_first and j < n else None
        if mm and int(mm.group(1)) == len(items) + 1:  # the title as the last crumb?
            key = norm_exact(mm.group(2))
            if key in page.keys[j + 1 : n]:
                title_item = j
                j += 1
        if len(items) < (1 if home_first else 2):
            non_blank += 1
            i += 1
            continue
        if title_item is not None:
            page.rule[title_item] = "breadcrumb"
        category = None
        for k in items:
            page.rule[k] = "breadcrumb"
            label = _CRUMB_ITEM.match(lines[k]).group(2).strip()
            key = norm_exact(label)
            if key not in profile.breadcrumb_home and key not in nav and _crumb_text(label):
                category = label
        if art.category is None and category:
            art.category = category
        non_blank += len(items)
        i = j
