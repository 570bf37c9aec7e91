"""Issue #3: every boilerplate form of the issue has a test, and content next to it is kept.

Organised by the gaps found on the sample pages: generic breadcrumbs and home lines, category from
the header area, site recognition from handles and credits, dates without a UTC offset, related
teasers after the article, a mixed-language page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tasks.clean import clean_document, detect_site, parse_when, run_clean
from tasks.config import Settings

from .test_clean import assert_lossless, body_lines, make_doc

SETTINGS = Settings()

PROSE_EN = (
    "The government approved the new programme on regional development for the next five "
    "years, the press service said on Monday."
)
PROSE_EN_2 = "The programme covers schools, roads and water supply in 14 districts of the country."
PROSE_AZ = (
    "Nazirlər Kabineti regionların inkişafı üzrə yeni dövlət proqramını təsdiq edib, "
    "mətbuat xidməti bildirib."
)
PROSE_RU = (
    "Кабинет министров утвердил новую государственную программу развития регионов на "
    "ближайшие пять лет, сообщила пресс-служба."
)


def rules_of(art) -> dict[str, str]:
    return {r.text: r.rule for r in art.removed}


def clean(text: str):
    art = clean_document(make_doc(text), None, SETTINGS)
    assert_lossless(text, art)
    return art


# --- 1. breadcrumbs in any language, home/nav lines -----------------------------------------


@pytest.mark.parametrize(
    ("crumbs", "category"),
    [
        (["Xəbərlər", "İqtisadiyyat", "Energetika"], "Energetika"),
        (["Новости", "Экономика"], "Экономика"),
        (["Haberler", "Ekonomi", "Enerji"], "Enerji"),  # Turkish: no word list needed
        (["News", "Oil&Gas", "Green economy"], "Green economy"),
        (["Xəbərlər", "Siyasət"], "Siyasət"),
    ],
)
@pytest.mark.parametrize("prefix", ["...\n", "", " date 2025-11-03 \n...\n"])
def test_numbered_breadcrumb_block_at_top_in_any_language(crumbs, category, prefix):
    block = "\n".join(f"  {k}. {c}" for k, c in enumerate(crumbs, start=1))
    title = "Azerbaijan and Kazakhstan expand energy cooperation"
    text = f"{prefix}{block}\n\n{title}\n\n{PROSE_EN}\n\n{PROSE_EN_2}\n"
    art = clean(text)
    assert [r.rule for r in art.removed if r.text.strip()[:2] in {"1.", "2.", "3."}] == [
        "breadcrumb"
    ] * len(crumbs)
    assert art.category == category
    assert art.title == title
    assert body_lines(art) == [PROSE_EN, PROSE_EN_2]


@pytest.mark.parametrize(
    "block",
    [
        "1. Increase the share of renewables\n2. Build two new substations",  # after the lead
    ],
)
def test_numbered_list_inside_the_article_is_content(block):
    text = f"{PROSE_EN}\n{block}\n{PROSE_EN_2}\n"
    art = clean(text)
    assert body_lines(art) == [PROSE_EN, *block.split("\n"), PROSE_EN_2]


@pytest.mark.parametrize(
    "block",
    [
        "2. Energetika\n3. Maliyyə",  # does not start at 1
        "1. Energetika\n3. Maliyyə",  # not consecutive
        "1. Energetika",  # a single item
        "1. The ministry will publish the full list of projects next week.\n2. Second point.",
    ],
)
def test_numbered_lines_that_are_not_a_trail_are_kept(block):
    text = f"{block}\n{PROSE_EN}\n"
    art = clean(text)
    assert body_lines(art) == [*block.split("\n"), PROSE_EN]


def test_breadcrumb_trail_ending_with_the_title():
    title = "Azerbaijan and Kazakhstan expand energy cooperation"
    text = f"...\n1. Xəbərlər\n2. Energetika\n3. {title}\n\n{title}\n{PROSE_EN}\n"
    art = clean(text)
    assert rules_of(art)[f"3. {title}"] == "breadcrumb"
    assert art.category == "Energetika"
    assert art.title == title
    assert body_lines(art) == [PROSE_EN]


@pytest.mark.parametrize(
    "line", ["Главная", "Ana səhifə", "Əsas", "Home", "Əsas səhifə", "Главная страница"]
)
def test_home_navigation_line_is_breadcrumb(line):
    art = clean(f"{line}\n{PROSE_RU}\n")
    assert [(r.text, r.rule) for r in art.removed] == [(line, "breadcrumb")]
    assert art.body == PROSE_RU


@pytest.mark.parametrize(
    "line",
    [
        "Главная » Политика",
        "Home / World / Europe",
        "Ana səhifə > Siyasət",
        "Xəbərlər / Energetika",
    ],
)
def test_one_line_trail_is_breadcrumb(line):
    art = clean(f"{line}\n{PROSE_EN}\n")
    assert [(r.text, r.rule) for r in art.removed] == [(line, "breadcrumb")]


@pytest.mark.parametrize(
    "line",
    [
        "Main/backup pipelines were damaged, the company said.",
        "News > 50 words long are rare in this feed",
    ],
)
def test_sentences_starting_with_a_nav_word_are_content(line):
    art = clean(f"{PROSE_EN}\n{line}\n")
    assert body_lines(art) == [PROSE_EN, line]


# --- 2. category from a section label in the header area ------------------------------------


@pytest.mark.parametrize(
    ("label", "prose"),
    [
        ("Экономика", PROSE_RU),
        ("Business", PROSE_EN),
        ("Политика", PROSE_RU),
        ("SİYASƏT", PROSE_AZ),
        ("Daxili siyasət", PROSE_AZ),
        ("Внутренняя политика", PROSE_RU),
    ],
)
def test_section_label_in_header_area_is_the_category(label, prose):
    text = f" date 2025-05-02 Новости\n{label}\n02.05.2025 09:30\n\n{prose}\n"
    art = clean(text)
    assert art.category == label
    assert rules_of(art)[label] == "section_label"
    assert art.body == prose


def test_navigation_label_is_never_a_category():
    art = clean(f"Рубрики\nНовости\n{PROSE_RU}\n")
    assert art.category is None
    assert [r.rule for r in art.removed] == ["section_label", "section_label"]


def test_site_menu_is_not_the_category_but_the_rubric_is():
    text = f"Politics\nEconomy\nSociety\nSports\n\nBusiness\n15 September 2025 11:40\n{PROSE_EN}\n"
    art = clean(text)
    assert art.category == "Business"


def test_section_label_after_the_body_is_not_the_category():
    art = clean(f"{PROSE_EN}\nPolitics\nEconomy\n")
    assert art.category is None
    assert art.body == PROSE_EN


# --- 3. site recognition --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signal", "site"),
    [
        ("Follow us on Twitter @Reportaz", "report.az"),
        ("Follow us on Twitter @Report_az", "report.az"),
        ("Foto: Report", "report.az"),
        ("Photo: Trend", "trend"),
        ("Trend-i izləyin", "trend"),
        ("Следите за новостями Trend", "trend"),
        ("Фото: АЗЕРТАДЖ", "azertac"),
        ("Bakı, 2 may, AZƏRTAC", "azertac"),
        ("Подпишитесь на Day.Az в Telegram", "day.az"),
        ("Baku/24.11.23/Turan: the bank said", "turan.az"),
        ("Milli Məclisin sədri görüşüb, APA xəbər verir.", "apa.az"),
    ],
)
def test_site_recognised_from_handles_credits_and_datelines(signal, site):
    text = f"{PROSE_EN}\n{signal}\n"
    assert detect_site(text).name == site
    assert clean_document(make_doc(text), None, SETTINGS).site == site


def test_attribution_sentence_recognises_trend():
    assert detect_site(f"The bank raised its rate, Trend reports.\n{PROSE_EN}\n").name == "trend"


@pytest.mark.parametrize(
    "text",
    [
        PROSE_EN,
        "Market trend reports show a rise in demand.\n",  # the word, not the agency
        "The report was published on Monday.\n",
    ],
)
def test_no_signal_no_site(text):
    assert detect_site(text).name is None


def test_page_chrome_beats_a_reprinted_agency_dateline():
    text = (
        " date 2025-06-12 Day.Az - Новости Азербайджана\n"
        f"Баку, 12 июня, АЗЕРТАДЖ. {PROSE_RU}\n"
        "Подпишитесь на Day.Az в Telegram\n"
    )
    assert clean(text).site == "day.az"


# --- 4. dates: the stated local date, never a guessed instant --------------------------------


@pytest.mark.parametrize(
    ("line", "day", "at"),
    [
        ("15 September 2025 11:40", date(2025, 9, 15), None),
        ("12 июня 2025, 10:15", date(2025, 6, 12), None),
        ("02.05.2025 09:30", date(2025, 5, 2), None),
        ("• 2 мая, 2025 14:10", date(2025, 5, 2), None),
        ("12:30, 13 yanvar 2026", date(2026, 1, 13), None),
        ("Published: 14 September 2025 | 23:40", date(2025, 9, 14), None),
        ("Опубликовано: 14 сентября 2025 года, 23:40", date(2025, 9, 14), None),
        ("13 yanvar 2026-cı il 10:05", date(2026, 1, 13), None),
        ("14 İyun 2025, 10:15", date(2025, 6, 14), None),
        (
            "14 September 2025 23:40 (UTC +04:00)",
            date(2025, 9, 14),
            datetime(2025, 9, 14, 19, 40, tzinfo=UTC),
        ),
        (
            "15.09.2025 01:10 GMT+4",
            date(2025, 9, 15),
            datetime(2025, 9, 14, 21, 10, tzinfo=UTC),
        ),
    ],
)
def test_time_line_in_header_area_sets_the_date(line, day, at):
    title = "Baku hosts international forum on Middle Corridor logistics"
    text = f" date 2025-09-15 {title}\n{title}\n{line}\nBusiness\n\n{PROSE_EN}\n"
    result = run_clean([make_doc(text)], None, SETTINGS)
    art = result.items[0]
    assert art.published_date == day  # the page's own date beats the scraper's header date
    assert art.published_at == at  # only when the page states the offset
    assert (art.published_utc_offset_minutes is None) == (at is None)
    assert rules_of(art)[line] == "datetime"
    assert art.category == "Business"
    assert result.stats.counts["header:date_mismatch"] == (day != date(2025, 9, 15))
    assert_lossless(text, art)


def test_date_only_line_does_not_beat_the_header_date():
    # "Wednesday, 1 June 2022" at the top of a page is often the site's "today" chrome
    text = f" date 2022-05-31 Georgia opens new checkpoint\nWednesday, 1 June 2022\n{PROSE_EN}\n"
    art = clean(text)
    assert art.published_date == date(2022, 5, 31)
    assert art.published_at is None


def test_date_only_line_used_without_header():
    art = clean(f"Wednesday, 1 June 2022\n{PROSE_EN}\n")
    assert art.published_date == date(2022, 6, 1)
    assert art.published_at is None


def test_time_line_after_the_article_does_not_set_the_date():
    text = f" date 2025-09-15 Title of the page here\n{PROSE_EN}\n24.11.2023 07:16\n"
    art = clean(text)
    assert art.published_date == date(2025, 9, 15)


def test_time_before_date_is_parsed():
    w = parse_when("12:30, 13 yanvar 2026")
    assert w is not None and (w.day, w.hour, w.minute) == (date(2026, 1, 13), 12, 30)


# --- 5. the issue's list of boilerplate forms -------------------------------------------------


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        # standalone date/time lines
        ("28.06.2013 16:48", "datetime"),
        ("• 13 yanvar, 2026", "datetime"),
        ("- 10:01", "datetime"),
        ("11/24/2023 7:16:52 AM", "datetime"),
        ("15 September 2025 11:40", "datetime"),
        ("12 июня 2025, 10:15", "datetime"),
        ("13.01.2026 | 12:30", "datetime"),
        ("Bazar ertəsi, 15 sentyabr 2025", "datetime"),
        ("03.11.2025 [13:55]", "datetime"),
        # section labels
        ("Daxili siyasət", "section_label"),
        ("Внутренняя политика", "section_label"),
        ("SİYASƏT", "section_label"),
        ("Politics", "section_label"),
        ("Рубрики", "section_label"),
        # follow/footer lines
        ("Bütün xəbərləri izləyin", "follow_footer"),
        ("Follow us on Twitter @AzerNewsAz", "follow_footer"),
        ("Заметили ошибку в тексте? Выделите её и нажмите Ctrl + Enter", "follow_footer"),
        ("© 2025 Trend News Agency. All rights reserved.", "follow_footer"),
        # photo credits and captions
        ("Foto: Prezidentin mətbuat xidməti", "photo_credit"),
        ("Фото: пресс-служба", "photo_credit"),
        ("Photo: Presidential press service", "photo_credit"),
        ("Şəkil: AZƏRTAC", "photo_credit"),
        # separators, page chrome
        ("-", "separator"),
        ("...", "separator"),
        ("A- A+", "font_widget"),
        ("+ ↺ − 16 px", "font_widget"),
        ("Baku +24°C", "weather_currency"),
        ("USD 1.7000 AZN", "weather_currency"),
        ("Просмотров: 1245", "view_counter"),
        ("Baxış sayı: 1532", "view_counter"),
        ("Views: 12", "view_counter"),
        ("1245", "view_counter"),
        ("👁 12 345", "view_counter"),
        ("-->", "html_residue"),
        # agency datelines, codes, tags
        ("Bakı. Trend:", "dateline"),
        ("Баку, 2 мая, АЗЕРТАДЖ", "dateline"),
        ("-0-", "agency_code"),
        ("-02D-", "agency_code"),
        ("(MENAFN- Trend News Agency)", "menafn_tag"),
    ],
)
def test_issue_boilerplate_forms(line, rule):
    art = clean(f"{line}\n{PROSE_EN}\n")
    assert [(r.text, r.rule) for r in art.removed] == [(line, rule)]
    assert art.body == PROSE_EN


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("Politics Materials 3 November 2025 13:55 (UTC +04:00)", "Politics"),
        ("Политика Материалы 3 ноября 2025 13:55 (UTC +04:00)", "Политика"),
        ("Siyasət Materiallar 3 noyabr 2025 13:55 (UTC +04:00)", "Siyasət"),
    ],
)
def test_trend_materials_line(line, category):
    art = clean(f"Trend News Agency\n{line}\n{PROSE_EN}\n")
    assert rules_of(art)[line] == "published_time"
    assert art.category == category
    assert art.published_at == datetime(2025, 11, 3, 9, 55, tzinfo=UTC)
    assert art.published_date == date(2025, 11, 3)


def test_duplicated_title_lines():
    title = "Azerbaijan and Kazakhstan expand energy cooperation"
    art = clean(f"{title}\n15 September 2025 11:40\n{title}\n{PROSE_EN}\n{title}\n")
    assert [r.rule for r in art.removed] == ["title", "datetime", "duplicate_title"] + [
        "duplicate_title"
    ]
    assert art.body == PROSE_EN


@pytest.mark.parametrize(
    "line",
    [
        "Copyright infringement cases rose by 20 percent last year, the court said.",
        "Source: the ministry said the figures would be revised.",
        "Follow-up talks on the agreement will be held in Baku next month.",
        "He did not elaborate.",
        "Read more about the programme on the ministry's website, officials said on Monday.",
    ],
)
def test_content_lines_resembling_boilerplate_are_kept(line):
    art = clean(f"{PROSE_EN}\n{line}\n{PROSE_EN_2}\n")
    if line.startswith("Source:"):  # a credit form: removed, and that is the accepted trade-off
        assert rules_of(art) == {line: "photo_credit"}
        return
    assert body_lines(art) == [PROSE_EN, line, PROSE_EN_2]


# --- header line roles ----------------------------------------------------------------------

BODY = f"{PROSE_EN}\n\n{PROSE_EN_2}\n"


@pytest.mark.parametrize("sep", [" ", "  "])
@pytest.mark.parametrize(
    ("header", "role", "first_body"),
    [
        ("Vətən müharibəsinin Anım Günü", "banner", PROSE_EN),
        ("Government approves regional development programme", "title", PROSE_EN),
        (
            "BAKU, Azerbaijan, January 10. The fund's assets grew by 8 percent last year.",
            "lead",
            "BAKU, Azerbaijan, January 10. The fund's assets grew by 8 percent last year.",
        ),
        (
            "ТЯНЬЦЗИНЬ /Trend/ - Президент принял участие в саммите",
            "lead",
            "ТЯНЬЦЗИНЬ /Trend/ - Президент принял участие в саммите",
        ),
        ("By Trend", "byline", PROSE_EN),
        ("+ ↺ − 16 px", "noise", PROSE_EN),
        ("-->", "noise", PROSE_EN),
        ("", "none", PROSE_EN),
    ],
)
def test_header_roles(header, role, first_body, sep):
    text = f" date 2025-01-10{sep}{header}\n{BODY}"
    art = clean(text)
    assert art.header_role == role
    assert body_lines(art)[0] == first_body
    assert art.published_date == date(2025, 1, 10)
    if role == "title":
        assert art.title == header
    if role == "lead":
        assert art.dateline in {"BAKU, Azerbaijan, January 10", "ТЯНЬЦЗИНЬ /Trend/"}
    if role == "byline":
        assert art.author == "Trend"


# --- 6. related teasers after the article ---------------------------------------------------

TEASERS = ["New metro station to open in Baku", "Manat exchange rate for June 29"]


@pytest.mark.parametrize(
    "marker",
    [
        "Latest",
        "Read more",
        "Digər xəbərlər",
        "Digər Xəbərlər",
        "Последние новости",
        "Лента новостей",
        "Son xəbərlər",
        "Ən çox oxunanlar",
    ],
)
def test_teasers_after_end_marker_are_related_teasers(marker):
    text = f"{PROSE_EN}\n\n{PROSE_EN_2}\n\n{marker}\n{TEASERS[0]}\n- 10:01\n{TEASERS[1]}\n"
    art = clean(text)
    assert body_lines(art) == [PROSE_EN, PROSE_EN_2]  # content before the marker: all kept
    r = rules_of(art)
    assert r[TEASERS[0]] == r[TEASERS[1]] == "related_teaser"


def test_teaser_leads_after_the_marker_go_with_the_block():
    lead = "The new station will serve 40,000 passengers a day, the metro company said."
    text = f"{PROSE_EN}\nLatest news\n{TEASERS[0]}\n{lead}\n{TEASERS[1]}\n"
    art = clean(text)
    assert art.body == PROSE_EN
    assert rules_of(art)[lead] == "related_block"


def test_marker_followed_by_sentences_only_keeps_them():
    # "Popular" used as an in-article label: no headline, no time line after it
    text = f"{PROSE_EN}\nPopular\n{PROSE_EN_2}\nThe ministry will publish the list next week.\n"
    art = clean(text)
    assert body_lines(art) == [
        PROSE_EN,
        PROSE_EN_2,
        "The ministry will publish the list next week.",
    ]
    assert rules_of(art) == {"Popular": "tail_marker"}


def test_read_more_inside_the_article_removes_only_its_headline():
    text = (
        f"{PROSE_EN}\n\nRead more\n\n{TEASERS[0]}\n\n{PROSE_EN_2}\n\n"
        "Подробнее\nАзербайджан и Казахстан обсудили транзит\nHe did not elaborate.\n"
    )
    art = clean(text)
    assert body_lines(art) == [PROSE_EN, PROSE_EN_2, "He did not elaborate."]
    r = rules_of(art)
    assert r[TEASERS[0]] == r["Азербайджан и Казахстан обсудили транзит"] == "related_teaser"


def test_teasers_next_to_time_lines_without_a_marker():
    text = f"{PROSE_EN}\n{TEASERS[0]}\n17:02\n{TEASERS[1]}\n16:55\nThat is all.\n"
    art = clean(text)
    assert rules_of(art)[TEASERS[0]] == rules_of(art)[TEASERS[1]] == "related_teaser"
    assert "That is all." in body_lines(art)  # a closing sentence is not a headline


# --- 7. mixed-language page -----------------------------------------------------------------


def test_english_body_with_azerbaijani_caption_and_russian_quote():
    quote = (
        "«Мы рассчитываем, что к 2030 году объем перевозок по западному маршруту вырастет "
        "вдвое», — заявил замминистра."
    )
    az_quote = '"Orta Dəhliz regionun nəqliyyat xəritəsini dəyişir," he said.'
    caption = "Foto: Rəqəmsal İnkişaf və Nəqliyyat Nazirliyinin mətbuat xidməti"
    text = (
        " date 2025-10-07 Azerbaijan and Russia discuss North-South transport corridor\n"
        "Azerbaijan and Russia discuss North-South transport corridor\n"
        "7 October 2025 14:20\nEconomy\n\n"
        f"{PROSE_EN}\n\n{caption}\n\n{quote}\n\n{az_quote}\n\n{PROSE_EN_2}\n\n"
        "Follow us on Twitter @Reportaz\nRead more\n"
    )
    art = clean(text)
    assert body_lines(art) == [PROSE_EN, quote, az_quote, PROSE_EN_2]
    assert rules_of(art)[caption] == "photo_credit"
    assert art.site == "report.az"
    assert art.category == "Economy"
    assert art.published_date == date(2025, 10, 7) and art.published_at is None


def test_read_more_after_the_last_paragraph_ends_the_article():
    teasers = [f"Teaser headline number {k} about the economy" for k in range(6)]
    text = f"{PROSE_EN}\n{PROSE_EN_2}\nRead more\n" + "\n".join(teasers) + "\n"
    art = clean(text)
    assert body_lines(art) == [PROSE_EN, PROSE_EN_2]
    assert [r.rule for r in art.removed] == ["read_more"] + ["related_teaser"] * 6


def test_sidebar_time_lines_above_the_article_agree_with_the_header():
    title = "Baku hosts international forum on Middle Corridor logistics"
    text = (
        f" date 2025-09-15 {title}\n"
        "Latest news\nOil prices rise on world markets\n14.09.2025 18:00\n"
        f"{title}\n15.09.2025 11:40\n{PROSE_EN}\n"
    )
    art = clean(text)
    assert art.published_date == date(2025, 9, 15)
    assert art.title == title
    assert art.body == PROSE_EN
    assert rules_of(art)["Oil prices rise on world markets"] == "related_teaser"
