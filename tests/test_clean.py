"""Tests of the clean stage: seeds, header line, repeated lines, dates, profiles, losslessness."""

from __future__ import annotations

import hashlib
import pickle
import shutil
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks.clean import (
    HEADER_RE,
    SITES_DIR,
    LineCounts,
    clean_document,
    count_lines,
    detect_site,
    load_profiles,
    merge_line_counts,
    parse_when,
    run_clean,
)
from tasks.config import Settings
from tasks.records import Article, RawDoc

from .conftest import SEED_000, SEED_001

SETTINGS = Settings()


def make_doc(text: str, path: str = "doc.txt", duplicate_of: str | None = None) -> RawDoc:
    raw = text.encode("utf-8")
    return RawDoc(
        source_path=path,
        text=text,
        encoding="utf-8",
        source_sha256=hashlib.sha256(raw).hexdigest(),
        content_key=hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest(),
        size_bytes=len(raw),
        duplicate_of=duplicate_of,
    )


def seed(path) -> RawDoc:
    return make_doc(path.read_text(encoding="utf-8"), path.name)


def body_lines(art: Article) -> list[str]:
    return [x for x in art.body.split("\n") if x.strip()]


def assert_lossless(text: str, art: Article) -> None:
    """Non-blank body lines + removed lines == non-blank input lines, in order (header: its text)."""
    lines = text.split("\n")
    header = HEADER_RE.match(lines[0]) if lines else None
    removed = {r.line_no: r for r in art.removed}
    assert len(removed) == len(art.removed), "a line removed twice"
    expected_body: list[str] = []
    for no, line in enumerate(lines, start=1):
        if no in removed:
            assert removed[no].text == line, f"removed line {no} altered"
            assert removed[no].rule
            continue
        if no == 1 and header:
            if (header.group(4) or "").strip():
                expected_body.append(header.group(4).strip())  # a lead kept as paragraph 1
            continue
        if line.strip():
            expected_body.append(line.strip())
    assert body_lines(art) == expected_body
    for no in removed:
        assert 1 <= no <= len(lines)
        assert lines[no - 1].strip() or (no == 1 and header), "a blank line was recorded"


# --- the seeds (issues #2 and #3) -----------------------------------------------------------


def test_seed_000_metadata_and_body():
    doc = seed(SEED_000)
    art = clean_document(doc, None, SETTINGS)
    assert art.article_id == doc.content_key[:16]
    assert (art.source_path, art.source_sha256, art.encoding) == (
        doc.source_path,
        doc.source_sha256,
        "utf-8",
    )
    assert art.site == "trend"
    assert (
        art.title
        == "Azerbaijan-China interests form wide base for enhancing mutual co-op - political analyst"
    )
    assert art.author == "Ali Gasimov"
    assert art.category == "Politics"
    assert art.published_at == datetime(2025, 4, 22, 16, 20, tzinfo=UTC)
    assert art.published_utc_offset_minutes == 240
    assert art.published_date == date(2025, 4, 22)
    assert art.header_role == "banner"
    banner = "Vətən müharibəsinin Anım Gününün rəmzi olan Xarı bülbül"
    assert art.header_text == banner
    assert banner not in art.body
    assert any(banner in r.text and r.rule == "header_banner" for r in art.removed)
    assert art.body.startswith("BAKU, Azerbaijan, April 22.")
    assert art.body.endswith(
        'paving the way for mutually beneficial, innovative projects," he noted.'
    )
    assert art.dateline == "BAKU, Azerbaijan, April 22"
    assert art.word_count == len(art.body.split())
    assert_lossless(doc.text, art)


def test_seed_000_every_boilerplate_line_removed_with_a_rule():
    art = clean_document(seed(SEED_000), None, SETTINGS)
    rules = {r.text.strip(): r.rule for r in art.removed}
    for line, rule in {
        "1. Home": "breadcrumb",
        "Politics Materials 22 April 2025 20:20 (UTC +04:00)": "published_time",
        "Follow Trend on": "follow_trend",
        "Read more": "read_more",
        "Stay up-to-date with more news on Trend News Agency's WhatsApp channel": "whatsapp_promo",
        "Tags:": "tags",
        "Latest": "tail_marker",
        "...": "separator",
        "Ali Gasimov": "author",
    }.items():
        assert rules.get(line) == rule, line
    dup = [r for r in art.removed if r.text.startswith("Azerbaijan-China interests")]
    assert [r.rule for r in dup] == ["title", "duplicate_title"]
    boiler = {
        "1. Home",
        "Home",
        "Follow Trend on",
        "Read more",
        "Tags:",
        "Latest",
        "...",
        "Ali Gasimov",
        "Politics Materials 22 April 2025 20:20 (UTC +04:00)",
    }
    for line in body_lines(art):
        assert line not in boiler
        assert "WhatsApp" not in line
        assert line != art.title


