"""The clean stage's fast paths give the same answers as the plain rule-by-rule evaluation.

Each optimisation in tasks/clean/ (pre-checks, combined patterns, caches) is compared here with
the straightforward definition it replaces, on the golden pages, on hand-made edge cases and on
generated lines.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks.clean import (
    _ONE_BY_ONE,
    LineRule,
    RuleMatcher,
    _anchored,
    _lang_hint,
    _pattern_requirements,
    _scans_line,
    _special_case,
    detect_site,
    load_profiles,
    norm_exact,
    norm_repeat,
)

GOLDEN = Path(__file__).resolve().parent / "golden" / "clean"
PAGES = [
    unicodedata.normalize("NFC", p.read_text(encoding="utf-8"))
    for p in sorted(GOLDEN.glob("*.txt")) + sorted((GOLDEN / "labelled").glob("*.txt"))
]
# site words next to word characters, other cases, dotless/dotted i and the like
EDGE_TEXTS = [
    "Trend",
    "xTrend",
    "Trendy news",
    "_Trend_",
    "told Trend.",
    "The agency told Trend\nFollow Trend on X",
    "TREND.AZ",
    "trend.az",
    "xtrend.az",
    "MİLLİ.AZ",
    "mıllı.az",
    "Day.Az",
    "Day.Azx",
    "ДАЙ DAY.AZ",
    "report.az ReportXYZ Report-un Report-una",
    "APA APAx APA-nın АПА",
    "Turan Туран ИА «Туран» /Turan: / Туран :",
    "AZƏRTAC AZERTAC АЗЕРТАДЖ azertag.az AZERTAG.AZ",
    "Foto: Trend\n  Photo : Report",
    "Bakı. Trend: xəbər",
    # characters the regex engine folds beyond str.lower(): Cyrillic small letter rounded
    # ve/o/es (U+1C80..), long s, dotless i, Kelvin sign
    "\u1c83\u1c82обща\u0435т Trend",
    "передает APA",
    "Day.Az \u1c83ообщает Report",
    "TURAN.AZ tuRan.az ТУРАН",
    "mİllİ.az MILLI.AZ mıllı.az",
    "follow \u212arend on",
    "\u017fled APA-nın Report-\u017f",
    "",
]
SIGNAL_ALPHABET = st.sampled_from(
    list("TrendReportAPAТуранDay.Az@_-/: \n\tıİiIsſkKxаА«»\u1c80\u1c83\u212a\u0307Σς")
    + ["Trend", "Report", "APA", "Туран", "Turan", "day.az", ".az", "АЗЕРТАДЖ", "Foto", ": "]
)


def reference_detect(text: str) -> str | None:
    """The definition: strong pattern = 3, weak = 1; the best score >= 2 wins, else generic."""
    profiles = load_profiles()
    best, best_score = profiles.generic, 1
    for prof in profiles.sites:
        score = 3 * sum(1 for p in prof.strong if p.search(text))
        score += sum(1 for p in prof.weak if p.search(text))
        if score > best_score:
            best, best_score = prof, score
    return best.name


def _check_signals(text: str) -> None:
    for prof in load_profiles().sites:
        for sig in prof.signals:
            assert sig.found(text) == (sig.pattern.search(text) is not None), (
                prof.name,
                sig.pattern.pattern,
                text,
            )
    assert detect_site(text).name == reference_detect(text)


def test_signals_cover_strong_and_weak_patterns():
    for prof in load_profiles().sites:
        assert [s.pattern for s in prof.signals] == list(prof.strong) + list(prof.weak)
        assert [s.weight for s in prof.signals] == [3] * len(prof.strong) + [1] * len(prof.weak)
    assert any(s.prefilter is not None for p in load_profiles().sites for s in p.signals)


@pytest.mark.parametrize("text", PAGES + EDGE_TEXTS)
def test_site_signals_equal_plain_search(text):
    _check_signals(text)


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SIGNAL_ALPHABET, max_size=40).map("".join))
def test_site_signals_equal_plain_search_generated(text):
    _check_signals(text)


# --- normalisation -----------------------------------------------------------------------------

_REF_WS = re.compile(r"\s+")
_REF_EDGE = re.compile(r"^[\s•·\-–—*|>»«\"'“”‘’]+|[\s:.…|\-–—\"'“”‘’]+$")


def reference_norm_exact(text: str) -> str:
    """The regex definition of ``norm_exact``."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u0307", "")
    return _REF_EDGE.sub("", _REF_WS.sub(" ", folded).strip())


