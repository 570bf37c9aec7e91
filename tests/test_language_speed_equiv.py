"""The fast text analysis of the language stage equals the plain definitions it replaced.

Each reference below is the code the stage ran before its speed-up (commit 045a3ac), kept
here as the specification; hypothesis draws text mixing ASCII, Turkic and other Latin
letters, Cyrillic (Russian, Ukrainian, Kazakh), letters and digits above U+2000 (CJK,
fullwidth, Roman numerals), marks, joiners and sentence punctuation.
"""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tasks import language, sentences
from tasks.language import (
    _WORD_RE,
    _candidates,
    _script_of,
    _shape,
    _shapes_differ,
    _signal,
    _words,
)

ALPHABET = (
    "aAbBeEiIkKoOsStTzZ əƏçÇğĞıİöÖşŞüÜâîûýþð ãéñßªºµ² ¼ "
    "аАбБеЕиИоОсСтТыЭъёЁ іІїЇєЄґҐ әғқңөұүһӘҚ "
    "ΑαβΩ אב ع ქ 中文ｆＡⅫ① ́ "
    "'’-_ 0123456789 .!?…,;:«»“”‘\"()[]—– \n\t@/"
)
TEXT = st.text(alphabet=ALPHABET, max_size=120)
SETTINGS = hsettings(max_examples=400, deadline=None)


def ref_script(text: str) -> str | None:
    stripped = (
        language._URL_RE.sub(" ", text) if ("@" in text or "www" in text or "//" in text) else text
    )
    words = _WORD_RE.findall(stripped)
    counts: Counter[str] = Counter()
    for ch, n in Counter("".join(words)).items():
        script = _script_of(ch)
        if script is not None:
            counts[script] += n
    return counts.most_common(1)[0][0] if counts else None


def ref_shape(sentence: str) -> tuple[bool, bool]:
    cyrillic = len(re.findall(r"[\u0400-\u04ff]", sentence))
    latin = len(re.findall(r"[A-Za-z]", sentence))
    extended = len(re.findall(r"[\u00c0-\u024f\u0259\u018f]", sentence))
    return cyrillic > latin + extended, extended > 0


def ref_candidates(sig, expected) -> tuple[str, ...]:
    script = sig.script
    of_script = [lang for lang in expected if language._LANG_SCRIPT.get(lang) == script]
    if not of_script:
        return tuple(sorted(x for x in language._SCRIPT_LANGS.get(script, ()) if x != "kk"))
    joined = " ".join(sig.words)
    extra = {
        lang
        for lang, letters in language._EVIDENCE_LETTERS.items()
        if language._LANG_SCRIPT[lang] == script and letters.intersection(joined)
    }
    if (
        script == "CYRILLIC"
        and "uk" not in of_script
        and (language._UK_LATIN_I.search(joined) or not language._RU_ONLY.intersection(joined))
    ):
        extra.add("uk")
    return tuple(sorted(set(of_script) | extra))


_REF_SPLIT = re.compile(
    r"""(?<=[.!?…])(["'»”’)\]]*)\s+(?=["'«“‘(\[—–-]?\s*[A-ZÀ-ÖØ-ÞĀ-ſƏÇĞİÖŞÜА-ЯЁІЇЄҐ0-9])""",
    re.VERBOSE,
)
_REF_LAST_TOKEN = re.compile(r"(\S+)[.!?…][\"'»”’)\]]*$")


def ref_is_false_boundary(candidate: str) -> bool:
    stripped = candidate.rstrip()
    if not stripped.endswith("."):
        return False
    m = _REF_LAST_TOKEN.search(stripped)
    if not m:
        return False
    token = m.group(1).lstrip("\"'«“‘([")
    if token.lower() in sentences._ABBREVIATIONS:
        return True
    if re.fullmatch(r"(?:[^\W\d_]\.)*[^\W\d_]", token) and len(token.replace(".", "")) <= 3:
        return True
    return bool(re.fullmatch(r"\d{1,3}", token))


@SETTINGS
@given(TEXT)
def test_words_and_script_equal_the_plain_definitions(text):
    assert _words(text) == _WORD_RE.findall(text)
    sig = _signal(text)
    assert sig.script == ref_script(text)
    assert sig.chars == "".join(sig.words).replace("-", "").replace("'", "").replace("’", "")
    assert sig.letters == sum(1 for ch in sig.chars if _script_of(ch) is not None)


@SETTINGS
@given(TEXT, st.sampled_from([("en", "az", "ru", "tr"), ("ru",), ("en", "uk"), ("az",), ()]))
def test_candidates_equal_the_plain_definition(text, expected):
    sig = _signal(text)
    if sig.script is not None:
        assert _candidates(sig, expected) == ref_candidates(sig, expected)


@SETTINGS
@given(TEXT)
def test_shapes_equal_the_plain_definition(text):
    assert _shape(text) == ref_shape(text)
    para = text.strip()
    if para:
        split = sentences.split_sentences(para) or [para]
        want = split if len({ref_shape(x) for x in split}) > 1 else None
        assert _shapes_differ(para) == want


@SETTINGS
@given(TEXT)
def test_sentence_boundaries_equal_the_plain_definition(text):
    spans = [(m.end(1), m.end()) for m in sentences._SPLIT.finditer(text)]
    assert spans == [(m.end(1), m.end()) for m in _REF_SPLIT.finditer(text)]
    for end, _ in spans:
        candidate = text[:end]
        assert sentences._is_false_boundary(candidate) == ref_is_false_boundary(candidate)
    assert sentences._is_false_boundary(text) == ref_is_false_boundary(text)