def test_seed_001_no_header_no_title():
    doc = seed(SEED_001)
    art = clean_document(doc, None, SETTINGS)
    assert art.title is None
    assert art.header_text is None and art.header_role == "none"
    assert art.body.startswith("BAKU, Azerbaijan, September 1.")
    assert "WhatsApp" not in art.body
    assert art.dateline == "BAKU, Azerbaijan, September 1"
    assert art.published_date is None and art.published_at is None  # the dateline has no year
    assert [r.rule for r in art.removed] == ["whatsapp_promo"]
    assert_lossless(doc.text, art)


def test_run_clean_stats_on_seeds():
    docs = [seed(SEED_000), seed(SEED_001)]
    result = run_clean(docs, count_lines(docs), SETTINGS)
    assert [a.source_path for a in result.items] == [d.source_path for d in docs]
    assert not result.quarantined
    c = result.stats.counts
    assert result.stats.stage == "clean"
    assert (result.stats.records_in, result.stats.records_out) == (2, 2)
    assert c["site:trend"] == 2
    assert c["header_role:banner"] == 1 and c["header_role:none"] == 1
    assert c["removed:whatsapp_promo"] == 2
    assert c["removed:follow_trend"] == 1
    assert c["lines:removed"] == sum(len(a.removed) for a in result.items)
    non_blank = sum(1 for d in docs for line in d.text.split("\n") if line.strip())
    assert c["lines:in"] == non_blank
    assert c["removed:repeated_line"] == 0  # a 2-doc corpus never loses a line to repetition
    assert result.stats.seconds > 0


# --- header line ---------------------------------------------------------------------------

BODY_EN = (
    "BAKU, Azerbaijan, January 10. The State Oil Fund of Azerbaijan increased its assets by "
    "8 percent last year, the fund said in its annual report.\n\n"
    "The fund's assets exceeded 60 billion dollars for the first time.\n"
)


@pytest.mark.parametrize("sep", [" ", "  "])
def test_impossible_header_date_does_not_crash(sep):
    text = f" date 2025-13-45{sep}Oil Fund assets grow by 8 percent\n\n{BODY_EN}"
    result = run_clean([make_doc(text)], None, SETTINGS)
    art = result.items[0]
    assert art.published_date is None
    assert result.stats.counts["header:bad_date"] == 1
    assert art.header_text == "Oil Fund assets grow by 8 percent"
    assert art.title == "Oil Fund assets grow by 8 percent"
    assert_lossless(text, art)


def test_header_date_used_when_nothing_better():
    text = f" date 2024-02-29  Oil Fund assets grow by 8 percent\n{BODY_EN}"
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.published_date == date(2024, 2, 29)
    assert art.published_at is None  # no time or offset in the text: never guessed


def test_header_lead_becomes_first_paragraph():
    lead = "ТЯНЬЦЗИНЬ /Trend/ - Президент Азербайджана принял участие в саммите ШОС."
    text = f" date 2025-09-01 {lead}\nОн выступил с речью на пленарном заседании.\n"
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.header_role == "lead"
    assert body_lines(art)[0] == lead
    assert art.dateline == "ТЯНЬЦЗИНЬ /Trend/"
    assert_lossless(text, art)


@pytest.mark.parametrize(
    ("header", "role"),
    [("+ ↺ − 16 px", "noise"), ("-->", "noise"), ("By Trend", "byline"), ("", "none")],
)
def test_header_without_content_is_stripped(header, role):
    text = f" date 2025-01-10 {header}\n{BODY_EN}"
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.header_role == role
    assert art.body.startswith("BAKU, Azerbaijan, January 10.")
    assert art.removed[0].line_no == 1
    assert_lossless(text, art)


def test_header_banner_in_other_language_is_removed():
    text = f" date 2025-01-10 Azərbaycan Respublikasının Dövlət Neft Fondu\n{BODY_EN}"
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.header_role == "banner"
    assert "Neft Fondu" not in art.body
    assert art.published_date == date(2025, 1, 10)