NORM_ALPHABET = st.sampled_from(
    list("aZ9əİIıçщЁ •·-–—*|>»«\"'“”‘’:.…\t\n\r\x0b\x0c\x1c\x85\xa0\u1680\u2003\u2028\u3000\u200b")
    + ["\u0307", "ﬁ", "①", "Ⅻ", "ß", "Latest", "Ətraflı", "Tags:"]
)


@pytest.mark.parametrize("text", [*EDGE_TEXTS, " • Read more… ", "—:—", "-:", "x -", '"a"', "…"])
def test_norm_exact_equals_regex_definition(text):
    assert norm_exact(text) == reference_norm_exact(text)


@hsettings(max_examples=400, deadline=None)
@given(st.lists(NORM_ALPHABET, max_size=30).map("".join))
def test_norm_exact_equals_regex_definition_generated(text):
    assert norm_exact(text) == reference_norm_exact(text)
    assert norm_repeat(text) == reference_norm_exact(text)


def test_norm_exact_on_every_page_line():
    for page in PAGES:
        for line in page.split("\n"):
            assert norm_exact(line) == reference_norm_exact(line)


# --- line rules ----------------------------------------------------------------------------------


def reference_first_rule(rules, line: str):
    """The definition: the first rule, in order, whose ``matches`` says yes."""
    return next((r for r in rules if r.matches(line)), None)


ALL_PROFILES = [load_profiles().generic, *load_profiles().sites]
PAGE_LINES = sorted({line for page in PAGES for line in page.split("\n")})
RULE_ALPHABET = st.sampled_from(
    list("0123456789 .:-–|•/»>()[]°+$€@#©\t")
    + [
        "Read more",
        "Latest",
        "Tags:",
        "Trend",
        "Follow",
        " on ",
        "Telegram",
        "kanal",
        "channel",
        "subscribe",
        "Ctrl+Enter",
        "Photo:",
        "Фото",
        "Baku",
        "15",
        "April",
        "2025",
        "12:30",
        "UTC",
        "+04:00",
        "Главная",
        "Home",
        "Politics",
        "Xəbərlər",
        "views",
        "AZN",
        "USD",
        "copyright",
        "All rights reserved",
        "Report",
        "day.az",
        "AZƏRTAC",
        "APA",
        "Turan",
        "Materials",
        "x" * 90,
    ]
)


def _check_rules(line: str) -> None:
    for prof in ALL_PROFILES:
        assert prof.matcher.first(line) is reference_first_rule(prof.rules, line), (prof.name, line)


def test_rule_alternation_covers_the_shipped_patterns():
    for prof in ALL_PROFILES:
        m = prof.matcher
        # every shipped rule pattern is anchored at the line start and goes into the alternation
        assert len(m._anchored) == sum(len(r.patterns) for r in prof.rules)
        for limit in (None, *m._limits):
            assert m._alternation(limit) not in (None, _ONE_BY_ONE)


def test_first_rule_equals_rule_by_rule_on_every_page_line():
    for line in PAGE_LINES:
        _check_rules(line)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RULE_ALPHABET, max_size=25).map("".join))
def test_first_rule_equals_rule_by_rule_generated(line):
    _check_rules(line)


def _rule(name, exact=(), patterns=(), max_chars=None, builtin=None):
    return LineRule(
        name=name,
        exact=frozenset(norm_exact(e) for e in exact),
        patterns=tuple(re.compile(p) for p in patterns),
        max_chars=max_chars,
        builtin=builtin,
    )


