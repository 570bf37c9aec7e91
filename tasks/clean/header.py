"""The scraper's header line `` date YYYY-MM-DD <text>``: its date, its text and the text's role.

``read_header`` parses the line (step 1 of ``page._clean``); ``_header_role`` decides, once the
rest of the page is understood, whether the text is a banner, the title, a lead paragraph, a
byline or noise (step 8), and marks line 0 removed unless it is a new lead paragraph.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from tasks.clean.metadata import _search_group
from tasks.clean.profiles import Profile
from tasks.clean.repeated import LineCounts, is_repeated
from tasks.clean.state import _Page
from tasks.clean.text import (
    _SENTENCE_END,
    HEADER_RE,
    _is_prose,
    _is_title_like,
    _lang_hint,
    _line_key,
    norm_exact,
)
from tasks.config import Settings
from tasks.records import Article


@dataclass(frozen=True, slots=True)
class Header:
    start: int  # index of the first page line after the header (1 with a header line, else 0)
    day: date | None  # the header's date (None: no header, or an impossible date)
    text: str | None  # the header's text, stripped ("" when the line has none)


def read_header(lines: list[str], counts: Counter[str]) -> Header:
    """Step 1: the scraper's header line, if the page opens with one (a bad date is counted)."""
    start = 0
    header_date: date | None = None
    header_text: str | None = None
    hm = HEADER_RE.match(lines[0]) if lines else None
    if hm:
        start = 1
        header_text = (hm.group(4) or "").strip()
        try:
            header_date = date(int(hm.group(1)), int(hm.group(2)), int(hm.group(3)))
        except ValueError:
            counts["header:bad_date"] += 1
    return Header(start, header_date, header_text)


def _header_role(
    page: _Page,
    art: Article,
    profile: Profile,
    site: str,
    text: str | None,
    line_counts: LineCounts | None,
    settings: Settings,
    start: int,
) -> str:
    """Decide what the header text is; mark line 0 removed unless it is a new lead paragraph."""
    if start == 0 or not text:
        if start == 1:
            page.rule[0] = "header_empty"
        return "none"
    lines = page.lines
    key = norm_exact(text)
    if any(p.search(text) for p in profile.header_noise):
        page.rule[0] = "header_noise"
        return "noise"
    m = _search_group(profile.header_byline, text, "author")
    if m is not None:
        page.rule[0] = "header_byline"
        if art.author is None:
            art.author = m.group("author").strip()
        return "byline"
    rule = profile.matcher.first(text, _line_key(text))
    if rule is not None:  # a line rule knows it: a ticker, a widget, a label, a cookie notice
        page.rule[0] = f"header_{rule.name}"
        return "noise"
    if art.title is not None and norm_exact(art.title) == key:
        page.rule[0] = "header_title"
        return "title"
    # the same text later on the page (or a truncated copy of a later paragraph)
    for i in range(start, len(lines)):
        if not page.kept(i):
            continue
        other = page.keys[i]
        if other == key or (len(key) >= 40 and other.startswith(key.rstrip("…. "))):
            page.rule[0] = "header_duplicate"
            return "lead"
    if _search_group(profile.datelines, text, "dateline") is not None:
        return "lead"
    if is_repeated(line_counts, site, text, settings):
        page.rule[0] = "header_banner"
        return "banner"
    h_lang = _lang_hint(text)
    if h_lang:  # the body's class only matters when the header has one
        body_text = " ".join(lines[i] for i in range(start, len(lines)) if page.kept(i))
        b_lang = _lang_hint(body_text)
        if b_lang and h_lang != b_lang:
            page.rule[0] = "header_banner"
            return "banner"
    if _is_prose(text) or _continues(text, page, start):
        return "lead"  # a sentence in the body's language, or the first part of a wrapped one
    if any(p.search(text) for p in profile.strong):
        page.rule[0] = "header_banner"  # names the site or agency
        return "banner"
    if art.title is None and _is_title_like(text):
        art.title = text
        page.rule[0] = "header_title"
        return "title"
    if art.title is not None or len(text.split()) <= LABEL_MAX_WORDS:
        # not a sentence, and the page has its own title (or it is a word or two): a heading of
        # something else, a slogan, a rubric
        page.rule[0] = "header_banner"
        return "banner"
    return "lead"  # no evidence that it is not article text: kept


LABEL_MAX_WORDS = 3  # a header text of at most this many words and no sentence carries no lead


def _continues(text: str, page: _Page, start: int) -> bool:
    """Whether the header text is the first part of a paragraph wrapped onto the next line.

    The text does not end a sentence and the first kept line after it starts in lower case (or
    with a comma, a dash or a closing quote): the line goes on with the same sentence.
    """
    if _SENTENCE_END.search(text.rstrip() + " "):
        return False
    for i in range(start, len(page.lines)):
        if page.filled[i]:
            nxt = page.lines[i].lstrip()
            return bool(nxt) and (nxt[0].islower() or nxt[0] in ",;:)»”’–—-")
    return False