def test_header_banner_repeated_across_site_is_removed():
    docs = []
    for k in range(6):
        body = (
            f"BAKU, Azerbaijan, March {k + 1}. Story number {k} is about the topic {k * 7} of "
            f"the day and the people involved in event {k}, Trend reports.\n"
        )
        docs.append(make_doc(f" date 2025-03-0{k + 1} Trend news of the day\n{body}", f"{k}.txt"))
    counts = count_lines(docs)
    art = clean_document(docs[0], counts, SETTINGS)
    assert art.header_role == "banner"
    assert art.title is None


# --- repeated lines (cc_net) ----------------------------------------------------------------


def _site_docs(n: int, footer: str | None, shared: str | None = None, shared_in: int = 0):
    docs = []
    for k in range(n):
        lines = [
            f"BAKU, Azerbaijan, May {k + 1}. Article {k} reports on subject number {k * 13} "
            f"with figures of {k * 101} units, an expert told Trend.",
            f"A second paragraph specific to article {k} mentions the value {k * 17}.",
        ]
        if shared and k < shared_in:
            lines.append(shared)
        if footer:
            lines.append(footer)
        docs.append(make_doc("\n\n".join(lines) + "\n", f"site/{k:02d}.txt"))
    return docs


def test_repeated_line_keeps_sentence_shared_by_two_articles_of_two():
    sentence = "The ministry did not comment on the report."
    docs = _site_docs(2, None, shared=sentence, shared_in=2)
    result = run_clean(docs, count_lines(docs), SETTINGS)
    for art in result.items:
        assert sentence in body_lines(art)
        assert not any(r.rule == "repeated_line" for r in art.removed)


def test_repeated_footer_across_ten_docs_is_removed_but_rare_sentence_kept():
    footer = "Trend News Agency office: 5 Azadlig avenue, tel. +994 12 000 00 00"
    sentence = "The ministry did not comment on the report."
    docs = _site_docs(10, footer, shared=sentence, shared_in=2)
    result = run_clean(docs, count_lines(docs), SETTINGS)
    assert result.stats.counts["removed:repeated_line"] == 10
    for k, art in enumerate(result.items):
        assert footer not in art.body
        assert any(r.rule == "repeated_line" and r.text == footer for r in art.removed)
        if k < 2:
            assert sentence in body_lines(art)  # 2 of 10 docs: below min_docs 3 and share 0.3
        assert_lossless(docs[k].text, art)


def test_repeated_line_needs_both_min_docs_and_share():
    footer = "Trend News Agency office: 5 Azadlig avenue"
    docs = _site_docs(20, None) + _site_docs(3, footer)[:3]
    for k, d in enumerate(docs):
        d.source_path = f"d{k}.txt"
    counts = count_lines(docs)
    # 3 of 23 docs carry the footer: >= min_docs but < 30 %
    art = clean_document(docs[-1], counts, SETTINGS)
    assert footer in body_lines(art)
    strict = Settings(repeated_line_min_share=0.1)
    assert footer not in clean_document(docs[-1], counts, strict).body


def test_duplicates_do_not_make_their_own_lines_repeated():
    text = seed(SEED_001).text
    docs = [make_doc(text, "a.txt")] + [
        make_doc(text, f"copy{k}.txt", duplicate_of="a.txt") for k in range(4)
    ]
    counts = count_lines(docs)
    assert counts.docs["trend"] == 1
    art = clean_document(docs[0], counts, SETTINGS)
    assert art.body.startswith("BAKU, Azerbaijan, September 1.")
    assert not any(r.rule == "repeated_line" for r in art.removed)


def test_line_counts_merge_and_pickle():
    footer = "Trend News Agency office: 5 Azadlig avenue"
    docs = _site_docs(9, footer)
    whole = count_lines(docs)
    merged = merge_line_counts(count_lines(docs[:4]), count_lines(docs[4:]))
    assert merged.docs == whole.docs == {"trend": 9}
    assert merged.lines == whole.lines
    again = pickle.loads(pickle.dumps(merged))
    assert isinstance(again, LineCounts) and again.lines == whole.lines
    assert whole.docs_with("trend", footer) == 9
    assert whole.docs_with("trend", "  TREND news agency office:  5 Azadlig avenue ") == 9  # folded
    assert (
        whole.docs_with("trend", "Trend News Agency office: 7 Azadlig avenue") == 0
    )  # digits count
    empty = merge_line_counts(LineCounts(), LineCounts())
    assert not empty.docs and not empty.lines


# --- quarantine -----------------------------------------------------------------------------