def test_matcher_with_unanchored_grouped_limited_and_builtin_rules():
    """The general paths: patterns not anchored, with groups, verbose, max_chars, a builtin."""
    rules = (
        _rule("short_exact", exact=["Share"], max_chars=5),
        _rule("unanchored", patterns=[r"(?i)spam\b"]),
        _rule("grouped", patterns=[r"^(ab)+\1?$"], max_chars=10),
        _rule("verbose", patterns=["(?x)^ foo # a comment with a ) paren"]),
        _rule("builtin", builtin=load_profiles().generic.rules[4].builtin),
        _rule("anchored", patterns=[r"(?i)^share\b.*", r"^\d+$"], max_chars=12),
        _rule("long_exact", exact=["Share", "Spam"]),
    )
    assert rules[4].builtin is not None
    matcher = RuleMatcher(rules)
    assert matcher._alternation(None) is _ONE_BY_ONE  # "grouped" has a group
    plain = RuleMatcher(rules[:2] + rules[3:])
    assert plain._alternation(None) not in (None, _ONE_BY_ONE)
    assert plain._alternation(12) not in (None, _ONE_BY_ONE)
    lines = [
        "Share",
        " share ",
        "Share it now",
        "Share it now please",
        "SPAM",
        "no spam here",
        "spammy",
        "abab",
        "ababab ab",
        "ababababababab",
        "foo",
        "foobar",
        " foo",
        "12:30",
        "15 April 2025",
        "123",
        "1234567890123",
        "Spam",
        "",
        "   ",
    ]
    for line in lines:
        assert matcher.first(line) is reference_first_rule(rules, line), line
        assert plain.first(line) is reference_first_rule(plain.rules, line), line
    assert matcher.first("no spam here").name == "unanchored"
    assert matcher.first("abab").name == "grouped"
    assert matcher.first("foobar").name == "verbose"
    assert matcher.first("Share it now").name == "anchored"
    assert matcher.first("Share it now please") is None  # too long for "anchored"
    assert matcher.first("Share").name == "short_exact"
    assert matcher.first("Share:").name == "anchored"  # 6 characters: too long for the first
    assert matcher.first("Spam").name == "unanchored"


def test_matcher_falls_back_when_patterns_cannot_be_combined():
    rules = (
        _rule("a", patterns=[r"^(?P<x>\d+)$"]),
        _rule("b", patterns=[r"^(?P<x>[a-z]+)$"]),  # the same group name twice
    )
    matcher = RuleMatcher(rules)
    for line in ["12", "ab", "a1", ""]:
        assert matcher.first(line) is reference_first_rule(rules, line)
    assert matcher._alternation(None) is _ONE_BY_ONE


# --- page helpers ----------------------------------------------------------------------------------


def reference_lang_hint(text: str) -> str | None:
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < 8:
        return None
    cyr = sum("\u0400" <= ch <= "\u04ff" for ch in letters)
    if cyr / len(letters) >= 0.6:
        return "cyr"
    if cyr / len(letters) > 0.2:
        return None
    low = text.casefold()
    schwa = low.count("ə")
    if schwa / len(letters) >= 0.01 or (len(letters) < 200 and schwa >= 1):
        return "az"
    special = sum(low.count(c) for c in "ğışçöü")
    if special / len(letters) >= 0.02:
        return None
    return "latin"


LANG_ALPHABET = st.sampled_from(
    list("abcəğışçöüАбвЁёҐєӘә҂\u0483\u0488 .,12²½Ⅻ_")
    + ["Baku", "Баку", "Bakı", "xəbər", "новости", "news"]
)


@hsettings(max_examples=300, deadline=None)
@given(st.lists(LANG_ALPHABET, max_size=60).map("".join))
def test_lang_hint_equals_letter_list_definition(text):
    assert _lang_hint(text) == reference_lang_hint(text)


def test_lang_hint_on_pages():
    for page in PAGES:
        assert _lang_hint(page) == reference_lang_hint(page)
        for line in page.split("\n"):
            assert _lang_hint(line) == reference_lang_hint(line)


def test_blank_lines_normalise_to_nothing():
    """``_Page.keys`` skips normalising whitespace-only lines: their norm_exact is empty."""
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert len(spaces) > 20
    for ch in spaces:
        assert norm_exact(ch) == "" and norm_exact(ch * 3 + " \t") == ""


