"""The text of a line: normalisation, hashing, per-process memos, and the shape of a line.

``norm`` / ``norm_exact`` / ``norm_repeat`` are the three normal forms every other module compares
lines in; ``_line_key`` and ``_memo_key_hash`` memoise them for the short lines that repeat across
the pages of a site. ``_is_prose``, ``_is_title_like`` and ``_lang_hint`` say what a line looks like
(a sentence, a headline, which script). ``HEADER_RE`` is the scraper's first-line format
(`` date YYYY-MM-DD <text>``); what that line means is decided in ``header.py``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

HEADER_RE = re.compile(
    r"^\ufeff?[ \t]{0,3}(?i:date)[ \t]+(\d{4})-(\d{1,2})-(\d{1,2})(?:[ \t]+(.*?))?[ \t]*$"
)
_SENTENCE_END = re.compile(r"[.!?…][\"'»”’)\]]*(?:\s|$)")


def norm(text: str) -> str:
    """Case-folded, NFKC, whitespace-folded text."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("\u0307", "")  # İ -> i
    return " ".join(folded.split())  # whitespace runs -> one space, stripped


# leading bullets/quotes and trailing ":", ".", "…", dashes, quotes (str.strip is ~10x a regex)
# (after ``norm`` the only whitespace left is " ")
_LEAD_CHARS = " •·-–—*|>»«\"'“”‘’"
_TRAIL_CHARS = " :.…|-–—\"'“”‘’"


def norm_exact(text: str) -> str:
    """``norm`` without leading bullets and trailing ":", "." or "…" (for exact-line lists)."""
    return norm(text).lstrip(_LEAD_CHARS).rstrip(_TRAIL_CHARS)


def norm_repeat(text: str) -> str:
    """Normalisation for repeated-line detection: folded, whitespace folded, edges stripped.

    Unlike cc_net, digits are kept: news lines differing only in figures ("Azeri Light costs
    $75.32" day after day) are content, and dates/counters are caught by the line rules.
    """
    return norm_exact(text)


def line_hash(text: str) -> int:
    return _key_hash(norm_repeat(text))


def _key_hash(key: str) -> int:
    """64-bit hash of an already normalised line (``norm_repeat``)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "big")


# Per-process memos of pure per-line functions. Boilerplate lines (menus, bylines, footers, share
# buttons) repeat across the pages of a site; long lines are prose and seldom do, so only short
# ones are kept, and a full memo is emptied rather than grown. 4,096 entries per memo are as fast
# as 65,536 (run_clean on 6,000 generated pages, one process: 0.67 vs 0.73 ms/page) and keep a
# worker process ~60 MB smaller on a 100k-file run (each site profile has its own rule memo).
MEMO_MAX_CHARS = 200
MEMO_MAX_ENTRIES = 1 << 12
_LINE_KEYS: dict[str, str] = {}
_KEY_HASHES: dict[str, int] = {}


def _line_key(line: str) -> str:
    """``norm_exact(line)``, "" for a blank line (memoised)."""
    key = _LINE_KEYS.get(line)
    if key is None:
        # a blank line normalises to "" (whitespace only: NFKC keeps it whitespace)
        key = norm_exact(line) if line and not line.isspace() else ""
        if len(line) <= MEMO_MAX_CHARS:
            if len(_LINE_KEYS) >= MEMO_MAX_ENTRIES:
                _LINE_KEYS.clear()
            _LINE_KEYS[line] = key
    return key


def _memo_key_hash(key: str) -> int:
    """``_key_hash(key)`` (memoised)."""
    h = _KEY_HASHES.get(key)
    if h is None:
        h = _key_hash(key)
        if len(key) <= MEMO_MAX_CHARS:
            if len(_KEY_HASHES) >= MEMO_MAX_ENTRIES:
                _KEY_HASHES.clear()
            _KEY_HASHES[key] = h
    return h


def _words(text: str) -> list[str]:
    return text.split()


_ENDS_SENTENCE = re.compile(r"[.!?…][\"'»”’)\]]*$")


def _is_prose(text: str) -> bool:
    t = text.strip()
    if len(t) >= 100 and _SENTENCE_END.search(t):
        return True
    return len(t) >= 40 and len(_words(t)) >= 6 and _ENDS_SENTENCE.search(t) is not None


# "... said. The ...": a sentence ends inside (two lower-case letters before the stop, so "г. Баку"
# or "Dr. Smith" are not sentence ends)
_INNER_SENTENCE = re.compile(r"(?:[a-zа-яёəğıöşüç]{2}|[)»”])[.!?]\s+[A-ZА-ЯЁƏÇĞİÖŞÜ]")


def _is_title_like(text: str) -> bool:
    t = text.strip()
    n = len(_words(t))
    if not (15 <= len(t) <= 250 and 3 <= n <= 35):
        return False
    if t.endswith(".") and not t.endswith("..."):
        return False
    if t[0].islower() or t[-1] in ",;:–—-" or _INNER_SENTENCE.search(t):
        return False  # it continues a sentence, leads into one, or holds a sentence's end
    letters = sum(map(str.isalpha, t))
    return letters >= 0.6 * len(t.replace(" ", ""))


_CYRILLIC_LETTERS = re.compile(
    "[" + "".join(re.escape(ch) for ch in map(chr, range(0x400, 0x500)) if ch.isalpha()) + "]"
)


def _lang_hint(text: str) -> str | None:
    """A coarse script/language class: cyr, az, latin; None when unclear."""
    letters = sum(map(str.isalpha, text))
    if letters < 8:
        return None
    cyr = len(_CYRILLIC_LETTERS.findall(text))  # letters in U+0400..U+04FF
    if cyr / letters >= 0.6:
        return "cyr"
    if cyr / letters > 0.2:
        return None
    low = text.casefold()
    schwa = low.count("ə")
    if schwa / letters >= 0.01 or (letters < 200 and schwa >= 1):
        return "az"
    special = sum(low.count(c) for c in "ğışçöü")
    if special / letters >= 0.02:
        return None  # Turkish or Azerbaijani without ə: unclear
    return "latin"