def test_page_with_only_boilerplate_is_quarantined_with_reason():
    text = (
        " date 2024-08-08 -->\nRead more\nLatest\nFollow us on Telegram\n08.08.2024 12:30\n\n...\n"
    )
    doc = make_doc(text, "empty.txt")
    result = run_clean([doc], None, SETTINGS)
    assert result.items == []
    (q,) = result.quarantined
    assert (q.stage, q.error_class, q.source_path) == ("clean", "no_content", "empty.txt")
    assert "read_more" in q.reason and "follow_footer" in q.reason
    assert result.stats.counts["lines:removed"] == 6
    assert result.stats.counts["removed:read_more"] == 1
    assert result.stats.counts["quarantined:no_content"] == 1
    assert (result.stats.records_in, result.stats.records_out) == (1, 0)


def test_blank_page_is_quarantined():
    result = run_clean([make_doc("\n\n  \n")], None, SETTINGS)
    assert result.quarantined and result.quarantined[0].error_class == "no_content"


# --- generic layer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("28.06.2013 16:48", "datetime"),
        ("• 13 yanvar, 2026", "datetime"),
        ("- 10:01", "datetime"),
        ("11/24/2023 7:16:52 AM", "datetime"),
        ("3 ноября 2025, 13:55", "datetime"),
        ("Daxili siyasət", "section_label"),
        ("Внутренняя политика", "section_label"),
        ("SİYASƏT", "section_label"),
        ("Politics", "section_label"),
        ("Рубрики", "section_label"),
        ("Bütün xəbərləri izləyin", "follow_footer"),
        ("Follow us on Twitter @AzerNewsAz", "follow_footer"),
        ("Заметили ошибку в тексте? Выделите её и нажмите Ctrl + Enter", "follow_footer"),
        ("Photo: Presidential press service", "photo_credit"),
        ("Фото: пресс-служба", "photo_credit"),
        ("-", "separator"),
        ("A- A+", "font_widget"),
        ("Просмотров: 1245", "view_counter"),
        ("USD 1.7000 AZN", "weather_currency"),
        ("Bakı. Trend:", "dateline"),
        ("Баку, 2 мая, АЗЕРТАДЖ", "dateline"),
        ("-0-", "agency_code"),
        ("-02D-", "agency_code"),
        ("(MENAFN- Trend News Agency)", "menafn_tag"),
    ],
)
def test_generic_boilerplate_lines(line, rule):
    prose = (
        "The government approved the new programme on regional development for the next five "
        "years, the press service said on Monday."
    )
    text = f"{line}\n{prose}\n"
    art = clean_document(make_doc(text), None, SETTINGS)
    assert [(r.text, r.rule) for r in art.removed] == [(line, rule)]
    assert art.body == prose


@pytest.mark.parametrize(
    "tail",
    ["Digər Xəbərlər", "Последние новости", "Лента новостей", "Latest"],
)
def test_related_block_after_article_is_removed(tail):
    prose = (
        "The government approved the new programme on regional development for the next five "
        "years, the press service said on Monday."
    )
    text = f"{prose}\n{tail}\nNew metro station to open in Baku\nManat exchange rate for June 29\n"
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.body == prose
    assert [r.rule for r in art.removed] == ["tail_marker", "related_teaser", "related_teaser"]


def test_agency_dateline_extracted_and_text_kept():
    text = (
        "Баку, 2 мая, АЗЕРТАДЖ. В Баку открылась международная выставка строительных материалов.\n"
    )
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.dateline == "Баку, 2 мая, АЗЕРТАДЖ"
    assert art.body == text.strip()
    assert art.site == "azertac"


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22 April 2025 20:20 (UTC +04:00)", (date(2025, 4, 22), 20, 20, 240)),
        ("3 ноября 2025 13:55 (UTC +04:00)", (date(2025, 11, 3), 13, 55, 240)),
        ("3 noyabr 2025 13:55 (UTC +04:00)", (date(2025, 11, 3), 13, 55, 240)),
        ("1 сентября 2025, 09:05", (date(2025, 9, 1), 9, 5, None)),
        ("13 yanvar, 2026", (date(2026, 1, 13), None, None, None)),
        ("28.06.2013 16:48", (date(2013, 6, 28), 16, 48, None)),
        ("11/24/2023 7:16:52 PM", (date(2023, 11, 24), 19, 16, None)),
        ("May 2, 2024 10:00 GMT-05:30", (date(2024, 5, 2), 10, 0, -330)),
        ("2 мая 2025", (date(2025, 5, 2), None, None, None)),
    ],
)
def test_parse_when(text, expected):
    w = parse_when(text)
    assert w is not None
    assert (w.day, w.hour, w.minute, w.offset_minutes) == expected


