"""The order of a page's way through the cleaner (``_clean``), and the batch stage ``run_clean``.

Each step is a call into the module that owns the decision; the map is in
``tasks/clean/__init__.py``.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from tasks.clean.breadcrumbs import _breadcrumbs
from tasks.clean.dates import When, decide_dates, own_time, parse_when
from tasks.clean.generic import mark_generic
from tasks.clean.header import Header, _header_role, read_header
from tasks.clean.metadata import (
    _search_group,
    _split_tags,
    find_body_start,
    header_dateline,
    mark_author_lines,
    mark_title,
    read_head_zone,
)
from tasks.clean.profiles import UNKNOWN_SITE, Profile, _site_key, detect_site, load_profiles
from tasks.clean.repeated import LineCounts, count_lines, mark_repeated
from tasks.clean.state import _Page
from tasks.clean.tail import mark_tail
from tasks.config import Settings
from tasks.records import (
    KEY_CHARS,
    Article,
    Quarantined,
    RawDoc,
    RemovedLine,
    StageResult,
    StageStats,
)


@dataclass(slots=True)
class CleanOutcome:
    article: Article
    counts: Counter[str]
    non_blank_lines: int


def clean_document(doc: RawDoc, line_counts: LineCounts | None, settings: Settings) -> Article:
    """Clean one raw page into an ``Article`` (body may be empty: ``run_clean`` quarantines it)."""
    return _clean(doc, line_counts, settings).article


def _clean(
    doc: RawDoc, line_counts: LineCounts | None, settings: Settings, site_hint: int | None = None
) -> CleanOutcome:
    profile = _profile_of(doc, site_hint)
    site = _site_key(profile, doc.text)
    counts: Counter[str] = Counter()
    art = _new_article(doc, profile)
    page = _Page(doc.text.split("\n"))
    n = len(page.lines)

    header = read_header(page.lines, counts)  # 1. the scraper's header line
    start = header.start
    art.header_text = header.text
    time_lines = mark_lines(page, start, profile, art)  # 2. line rules, with metadata
    _breadcrumbs(page, start, profile, art)
    mark_repeated(page, start, line_counts, site, settings)  # 3. cc_net repeated lines
    body_start = find_body_start(page, start, profile, art)  # 4. datelines, start of the body
    head_end = body_start if body_start is not None else n
    head_when, head_timed = read_head_zone(page, start, head_end, profile, art)
    mark_title(page, start, head_end, body_start, header.text, profile, art)  # 5. title
    mark_author_lines(page, start, head_end, body_start, profile, art)  # 6. author lines
    tail_from = mark_tail(page, start, body_start, profile)  # 7. the tail
    mark_generic(page, start, tail_from)  # 7b. the generic decision for lines no rule knows
    when = own_time(time_lines, tail_from, art)

    # 8. header role
    role = _header_role(page, art, profile, site, header.text, line_counts, settings, start)
    art.header_role = role
    counts[f"header_role:{role}"] += 1

    decide_dates(art, when, head_timed, head_when, header.day, counts)  # 9. dates
    header_dateline(art, role, header.text, profile)
    non_blank = assemble(page, art, header, role)  # 10. body and removed lines
    return CleanOutcome(art, counts, non_blank)


def _profile_of(doc: RawDoc, site_hint: int | None) -> Profile:
    """The page's site profile: recognised from its text, or the scan pass' ``site_index``."""
    profiles = load_profiles()
    if site_hint is None:
        return detect_site(doc.text, profiles)
    return profiles.generic if site_hint < 0 else profiles.sites[site_hint]


def _new_article(doc: RawDoc, profile: Profile) -> Article:
    return Article(
        article_id=doc.content_key[:KEY_CHARS],
        source_path=doc.source_path,
        source_sha256=doc.source_sha256,
        encoding=doc.encoding,
        site=profile.name,
        source_size_bytes=doc.size_bytes,
        source_mtime_ns=doc.mtime_ns,
    )


def mark_lines(
    page: _Page, start: int, profile: Profile, art: Article
) -> list[tuple[int, When, str | None]]:
    """Step 2: the profile's line rules, with metadata taken on the way.

    Per line, in this order: the page's own time line (``published_time``; returned with its
    rubric), the lines after a "Tags:" alone, a tags line, the first line rule that removes the
    line (``RuleMatcher.first``), an author line.
    """
    lines = page.lines
    time_lines: list[tuple[int, When, str | None]] = []
    in_tags = False
    for i in range(start, len(lines)):
        line = lines[i]
        if not line.strip():
            in_tags = False
            continue
        if (m := _search_group(profile.time, line, "when")) is not None:
            w = parse_when(m.group("when"))
            if w is not None:
                page.rule[i] = "published_time"
                cat = (m.groupdict().get("category") or "").strip()
                time_lines.append((i, w, cat or None))
                continue
        if in_tags and len(line.strip()) <= 60:
            tail_rule = next((r for r in profile.rules if r.starts_tail and r.matches(line)), None)
            if tail_rule is None:
                page.rule[i] = "tags"
                art.tags.extend(_split_tags(line))
                continue
        if (m := _search_group(profile.tags, line, "tags")) is not None:
            page.rule[i] = "tags"
            art.tags.extend(_split_tags(m.group("tags")))
            in_tags = not m.group("tags").strip()
            continue
        rule = profile.matcher.first(line, page.keys[i])  # == the first rule r with r.matches(line)
        if rule is not None:
            page.rule[i] = rule.name
            in_tags = False
            continue
        in_tags = False
        if (m := _search_group(profile.author, line, "author")) is not None:
            page.rule[i] = "author"
            if art.author is None:
                art.author = m.group("author").strip()
    return time_lines


def assemble(page: _Page, art: Article, header: Header, role: str) -> int:
    """Step 10: the kept lines are the body, the others ``removed``; returns the non-blank lines."""
    lines = page.lines
    start, header_text = header.start, header.text
    paragraphs: list[str] = []
    if role == "lead" and start == 1 and 0 not in page.rule and header_text:
        paragraphs.append(header_text)
    removed: list[RemovedLine] = []
    if start == 1 and 0 in page.rule:
        removed.append(RemovedLine(1, lines[0], page.rule[0]))  # the raw header line
    non_blank = 0
    for i in range(start, len(lines)):
        if not lines[i].strip():
            continue
        non_blank += 1
        if i in page.rule:
            removed.append(RemovedLine(i + 1, lines[i], page.rule[i]))
        else:
            paragraphs.append(lines[i].strip())
    if start == 1 and header_text:
        non_blank += 1
    art.removed = removed
    art.body = "\n\n".join(paragraphs)
    art.word_count = len(art.body.split())
    art.tags = list(dict.fromkeys(art.tags))
    return non_blank


def run_clean(
    docs: list[RawDoc],
    line_counts: LineCounts | None,
    settings: Settings,
    site_hints: dict[str, int] | None = None,
) -> StageResult[Article]:
    """Clean a batch. Without ``line_counts`` the batch itself is counted for repeated lines.

    ``site_hints`` maps the first 16 hex digits of a document's ``source_sha256`` to the
    ``site_index`` its text was recognised as earlier in the run (the scan pass): the same
    bytes, so the same site, without running ``detect_site`` again (~0.2 ms per page).

    A page whose body is empty after cleaning is quarantined (error_class ``no_content``) with the
    rules that removed its lines; its removed lines are counted in the stats all the same.
    """
    started = time.perf_counter()
    stats = StageStats(stage="clean", records_in=len(docs))
    if line_counts is None:
        line_counts = count_lines(docs)
    items: list[Article] = []
    quarantined: list[Quarantined] = []
    for doc in docs:
        hint = site_hints.get(doc.source_sha256[:16]) if site_hints else None
        out = _clean(doc, line_counts, settings, hint)
        art = out.article
        stats.counts.update(out.counts)
        stats.counts["lines:in"] += out.non_blank_lines
        stats.counts["lines:removed"] += len(art.removed)
        for r in art.removed:
            stats.counts[f"removed:{r.rule}"] += 1
        stats.counts[f"site:{art.site or UNKNOWN_SITE}"] += 1
        if art.body.strip():
            items.append(art)
            continue
        quarantined.append(_no_content(doc, art))
        stats.counts["quarantined:no_content"] += 1
    stats.records_out = len(items)
    stats.seconds = time.perf_counter() - started
    return StageResult(items, stats, quarantined)


def _no_content(doc: RawDoc, art: Article) -> Quarantined:
    """The quarantine row of a page whose body is empty, naming the rules that removed it."""
    by_rule = Counter(r.rule for r in art.removed)
    if by_rule:
        what = ", ".join(f"{rule} ({k})" for rule, k in by_rule.most_common())
        reason = f"{doc.source_path}: no content left after cleaning: all {len(art.removed)} lines removed by {what}"
    else:
        reason = f"{doc.source_path}: no content: the page has no non-blank line"
    return Quarantined(
        source_path=doc.source_path,
        stage="clean",
        error_class="no_content",
        reason=reason,
        size_bytes=doc.size_bytes,
        source_sha256=doc.source_sha256,
    )
