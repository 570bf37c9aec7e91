"""The clean stage's per-line shortcuts (gated patterns, memos, digit check) answer as the plain code.

Complements tests/test_clean_fast.py: lines built around the literal pieces that open the gated
("walk the line") rule patterns, repeated calls through the memos, and digit characters outside
ASCII.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks.clean import (
    HEADER_RE,
    MEMO_MAX_CHARS,
    _doc_line_hashes,
    _has_digit,
    _line_key,
    _memo_key_hash,
    _scans_line,
    load_profiles,
    norm_exact,
    norm_repeat,
)

ALL_PROFILES = [load_profiles().generic, *load_profiles().sites]


def reference_first_rule(rules, line: str):
    return next((r for r in rules if r.matches(line)), None)


def reference_line_hashes(text: str) -> set[int]:
    """The definition of ``_doc_line_hashes`` before the memos."""
    hashes = set()
    for i, line in enumerate(text.split("\n")):
        if i == 0 and (m := HEADER_RE.match(line)):
            line = m.group(4) or ""
        if not line or line.isspace():
            continue
        key = norm_repeat(line)
        if key:
            digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
            hashes.add(int.from_bytes(digest, "big"))
    return hashes


def test_the_shipped_scan_type_patterns_are_gated():
    # the expensive ``^.{0,N}...`` / ``^(?=...)`` footer patterns leave the alternation
    for prof in ALL_PROFILES:
        gated = {p.pattern for _, p, _ in prof.matcher._gated}
        assert any("all rights reserved" in p for p in gated), prof.name
        assert all(_scans_line(p) for _, p, _ in prof.matcher._gated)
        assert all(reqs for _, _, reqs in prof.matcher._gated)


# pieces of the gated patterns (and near misses), so that the gates open and close
GATE_WORDS = [
    "All rights reserved",
    "all rights",
    "Bütün hüquqlar qorunur",
    "Все права защищены",
    "Ctrl+Enter",
    "ctrl + enter",
    "Telegram",
    "WhatsApp",
    "kanalımıza qoşulun",
    "channel",
    "канал",
    "subscribe",
    "follow",
    "Trend-in",
    "Report",
    "APA",
    "Day.Az",
    "AZƏRTAC",
    "Turan",
    "при использовании материалов",
    "When using materials",
    "©",
    "2025",
    "İ",
    "ı",
]
GATE_LINES = st.lists(
    st.one_of(st.sampled_from(GATE_WORDS), st.sampled_from([" ", ", ", ": ", ". ", " x" * 30])),
    max_size=10,
).map("".join)


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GATE_LINES)
def test_gated_patterns_give_the_rule_by_rule_answer(line):
    for prof in ALL_PROFILES:
        want = reference_first_rule(prof.rules, line)
        assert prof.matcher.first(line) is want, (prof.name, line)
        assert prof.matcher.first(line) is want, (prof.name, line)  # again, through the memo
        assert prof.matcher.first(line, norm_exact(line)) is want, (prof.name, line)


def test_memoised_answers_for_long_and_short_lines():
    prof = load_profiles().generic
    short = "Copyright © 2025 Trend. All rights reserved."
    long = "x " * MEMO_MAX_CHARS + "All rights reserved"
    for line in (short, long, short, long):
        assert prof.matcher.first(line) is reference_first_rule(prof.rules, line)
    assert prof.matcher.first(short).name == "follow_footer"
    assert prof.matcher.first(long) is None  # too long for follow_footer (max_chars 200)


@pytest.mark.parametrize(
    "text",
    ["", "abc", "a1", "١٢٣", "x²", "①", "٣", "abc ə", "Баку, 2 мая", "¼", "Ⅻ", "\u00b9", "no"],
)
def test_has_digit_is_any_isdigit(text):
    assert _has_digit(text) == any(ch.isdigit() for ch in text)


@given(st.text(max_size=30))
def test_has_digit_generated(text):
    assert _has_digit(text) == any(ch.isdigit() for ch in text)


@given(st.text(alphabet=st.sampled_from(list(" \t\u00a0aAİıə1.:•—")), max_size=20))
def test_line_key_is_norm_exact(line):
    want = norm_exact(line) if line and not line.isspace() else ""
    assert _line_key(line) == want
    assert _line_key(line) == want  # memoised
    if want:
        digest = hashlib.blake2b(want.encode("utf-8"), digest_size=8).digest()
        assert _memo_key_hash(want) == int.from_bytes(digest, "big")


@pytest.mark.parametrize(
    "text",
    [
        " date 2025-04-22 Trend News Agency\nBaku\n\n  \nAll rights reserved\nBaku",
        "no header\n•\n\t\n" + "long line " * 40,
        " date 2025-13-40\n",
        "",
    ],
)
def test_doc_line_hashes_as_defined(text):
    assert _doc_line_hashes(text) == reference_line_hashes(text)
    assert _doc_line_hashes(text) == reference_line_hashes(text)  # through the memos