@pytest.mark.parametrize("text", ["45 April 2025", "31.02.2024", "no date here", "13/45/2023"])
def test_parse_when_rejects_impossible(text):
    assert parse_when(text) is None


def test_trend_russian_and_azerbaijani_time_lines():
    for line, category in [
        ("Политика Материалы 3 ноября 2025 13:55 (UTC +04:00)", "Политика"),
        ("Siyasət Materiallar 3 noyabr 2025 13:55 (UTC +04:00)", "Siyasət"),
    ]:
        text = (
            f"Заголовок новости о важном событии в стране\n{line}\n"
            "Trend сообщает: правительство утвердило новую программу развития регионов на пять лет.\n"
        )
        art = clean_document(make_doc(text), None, SETTINGS)
        assert art.site == "trend"
        assert art.category == category
        assert art.published_at == datetime(2025, 11, 3, 9, 55, tzinfo=UTC)
        assert art.published_utc_offset_minutes == 240


# --- profiles -------------------------------------------------------------------------------


def test_profiles_are_loaded_once_and_cover_the_sites():
    assert load_profiles() is load_profiles()
    names = [p.name for p in load_profiles().sites]
    assert len(names) == len(set(names))
    assert {"trend", "day.az", "report.az", "azertac", "apa.az", "turan.az"} <= set(names)


def test_a_new_site_is_only_a_data_file(tmp_path):
    sites = tmp_path / "sites"
    shutil.copytree(SITES_DIR, sites)
    (sites / "example_az.toml").write_text(
        "name = 'example.az'\n[recognize]\nstrong = ['(?i)\\bexample\\.az\\b']\n"
        "[[rules]]\nname = 'example_footer'\nexact = ['Example.az-ı izləyin']\n",
        encoding="utf-8",
    )
    profiles = load_profiles(sites)
    prof = detect_site("Xəbəri Example.az yayıb.\nExample.az-ı izləyin\n", profiles)
    assert prof.name == "example.az"
    assert any(r.name == "example_footer" for r in prof.rules)
    assert any(r.name == "tail_marker" for r in prof.rules)  # the generic layer comes with it


def test_unknown_site_is_null_not_guessed():
    art = clean_document(
        make_doc("Some text about nothing in particular at all, really.\n"), None, SETTINGS
    )
    assert art.site is None


# --- losslessness (property) ----------------------------------------------------------------

_FRAGMENTS = [
    "Read more",
    "Latest",
    "Tags:",
    "Tags: Azerbaijan, China",
    "Follow Trend on",
    "Politics Materials 22 April 2025 20:20 (UTC +04:00)",
    "Политика Материалы 3 ноября 2025 13:55 (UTC +04:00)",
    "  1. Home",
    "  2. Politics",
    "Ali Gasimov",
    "- 10:01",
    "28.06.2013 16:48",
    "Bakı. Trend:",
    "Баку, 2 мая, АЗЕРТАДЖ",
    "-0-",
    "...",
    "",
    "",
    "Digər Xəbərlər",
    "Фото: АЗЕРТАДЖ",
    "Azerbaijan-China interests form wide base for enhancing mutual co-op",
    "BAKU, Azerbaijan, April 22. Relations between the two countries developed, he said.",
    "Prezident İlham Əliyev yanvarın 13-də Şuşa şəhərində yeni məktəbin açılışında iştirak edib.",
    "В ходе встречи стороны обсудили перспективы развития сотрудничества между странами.",
    "  1. Xəbərlər",
    "  2. İqtisadiyyat",
    "3. Azerbaijan-China interests form wide base for enhancing mutual co-op",
    "Главная",
    "Экономика",
    "Politics",
    "Economy",
    "15 September 2025 11:40",
    "12:30, 13 yanvar 2026",
    "Follow us on Twitter @Reportaz",
    "Последние новости",
    "Read more",
    "Popular",
    "New metro station to open in Baku",
    "Foto: Prezidentin mətbuat xidməti",
    "«Мы рассчитываем на рост перевозок», — заявил замминистра.",
    " date 2025-04-22 Vətən müharibəsi",
    " date 2025-13-45  Title of the page here",
]
_LINE = st.one_of(
    st.sampled_from(_FRAGMENTS),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=80),
)
_HEADER = st.one_of(
    st.just(""),
    st.builds(
        lambda y, m, d, sep, t: f" date {y:04d}-{m:02d}-{d:02d}{sep}{t}\n",
        st.integers(0, 9999),
        st.integers(0, 99),
        st.integers(0, 99),
        st.sampled_from([" ", "  "]),
        _LINE,
    ),
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HEADER, st.lists(_LINE, max_size=25))
def test_property_lossless_and_no_crash(header, lines):
    text = header + "\n".join(lines)
    doc = make_doc(text)
    art = clean_document(doc, None, SETTINGS)
    assert_lossless(text, art)
    result = run_clean([doc, make_doc(text + "\nextra line", "b.txt")], None, SETTINGS)
    assert result.stats.records_in == 2
    assert len(result.items) + len(result.quarantined) == 2


