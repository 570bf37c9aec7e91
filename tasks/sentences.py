"""Sentence splitting of our own: no stanza, spaCy, MiniSBD or network.

Rule-based, for the languages of the corpus (en, az, ru, tr, uk). Splits after ``.``, ``!``,
``?`` or ``…`` (optionally followed by closing quotes/brackets) when the next token starts like a
sentence (capital letter, digit, opening quote or dash), except after known abbreviations,
initials ("M.P. Gagarin") and numbers ("5. maddə").
"""

from __future__ import annotations

import re

# Lower-cased abbreviations (without the final dot) that do not end a sentence.
_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st jr sr vs etc inc ltd co corp gen col lt sgt gov sen rep no nos vol
    fig jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m approx dept
    est mln bln mlrd
    akad dos müəl şək səh bax
    г гг т тыс млн млрд руб им ул д стр см рис проф акад доц т.е т.д т.п др пр ст
    sn dr doç yrd av müh bkz vb vs örn
    """.split()
)

_SPLIT = re.compile(
    r"""
    [.!?…]                 # a sentence-final mark (consumed: the same matches as a lookbehind,
                           # as a match ends after whitespace, but the regex engine can skip
                           # ahead to the next mark; 1.5x faster)
    (["'»”’)\]]*)          # optional closing quotes / brackets (kept with the sentence)
    \s+                    # whitespace
    (?=["'«“‘(\[—–-]?\s*[A-ZÀ-ÖØ-ÞĀ-ſƏÇĞİÖŞÜА-ЯЁІЇЄҐ0-9])  # a sentence-like start
    """,
    re.VERBOSE,
)
# Tokens before a "." that end no sentence (see _is_false_boundary): initials, ordinals.
_INITIALS = re.compile(r"(?:[^\W\d_]\.)*[^\W\d_]")
_ORDINAL = re.compile(r"\d{1,3}")


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences; joining them with single spaces restores its words."""
    text = text.strip()
    if not text:
        return []
    pieces: list[str] = []
    start = 0
    for match in _SPLIT.finditer(text):
        candidate = text[start : match.end(1)]
        if _is_false_boundary(candidate):
            continue
        pieces.append(candidate.strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        pieces.append(tail)
    return [p for p in pieces if p]


def _is_false_boundary(candidate: str) -> bool:
    stripped = candidate.rstrip()
    if not stripped.endswith("."):
        return False
    # the last whitespace-free token without its final dot (what a search for
    # ``(\S+)[.!?…]["'»”’)\]]*$`` captures when the text ends in "."); none for a lone "."
    token = stripped.rsplit(None, 1)[-1][:-1]
    if not token:
        return False
    token = token.lstrip("\"'«“‘([")
    if token.lower() in _ABBREVIATIONS:
        return True
    # initials such as "M.P." or "J." and dotted abbreviations such as "U.S."
    if _INITIALS.fullmatch(token) and len(token.replace(".", "")) <= 3:
        return True
    # ordinal numbers: "5." in "5. maddə", "18." in Turkish list items
    return bool(_ORDINAL.fullmatch(token))
