"""Clean: header line, site profiles, repeated-line detection, metadata -> ``Article``.

Pure functions, no Prefect (the batch tasks are in ``tasks/batch.py``). The stage is
``run_clean`` (a batch) / ``clean_document`` (one page); ``count_lines`` is pass 1's share.

A page's way through the package (``page._clean`` calls the steps in this order; every step
reads and marks one ``state._Page``: a line is removed when a rule is named for it):

1. ``header.read_header``: the scraper's first line `` date YYYY-MM-DD <text>`` gives the header
   date and a text whose role (banner, title, lead, byline, noise, none) is decided in step 8.
2. ``profiles.detect_site`` recognises the site from the text (``tasks/sites/*.toml``: domains,
   X/Twitter handles, attribution phrases, agency datelines, photo credits, follow lines; the
   literal pre-checks that keep it fast are in ``prefilter.py``). ``page.mark_lines`` runs its
   line rules before the generic ones (``tasks/sites/_generic.toml``; matching in
   ``rules.RuleMatcher``), taking the page's own time line, tags and author on the way. Every
   removed line is kept in ``Article.removed`` with the rule that removed it; nothing else
   leaves the page (lossless, whole lines only). Standalone date/time lines are recognised by
   the ``datetime_line`` builtin (``rules.DatetimeLine``): any order of dates, times, UTC
   offsets, weekdays and labels ("Published:", "Опубликовано:").
   ``breadcrumbs._breadcrumbs``: a home/navigation word alone or starting a one-line trail, and
   numbered trails ("1. Xəbərlər", "2. İqtisadiyyat") in any language when they open the page
   (numbered 1, 2, ..., >= 2 short items, before any prose). The last crumb names the category.
3. ``repeated.mark_repeated``: cc_net-style repeated lines: a line seen in
   >= ``repeated_line_min_docs`` documents of the site and in >= ``repeated_line_min_share`` of
   them is boilerplate (rule ``repeated_line``; the counts are ``repeated.LineCounts``, made by
   ``count_lines`` in pass 1). Pages of no profile are counted under the domain they name most
   often (``profiles.site_domain``), so an unknown site's pages are counted together.
4. ``metadata.find_body_start``: datelines ("BAKU, Azerbaijan, April 22.", "Баку, 2 мая,
   АЗЕРТАДЖ") are extracted as metadata; a dateline alone on a line is removed (rule
   ``dateline``), one that starts a paragraph stays in it and starts the body, as does the first
   prose line. ``metadata.read_head_zone``: the head zone (before the first body paragraph)
   yields the category (a section label there, unless it is part of a >= 3-line menu) and the
   date lines above the article.
5. ``metadata.mark_title``: the title, its later copies (``duplicate_title``), and the headlines
   of a "Latest" sidebar above it (``related_teaser``).
6. ``metadata.mark_author_lines``: author lines in the head zone (profiles that print the name
   alone).
7. ``tail.mark_tail``: an end marker after the body ("Latest", "Digər xəbərlər", "Последние
   новости", "Tags:", or "Read more" with no sentence after it) ends the article when what follows
   it holds a headline or a time line: headlines become ``related_teaser``, teaser sentences
   ``related_block``. A marker followed by sentences only is an in-article label and they stay.
   Headlines right after an in-body "Read more" and next to time lines after the last paragraph
   are ``related_teaser`` too, and so is a list of other stories under their own timestamps
   (date + time lines after the body). ``generic.mark_generic`` (7b): the jusText-style decision
   for the lines no rule knows (stop words of az/ru/en/tr, context smoothing, errs towards
   keeping: ``generic_context``, ``generic_label``, ``generic_list``), headlines in another
   language and lower-case tag lines after the last paragraph (``generic_foreign``,
   ``generic_tags``); a column of lone small numbers is a table and is kept.
   ``dates.own_time``: the page's own time line is the first one above the related block.
8. ``header._header_role``: what the header text is, now that the page is understood. A lead is
   never dropped: a sentence, or a text wrapped onto the next line, is the lead; a banner needs
   evidence (repeated on the site's pages, another language class than the body, a line rule
   or the site's name, or a heading that is not this page's title).
9. ``dates.decide_dates``: the page's own time line (site profile), else a date + time line above
   the article (the one agreeing with the header date if there are several; "Updated:" lines
   never), else the header date, else a date-only line above the article. ``published_date`` is
   the local date as stated; ``published_at`` only when the page states the UTC offset: never
   guessed (``dates.parse_when`` reads a date text).
10. ``page.assemble``: the kept lines, in order, are the body, one paragraph per line, separated
    by a blank line.

Shared by all: ``text.py`` (the normal forms of a line, hashes, memos, the shape of a line).
Errs on the side of keeping content: a removed content line is worse than a kept boilerplate line.
"""

from __future__ import annotations

from tasks.clean.dates import When, month_number, parse_when
from tasks.clean.header import _header_role, read_header
from tasks.clean.page import CleanOutcome, _clean, clean_document, run_clean
from tasks.clean.prefilter import (
    SiteSignal,
    _anchored,
    _literal_requirements,
    _meets,
    _pattern_requirements,
    _scans_line,
    _special_case,
)
from tasks.clean.profiles import (
    GENERIC_PROFILE,
    SITES_DIR,
    UNKNOWN_SITE,
    Profile,
    Profiles,
    _site_key,
    detect_site,
    load_profiles,
    site_index,
)
from tasks.clean.repeated import (
    PRUNE_MIN_DOCS,
    REPEATED_MAX_CHARS,
    LineCounts,
    _doc_line_hashes,
    count_lines,
    is_repeated,
    merge_line_counts,
)
from tasks.clean.rules import _ONE_BY_ONE, DatetimeLine, LineRule, RuleMatcher, _has_digit
from tasks.clean.state import _Page
from tasks.clean.text import (
    HEADER_RE,
    MEMO_MAX_CHARS,
    MEMO_MAX_ENTRIES,
    _is_prose,
    _is_title_like,
    _key_hash,
    _lang_hint,
    _line_key,
    _memo_key_hash,
    line_hash,
    norm,
    norm_exact,
    norm_repeat,
)

__all__ = [
    "GENERIC_PROFILE",
    "HEADER_RE",
    "MEMO_MAX_CHARS",
    "MEMO_MAX_ENTRIES",
    "PRUNE_MIN_DOCS",
    "REPEATED_MAX_CHARS",
    "SITES_DIR",
    "UNKNOWN_SITE",
    "CleanOutcome",
    "DatetimeLine",
    "LineCounts",
    "LineRule",
    "Profile",
    "Profiles",
    "RuleMatcher",
    "SiteSignal",
    "When",
    "clean_document",
    "count_lines",
    "detect_site",
    "is_repeated",
    "line_hash",
    "load_profiles",
    "merge_line_counts",
    "month_number",
    "norm",
    "norm_exact",
    "norm_repeat",
    "parse_when",
    "read_header",
    "run_clean",
    "site_index",
    # internals that tests and tasks/pipeline.py use
    "_ONE_BY_ONE",
    "_Page",
    "_anchored",
    "_clean",
    "_doc_line_hashes",
    "_has_digit",
    "_header_role",
    "_is_prose",
    "_is_title_like",
    "_key_hash",
    "_lang_hint",
    "_line_key",
    "_literal_requirements",
    "_meets",
    "_memo_key_hash",
    "_pattern_requirements",
    "_scans_line",
    "_site_key",
    "_special_case",
]