def test_special_case_characters_are_the_regex_engines_extra_case_pairs():
    """A character is special when a case-insensitive regex match of it is not a str.lower()
    match: the regex engine's extra case pairs (i/ı, s/ſ, σ/ς, the Cyrillic letters with
    historic variants), "İ" (lowers to two characters) and the combining dot above."""
    for ch in "iIsSıİ\u0307σΣςſвВоОсСтТъЪ":
        assert _special_case(ch), ch
    for ch in "aAbkKzəƏçÇğĞöÖşŞüÜаАбБеЕжЖзЗ0 .-@/":
        assert not _special_case(ch), ch
    # what the definition says, for every character of the scripts we meet
    bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    for ch in "".join(map(chr, range(0x20, 0x530))):
        matched = re.findall("(?i)" + re.escape(ch), bmp)
        expected = (
            len(ch.lower()) != 1
            or ch in "\u0130\u0307"
            or any(t.lower() != ch.lower() for t in matched)
        )
        assert _special_case(ch) == expected, hex(ord(ch))


def test_case_pairs_do_not_cross_the_basic_multilingual_plane():
    """``_special_case`` asks the engine about the BMP only: no character beyond it matches a BMP
    character case-insensitively, and the other way round."""
    bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    beyond = "".join(map(chr, range(0x10000, 0x110000)))
    cased_bmp = [c for c in bmp if c.lower() != c or c.upper() != c]
    cased_beyond = [c for c in beyond if c.lower() != c or c.upper() != c]
    assert cased_bmp and cased_beyond
    assert re.findall("(?i)[" + "".join(map(re.escape, cased_bmp)) + "]", beyond) == []
    assert re.findall("(?i)[" + "".join(map(re.escape, cased_beyond)) + "]", bmp) == []


def test_pattern_reader_anchoring_and_what_it_does_not_know():
    def anchored(p):
        return _anchored(re.compile(p))

    assert anchored(r"^foo") and anchored(r"(?i)^foo") and anchored(r"^a|^b")  # prefix taken out
    assert not anchored(r"\Afoo") and not anchored(r"(?m)^foo") and not anchored(r"foo^")
    assert not anchored(r"(?:^a|b)") and anchored(r"(?x) ^ foo  # comment )")
    assert _scans_line(re.compile(r"^.{0,80}x")) and _scans_line(re.compile(r"^(?!a)b"))
    assert _scans_line(re.compile(r"^(?:.)*x")) and not _scans_line(re.compile(r"^a.*"))

    def reqs(p):
        return [sorted(r) for r in _pattern_requirements(re.compile(p))]

    assert reqs(r"(foo)\1bar") == [["foo"], ["bar"]]
    assert reqs(r"(?x) foo bar  # comment") == [["foobar"]]
    assert reqs(r"(x)?(?(1)abc|def)") == []  # a conditional: no pre-check, never a wrong one
    assert reqs(r"abc(?#note)def") == [["abcdef"]]
    assert reqs(r"[.]az[x]") == [[".azx"]]  # one-character classes are literals
    assert reqs(r"\x41BC\u0259xy") == [["abcəxy"]]
    assert reqs(r"found (?:a|an) error") == [["found a"], [" error"]]
    assert reqs(r"abcd{0,2}efg") == [["abc"], ["efg"]]
    assert reqs(r"abc(?:xyz){2}efg") == [["abc"], ["xyz"], ["efg"]]
    assert reqs(r"\Afoo") == [["foo"]]


def test_literal_requirements_of_some_patterns():
    def reqs(p):
        return [sorted(r) for r in _pattern_requirements(re.compile(p))]

    assert reqs(r"(?i)\bday\.az\b") == [["day.az"]]
    assert reqs(r"(?i)\bmilli\.az\b") == [[".az"]]  # i and ı fold together: split there
    assert reqs(r"(?:Materials|Materiallar) \d+ \(UTC") == [["mater"], [" (utc"]]
    assert reqs(r"^(?=.*(?:whatsapp|telegram))(?=.*kanal).*$") == [["telegram", "what"], ["kanal"]]
    assert reqs(r"^a?(?:foo|\d)bar") == [["bar"]]  # a branch without a literal gives nothing
    assert reqs(r"(?:foo)*x{0,3}") == []
