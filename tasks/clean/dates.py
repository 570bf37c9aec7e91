"""Dates: parsing a date/time/UTC-offset text, and deciding the page's publication time.

``parse_when`` reads the first date in a text with the time and offset after it. ``own_time``
and ``decide_dates`` choose among the page's time lines, the date lines above the article and
the scraper's header date (step 6 of the map in ``tasks/clean/__init__.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

from tasks.clean.profiles import load_profiles
from tasks.records import Article


@dataclass(frozen=True, slots=True)
class When:
    day: date
    hour: int | None = None
    minute: int | None = None
    second: int = 0
    offset_minutes: int | None = None


_OFFSET_RE = re.compile(r"(?i)(?:UTC|GMT)\s*([+\-−–])\s*(\d{1,2})(?::?(\d{2}))?")
_TIME_RE = re.compile(r"(?<![\d:.])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?(?![\d:])")


@lru_cache(maxsize=1)
def _date_res() -> tuple[re.Pattern[str], ...]:
    alt = load_profiles().month_alt
    return (
        re.compile(rf"(?i)(?<!\d)(\d{{1,2}})\s*[.,]?\s+({alt})\.?,?\s+(\d{{4}})"),  # 22 April 2025
        re.compile(rf"(?i)(?<![^\W\d_])({alt})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})"),  # April 22, 2025
        re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d.])"),  # 28.06.2013
        re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])"),  # 11/24/2023 (US)
        re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"),  # 2025-04-22
    )


def month_number(word: str) -> int | None:
    return load_profiles().months.get(word.casefold().replace("\u0307", "").rstrip("."))


def parse_when(text: str) -> When | None:
    """The first date in ``text`` with the time and UTC offset that follow it; None if none/invalid."""
    for kind, rx in enumerate(_date_res()):
        m = rx.search(text)
        if not m:
            continue
        g = m.groups()
        try:
            if kind == 0:
                y, mo, d = int(g[2]), month_number(g[1]), int(g[0])
            elif kind == 1:
                y, mo, d = int(g[2]), month_number(g[0]), int(g[1])
            elif kind == 2:
                y, mo, d = int(g[2]), int(g[1]), int(g[0])
                y = y + 2000 if y < 100 else y
            elif kind == 3:
                y, mo, d = int(g[2]), int(g[0]), int(g[1])
            else:
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            if mo is None:
                continue
            day = date(y, mo, d)
        except ValueError:
            continue
        rest = text[m.end() :]
        tm = _TIME_RE.search(rest)
        if tm is None and m.start() <= 25:  # "12:30, 13 yanvar 2026", "10:15 12.06.2025"
            tm = _TIME_RE.search(text[: m.start()])
        hour = minute = None
        second = 0
        if tm:
            hour, minute = int(tm.group(1)), int(tm.group(2))
            second = int(tm.group(3) or 0)
            ampm = (tm.group(4) or "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            if hour > 23 or minute > 59 or second > 59:
                hour = minute = None
                second = 0
        offset = None
        om = _OFFSET_RE.search(rest)
        if om:
            sign = -1 if om.group(1) in "-−–" else 1
            offset = sign * (int(om.group(2)) * 60 + int(om.group(3) or 0))
            if abs(offset) > 14 * 60:
                offset = None
        return When(day, hour, minute, second, offset)
    return None


_UPDATED = re.compile(r"(?i)updated|обновлено|yenilənib|yeniləndi|изменено")


def own_time(
    time_lines: list[tuple[int, When, str | None]], tail_from: int | None, art: Article
) -> When | None:
    """The article's own time line: the first one above the related block (its rubric, if the
    time pattern names one, becomes the category: it beats breadcrumbs and labels)."""
    when: When | None = None
    for i, w, cat in time_lines:
        if tail_from is None or i < tail_from:
            when = w
            if cat:
                art.category = cat  # the page's own rubric beats breadcrumbs and labels
            break
    return when


def decide_dates(
    art: Article,
    when: When | None,
    head_timed: list[When],
    head_when: When | None,
    header_date: date | None,
    counts: Counter[str],
) -> None:
    """Step 9: ``published_date`` / ``published_at`` / ``published_utc_offset_minutes``.

    The page's own time line, else a date + time line above the article ("15 September 2025
    11:40", "02.05.2025 09:30"), else the scraper's header date, else a date-only line above the
    article (may be the site's "today" chrome, so it never beats the header). published_at only
    when the line states the UTC offset: never guessed. Several such lines above the article (a
    sidebar of teasers): the one agreeing with the header date, else the first.
    """
    if when is None and head_timed:
        agree = [w for w in head_timed if w.day == header_date]
        when = agree[0] if agree else head_timed[0]
    if when is not None:
        art.published_date = when.day
        if when.offset_minutes is not None and when.hour is not None:
            tz = timezone(timedelta(minutes=when.offset_minutes))
            local = datetime.combine(when.day, datetime.min.time()).replace(
                hour=when.hour, minute=when.minute or 0, second=when.second, tzinfo=tz
            )
            art.published_at = local.astimezone(UTC)
            art.published_utc_offset_minutes = when.offset_minutes
        if header_date is not None and header_date != when.day:
            counts["header:date_mismatch"] += 1
    elif header_date is not None:
        art.published_date = header_date
    elif head_when is not None and not counts["header:bad_date"]:
        art.published_date = head_when.day  # a standalone date line above the article