def test_time_line_of_a_teaser_after_the_article_is_not_the_publication_time():
    text = (
        " date 2025-04-22 Azerbaijan hosts forum on digital economy\n"
        "BAKU, Azerbaijan, April 22. The forum brought together 300 participants from 40 "
        "countries, Trend reports.\n"
        "Latest\n"
        "Economy Materials 21 April 2025 10:00 (UTC +04:00)\n"
        "Oil prices rise on world markets\n"
    )
    art = clean_document(make_doc(text), None, SETTINGS)
    assert art.published_date == date(2025, 4, 22)  # from the header, not the teaser
    assert art.published_at is None
    assert [r.rule for r in art.removed][-2:] == ["published_time", "related_teaser"]
    assert_lossless(text, art)


def test_header_variants():
    for line in [
        "\ufeff date 2025-04-22 Title of the story here",
        "Date 2025-4-2  Title of the story",
    ]:
        assert HEADER_RE.match(line)
    assert not HEADER_RE.match("The date 2025-04-22 was chosen")


@pytest.mark.parametrize(
    "line",
    [
        "Следите за новостями Trend в WhatsApp-канале",
        "Follow Trend on X and Telegram",
        "Subscribe to our Telegram channel for breaking news",
        "Ən son xəbərlər üçün WhatsApp kanalımıza qoşulun",
    ],
)
def test_follow_and_channel_promos(line):
    prose = "The Telegram channel was blocked by the court on Monday, the prosecutor's office said."
    art = clean_document(make_doc(f"{prose}\n{line}\n"), None, SETTINGS)
    assert art.body == prose  # a news sentence about a channel is content
    assert [r.text for r in art.removed] == [line]


def test_lossy_line_counts_keep_boilerplate_and_stay_small():
    """In-place merges with pruning: the footer every other page carries is still found after
    5,000 pages, while the unique lines of those pages do not pile up in memory."""
    from tasks.clean import LineCounts, count_lines, is_repeated, merge_line_counts
    from tasks.config import Settings
    from tasks.records import RawDoc

    settings = Settings.load()
    footer = "Bütün xəbərləri bizim kanalda izləyin"
    acc = LineCounts()
    exact = LineCounts()
    for batch in range(50):
        docs = []
        for i in range(100):
            n = batch * 100 + i
            lines = [f"Xəbər {n}: şəhərdə {n} yeni park açılıb və sakinlər məmnundur."]
            if n % 2 == 0:
                lines.append(footer)
            text = "\n".join(lines) + "\n"
            docs.append(RawDoc(f"{n}.txt", text, "utf-8", "0" * 64, f"{n:064x}", len(text)))
        counts = count_lines(docs)
        exact = merge_line_counts(exact, counts)
        acc.update(counts)
        acc.prune(settings.repeated_line_min_share / 30)
    site = next(iter(acc.docs))
    assert acc.docs[site] == 5000
    assert is_repeated(acc, site, footer, settings)
    assert acc.docs_with(site, footer) == exact.docs_with(site, footer) == 2500
    assert len(exact.lines[site]) == 5001
    assert len(acc.lines[site]) <= 200  # the unique lines were dropped as they became rare


def test_line_counts_are_exact_below_the_pruning_size():
    from tasks.clean import LineCounts

    counts = LineCounts()
    counts.docs["s"] = 999
    counts.lines["s"] = Counter({1: 1, 2: 500})
    assert counts.prune(0.01) == 0 and len(counts.lines["s"]) == 2
    counts.docs["s"] = 1000
    assert counts.prune(0.01) == 1 and dict(counts.lines["s"]) == {2: 500}
