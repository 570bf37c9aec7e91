"""Clean: header line, site profiles, repeated-line detection, metadata -> ``Article``.

Pure functions, no Prefect (the batch tasks are in ``tasks/batch.py``).

How one page is cleaned (``clean_document``):

1. The scraper's first line `` date YYYY-MM-DD <text>`` gives the header date and a text whose role
   (banner, title, lead, byline, noise, none) is decided after the rest of the page is understood.
2. The site is recognised from the text (``tasks/sites/*.toml``: domains, X/Twitter handles,
   attribution phrases, agency datelines, photo credits, follow lines); its line rules run before
   the generic ones (``tasks/sites/_generic.toml``). Every removed line is kept in
   ``Article.removed`` with the rule that removed it; nothing else leaves the page (lossless,
   whole lines only). Standalone date/time lines are recognised by the ``datetime_line`` builtin:
   any order of dates, times, UTC offsets, weekdays and labels ("Published:", "Опубликовано:").
3. Breadcrumbs: a home/navigation word alone or starting a one-line trail, and numbered trails
   ("1. Xəbərlər", "2. İqtisadiyyat") in any language when they open the page (numbered 1, 2, ...,
   >= 2 short items, before any prose). The last crumb names the category.
4. cc_net-style repeated lines: a line seen in >= ``repeated_line_min_docs`` documents of the site
   and in >= ``repeated_line_min_share`` of them is boilerplate (rule ``repeated_line``).
5. The head zone (before the first body paragraph) yields title, author, category (a section
   label there, unless it is part of a >= 3-line menu), time. An end marker after the body
   ("Latest", "Digər xəbərlər", "Последние новости", "Tags:", or "Read more" with no sentence
   after it) ends the article when what follows it holds a headline or a time line: headlines
   become ``related_teaser``, teaser sentences ``related_block``. A marker followed by sentences
   only is an in-article label and they stay. Headlines right after an in-body "Read more", next
   to time lines after the last paragraph, or in a "Latest" sidebar above the title are
   ``related_teaser`` too.
6. Dates: the page's own time line (site profile), else a date + time line above the article
   (the one agreeing with the header date if there are several; "Updated:" lines never), else
   the header date, else a date-only line above the article. ``published_date`` is the local date
   as stated; ``published_at`` only when the page states the UTC offset: never guessed.
7. The kept lines, in order, are the body, one paragraph per line, separated by a blank line.

Datelines ("BAKU, Azerbaijan, April 22.", "Баку, 2 мая, АЗЕРТАДЖ") are extracted as metadata; a
dateline alone on a line is removed (rule ``dateline``), one that starts a paragraph stays in it.
Errs on the side of keeping content: a removed content line is worse than a kept boilerplate line.
"""

from __future__ import annotations

import hashlib
import re
import re._constants as _sre_const
import time
import tomllib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from re._parser import parse as _sre_parse

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

SITES_DIR = Path(__file__).with_name("sites")
GENERIC_PROFILE = "_generic"
UNKNOWN_SITE = "unknown"
REPEATED_MAX_CHARS = 400  # longer lines are prose; never removed as repeated boilerplate

HEADER_RE = re.compile(
    r"^\ufeff?[ \t]{0,3}(?i:date)[ \t]+(\d{4})-(\d{1,2})-(\d{1,2})(?:[ \t]+(.*?))?[ \t]*$"
)
_SENTENCE_END = re.compile(r"[.!?…][\"'»”’)\]]*(?:\s|$)")
_UPPER = "A-ZƏÇĞİÖŞÜÄÂÎÛА-ЯЁҒҚҢӨҮҰҺІЇЄҐ"


# --- normalisation ---------------------------------------------------------------------------


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


# --- site profiles ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineRule:
    name: str
    exact: frozenset[str] = frozenset()
    patterns: tuple[re.Pattern[str], ...] = ()
    max_chars: int | None = None
    starts_tail: bool = False
    builtin: DatetimeLine | None = None  # a coded check (``builtin = "datetime_line"``)

    def matches(self, line: str, key: str | None = None) -> bool:
        """Whether the rule removes ``line`` (``key``: its ``norm_exact``, if already known)."""
        if self.max_chars is not None and len(line.strip()) > self.max_chars:
            return False
        if self.exact and (norm_exact(line) if key is None else key) in self.exact:
            return True
        if any(p.search(line) for p in self.patterns):
            return True
        return self.builtin is not None and self.builtin(line)


@dataclass(frozen=True, slots=True)
class DatetimeLine:
    """A line made only of dates, times, UTC offsets, weekdays and date labels, in any order.

    "Published: 15 September 2025 | 11:40", "12:30, 13 yanvar 2026", "Bazar ertəsi, 15 sentyabr
    2025", "2 мая 2025 года, 14:10", "13 yanvar 2026-cı il 10:05": every token is explained by a
    date/time pattern or a word of ``[datetime] words`` in ``_generic.toml``; anything else left
    over (a figure, a word) means the line says more than a time, and it is not matched.
    """

    tokens: tuple[re.Pattern[str], ...]
    words: re.Pattern[str]
    max_chars: int = 80

    def __call__(self, line: str) -> bool:
        t = line.strip()
        if not t or len(t) > self.max_chars or not _has_digit(t):
            return False
        rest = norm(t)
        found = False
        for rx in self.tokens:
            rest, k = rx.subn(" ", rest)
            found = found or k > 0
        if not found:
            return False
        rest = self.words.sub(" ", rest)
        return _LETTER_OR_DIGIT.search(rest) is None  # nothing left but punctuation


_DECIMAL = re.compile(r"\d")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


def _has_digit(text: str) -> bool:
    """``any(ch.isdigit() for ch in text)``."""
    if _DECIMAL.search(text) is not None:  # \d: the decimal digits, all of them isdigit()
        return True
    # ASCII has no digit but 0-9; beyond it superscripts, circled digits, ... are isdigit()
    return not text.isascii() and any(map(str.isdigit, text))


def _datetime_line(month_alt: str, words: list[str]) -> DatetimeLine:
    num_date = r"(?<!\d)(?:\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})|\d{4}-\d{1,2}-\d{1,2})(?!\d)"
    month_date = (
        rf"(?<!\d)(?:\d{{1,2}}\s*[.,]?\s*(?:{month_alt})\.?(?![^\W\d_])(?:,?\s*\d{{4}})?"
        rf"|(?<![^\W\d_])(?:{month_alt})\.?\s+\d{{1,2}}(?:,?\s*\d{{4}})?)(?!\d)"
    )
    tokens = (
        re.compile(r"\(?(?:utc|gmt)\s*(?:[+\-−–]\s*\d{1,2}(?::?\d{2})?)?\)?"),
        re.compile(num_date),
        re.compile(month_date),
        re.compile(r"(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:am|pm))?(?![\d:])"),
        re.compile(r"\[\s*\]|\(\s*\)"),
    )
    alt = "|".join(re.escape(norm(w)) for w in sorted(set(words), key=len, reverse=True))
    word_rx = re.compile(rf"(?<![^\W\d_])(?:{alt})(?![^\W\d_])") if alt else re.compile(r"(?!)")
    return DatetimeLine(tokens, word_rx)


_INLINE_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
_SCOPED_FLAGS = (
    (re.ASCII, "a"),
    (re.IGNORECASE, "i"),
    (re.MULTILINE, "m"),
    (re.DOTALL, "s"),
    (re.VERBOSE, "x"),
)


def _anchored(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can only match at the start of the string (``^`` first, no (?m))."""
    if pattern.flags & re.MULTILINE:
        return False
    try:
        items = _sre_parse(pattern.pattern, pattern.flags).data
    except Exception:  # noqa: BLE001 - private parser API changed: take the general path
        return False
    return bool(items) and items[0] == (_sre_const.AT, _sre_const.AT_BEGINNING)


def _scoped(pattern: re.Pattern[str]) -> str:
    """``pattern`` as a group usable inside an alternation, its global flags made local."""
    src = _INLINE_FLAGS.sub("", pattern.pattern, count=1)
    letters = "".join(ch for flag, ch in _SCOPED_FLAGS if pattern.flags & flag)
    end = "\n)" if pattern.flags & re.VERBOSE else ")"  # a (?x) comment must not eat the ")"
    return f"(?{letters}:{src}{end}" if letters else f"(?:{src}{end}"


class RuleMatcher:
    """The first rule of an ordered list that removes a line, with one regex call per line.

    Same answer as ``next((r for r in rules if r.matches(line, key)), None)``:

    * exact lists: one dict lookup (normalised line -> the first rule listing it);
    * the patterns that are anchored at the line start (all of the shipped ones): one
      alternation in rule order, each alternative ending in an empty marker group, so that
      ``match`` returns the first pattern (in rule order) that matches at position 0, which for an
      anchored pattern is the same as ``search``; ``lastgroup`` names its rule;
    * other patterns and builtins: tried one by one, only for rules before the best so far;
    * anchored patterns that walk the line before they can fail (``^.{0,120}(?:all rights
      reserved|...)``, ``^(?=.*telegram)``): out of the alternation, each tried alone only on the
      lines holding its necessary literal pieces (``_pattern_requirements`` on ``line.lower()``);
    * ``max_chars``: the rules a line is too long for are left out (one alternation per set of
      active rules, compiled on first use);
    * the answer for a short line is memoised (boilerplate lines repeat across pages).
    """

    __slots__ = (
        "rules",
        "_exact",
        "_anchored",
        "_gated",
        "_other",
        "_limits",
        "_combined",
        "_memo",
    )

    def __init__(self, rules: tuple[LineRule, ...]) -> None:
        self.rules = rules
        self._exact: dict[str, tuple[int, ...]] = {}
        for i, r in enumerate(rules):
            for key in r.exact:
                self._exact[key] = self._exact.get(key, ()) + (i,)
        # (rule index, pattern) in rule order
        self._anchored = [(i, p) for i, r in enumerate(rules) for p in r.patterns if _anchored(p)]
        # (rule index, pattern, necessary pieces of ``line.lower()``) of the anchored patterns
        # that walk the line before they can fail (``^.{0,120}(?:all rights reserved|...)``,
        # ``^(?=.*telegram)...``): left out of the alternation, tried alone on the lines holding
        # a piece of each requirement (few lines do)
        self._gated = [
            (i, p, reqs)
            for i, p in self._anchored
            if _scans_line(p) and (reqs := _pattern_requirements(p))
        ]
        self._other = [
            (i, p, r.builtin)
            for i, r in enumerate(rules)
            for p in (*(q for q in r.patterns if not _anchored(q)), *((None,) if r.builtin else ()))
        ]
        self._limits = sorted({r.max_chars for r in rules if r.max_chars is not None})
        self._combined: dict[int | None, re.Pattern[str] | None] = {}
        self._memo: dict[tuple[str, str | None], int] = {}  # (line, key) -> index of the rule

    def _alternation(self, limit: int | None) -> re.Pattern[str] | None:
        """The anchored patterns (but the gated ones) of the rules active for lines longer than ``limit``."""
        if limit not in self._combined:
            gated = {id(p) for _, p, _ in self._gated}
            active = [
                (i, p)
                for i, p in self._anchored
                if id(p) not in gated and self._active(self.rules[i], limit)
            ]
            if any(p.groups for _, p in active):  # group numbers would shift: one at a time
                self._combined[limit] = _ONE_BY_ONE
            else:
                # marker group names: "r<rule index>_<alternative>" (a rule may have several)
                parts = [f"{_scoped(p)}(?P<r{i}_{k}>)" for k, (i, p) in enumerate(active)]
                try:
                    self._combined[limit] = re.compile("|".join(parts)) if parts else None
                except re.error:  # one pattern at a time
                    self._combined[limit] = _ONE_BY_ONE
        return self._combined[limit]

    @staticmethod
    def _active(rule: LineRule, limit: int | None) -> bool:
        # ``limit``: the largest max_chars below the line's length (None: none is below)
        return rule.max_chars is None or limit is None or rule.max_chars > limit

    def first(self, line: str, key: str | None = None) -> LineRule | None:
        rules = self.rules
        if len(line) > MEMO_MAX_CHARS:
            best = self._first(line, key)
        else:
            memo = self._memo
            best = memo.get((line, key))
            if best is None:
                best = self._first(line, key)
                if len(memo) >= MEMO_MAX_ENTRIES:
                    memo.clear()
                memo[line, key] = best
        return rules[best] if best < len(rules) else None

    def _first(self, line: str, key: str | None) -> int:
        """The index of the first rule removing ``line`` (``len(rules)``: none)."""
        rules = self.rules
        limit = None
        if self._limits:
            n = len(line.strip())
            for m in self._limits:
                if m < n:
                    limit = m
        best = len(rules)
        if self._exact:
            for i in self._exact.get(norm_exact(line) if key is None else key, ()):
                if self._active(rules[i], limit):
                    best = i
                    break
        combined = self._alternation(limit)
        if combined is _ONE_BY_ONE:  # all anchored patterns, one at a time
            for i, p in self._anchored:
                if i >= best:
                    break
                if self._active(rules[i], limit) and p.search(line):
                    best = i
                    break
        else:
            if combined is not None:
                m = combined.match(line)
                if m is not None:
                    best = min(best, int(m.lastgroup[1:].partition("_")[0]))
            if self._gated:
                lowered = line.lower()
                for i, p, reqs in self._gated:
                    if i >= best:
                        break
                    for alts in reqs:  # _meets(reqs, lowered), inlined
                        for piece in alts:
                            if piece in lowered:
                                break
                        else:
                            break  # a necessary piece is missing: ``p`` cannot match
                    else:
                        if self._active(rules[i], limit) and p.match(line) is not None:
                            best = i
                            break
        for i, p, builtin in self._other:
            if i >= best:
                break
            if not self._active(rules[i], limit):
                continue
            if p.search(line) if p is not None else builtin(line):
                best = i
                break
        return best


_ONE_BY_ONE = re.compile("(?!)")  # marker: the alternation could not be compiled


def _scans_line(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` (anchored) opens with ``.{m,n}``/``.*`` or a lookaround after ``^``.

    Such a pattern walks the line (and backtracks) before it can fail, where one opening with a
    literal or a class fails at the first character: only the former are worth a pre-check.
    """
    try:
        items = _sre_parse(pattern.pattern, pattern.flags).data
    except Exception:  # noqa: BLE001 - private parser API changed: no pre-check
        return False
    if len(items) < 2:
        return False
    op, av = items[1]
    if op in (_sre_const.ASSERT, _sre_const.ASSERT_NOT):
        return True
    if op in (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, _sre_const.POSSESSIVE_REPEAT):
        body = av[2].data
        return len(body) == 1 and body[0][0] is _sre_const.ANY
    return False


# Characters whose case-insensitive regex match str.lower() does not capture: the extra
# equivalences of the regex engine (i/ı, s/ſ, σ/ς, ...), "İ" (lowers to two characters) and the
# combining dot above. Literal text is split there for the pre-checks below.
try:
    from re._casefix import _EXTRA_CASES as _RE_EXTRA_CASES
except ImportError:  # pragma: no cover - other Python: every cased character is special
    _RE_EXTRA_CASES = None


def _special_case(ch: str) -> bool:
    low = ch.lower()
    if len(low) != 1 or ch in "\u0130\u0307":
        return True
    if _RE_EXTRA_CASES is None:
        return low != ch.upper().lower() or ch.lower() != ch or ch.upper() != ch
    return ord(low) in _RE_EXTRA_CASES


def _literal_requirements(items, min_len: int = 3) -> list[frozenset[str]]:
    """Necessary substrings of any match, for a pre-check on ``text.lower()``.

    A list of alternatives: for each set, some member occurs in the lower-cased text wherever
    the pattern matches (case-sensitive or not). Built from runs of literal characters (split at
    ``_special_case`` characters), groups, repeats with a minimum >= 1, branches (one set per
    branch, joined) and positive lookarounds.
    """
    reqs: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        piece = ""
        for ch in [*run, "\u0130"]:  # the sentinel ends the last piece
            if _special_case(ch):
                if len(piece) >= min_len:
                    reqs.append(frozenset({piece}))
                piece = ""
            else:
                piece += ch.lower()
        run.clear()

    for op, av in items:
        if op is _sre_const.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is _sre_const.SUBPATTERN:
            reqs += _literal_requirements(av[-1].data, min_len)
        elif op in (_sre_const.MAX_REPEAT, _sre_const.MIN_REPEAT, _sre_const.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                reqs += _literal_requirements(av[2].data, min_len)
        elif op is _sre_const.ATOMIC_GROUP:
            reqs += _literal_requirements(av.data, min_len)
        elif op is _sre_const.ASSERT:  # positive lookahead/lookbehind
            reqs += _literal_requirements(av[1].data, min_len)
        elif op is _sre_const.BRANCH:
            alts: set[str] = set()
            for branch in av[1]:
                sub = _literal_requirements(branch.data, min_len)
                if not sub:
                    alts = set()
                    break
                alts |= max(sub, key=lambda r: (min(map(len, r)), -len(r)))
            if alts:
                reqs.append(frozenset(alts))
    flush()
    return reqs


def _pattern_requirements(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    try:
        return tuple(_literal_requirements(_sre_parse(pattern.pattern, pattern.flags).data))
    except Exception:  # noqa: BLE001 - private parser API changed: no pre-check
        return ()


def _meets(requirements: tuple[frozenset[str], ...], lowered: str) -> bool:
    for alts in requirements:
        for piece in alts:
            if piece in lowered:
                break
        else:
            return False
    return True


_LEADING_BOUNDARY = re.compile(r"^((?:\(\?[aiLmsux]+\))?)\\b")


@dataclass(frozen=True, slots=True)
class SiteSignal:
    """A recognition pattern with a cheaper necessary pre-check.

    A pattern starting with ``\\b`` defeats the regex engine's literal-prefix scan (~40 us per
    page for ``\\bReport-un\\b``); the same pattern without the leading ``\\b`` matches
    wherever the full one does and is scanned at memchr speed, so the full search runs only on
    the pages where the pre-check finds something.
    """

    weight: int
    pattern: re.Pattern[str]
    prefilter: re.Pattern[str] | None = None
    requires: tuple[frozenset[str], ...] = ()  # necessary pieces of ``text.lower()``

    @classmethod
    def of(cls, weight: int, pattern: re.Pattern[str]) -> SiteSignal:
        requires = _pattern_requirements(pattern)
        m = _LEADING_BOUNDARY.match(pattern.pattern)
        if m is None:
            return cls(weight, pattern, None, requires)
        try:
            pre = re.compile(m.group(1) + pattern.pattern[m.end() :], pattern.flags)
        except re.error:
            return cls(weight, pattern, None, requires)
        return cls(weight, pattern, pre, requires)

    def found(self, text: str, lowered: str | None = None) -> bool:
        """``pattern.search(text)``; ``lowered``: ``text.lower()``, if already known."""
        if self.requires and not _meets(
            self.requires, text.lower() if lowered is None else lowered
        ):
            return False
        if self.prefilter is not None and self.prefilter.search(text) is None:
            return False
        return self.pattern.search(text) is not None


@dataclass(frozen=True, slots=True)
class Profile:
    """A site profile merged with the generic layer (site data first)."""

    name: str | None
    strong: tuple[re.Pattern[str], ...]
    weak: tuple[re.Pattern[str], ...]
    rules: tuple[LineRule, ...]
    time: tuple[re.Pattern[str], ...]
    author: tuple[re.Pattern[str], ...]
    author_line: re.Pattern[str] | None
    tags: tuple[re.Pattern[str], ...]
    datelines: tuple[re.Pattern[str], ...]
    header_noise: tuple[re.Pattern[str], ...]
    header_byline: tuple[re.Pattern[str], ...]
    breadcrumb_home: frozenset[str]
    section_labels: frozenset[str]  # section and navigation labels (whole lines)
    category_labels: frozenset[str]  # the section labels that name a category
    signals: tuple[SiteSignal, ...] = ()  # ``strong`` (weight 3) then ``weak`` (weight 1)
    matcher: RuleMatcher = field(init=False, compare=False)  # ``rules``, one regex call per line
    tail_rules: frozenset[str] = field(init=False, compare=False)  # the ``starts_tail`` rules

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", RuleMatcher(self.rules))
        object.__setattr__(
            self, "tail_rules", frozenset(r.name for r in self.rules if r.starts_tail)
        )


@dataclass(frozen=True, slots=True)
class Profiles:
    generic: Profile
    sites: tuple[Profile, ...]
    months: dict[str, int]
    month_alt: str


def _expand(pattern: str, placeholders: dict[str, str]) -> str:
    for key, value in placeholders.items():
        pattern = pattern.replace("{" + key + "}", value)
    return pattern


def _compile_all(patterns: list[str], placeholders: dict[str, str], where: str):
    out = []
    for p in patterns:
        try:
            out.append(re.compile(_expand(p, placeholders)))
        except re.error as exc:  # a broken profile must fail loudly, naming the file
            raise ValueError(f"{where}: bad regex {p!r}: {exc}") from exc
    return tuple(out)


def _rules(
    data: dict,
    placeholders: dict[str, str],
    lists: dict[str, list[str]],
    where: str,
    builtins: dict[str, DatetimeLine] | None = None,
):
    rules = []
    for raw in data.get("rules", []):
        exact = list(raw.get("exact", []))
        if "exact_from" in raw:
            exact += lists[raw["exact_from"]]
        builtin = None
        if "builtin" in raw:
            if raw["builtin"] not in (builtins or {}):
                raise ValueError(f"{where}: unknown builtin {raw['builtin']!r}")
            builtin = (builtins or {})[raw["builtin"]]
        rules.append(
            LineRule(
                name=raw["name"],
                exact=frozenset(norm_exact(e) for e in exact),
                patterns=_compile_all(raw.get("patterns", []), placeholders, where),
                max_chars=raw.get("max_chars"),
                starts_tail=bool(raw.get("starts_tail", False)),
                builtin=builtin,
            )
        )
    return tuple(rules)


@lru_cache(maxsize=4)
def load_profiles(sites_dir: Path = SITES_DIR) -> Profiles:
    """Read ``_generic.toml`` and every site profile once (cached per process)."""
    with open(sites_dir / f"{GENERIC_PROFILE}.toml", "rb") as fh:
        gdata = tomllib.load(fh)
    months: dict[str, int] = {}
    for num, names in gdata["months"].items():
        for name in names:
            months[name.casefold()] = int(num)
    month_alt = "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))
    sections = gdata.get("sections", {})
    home = list(gdata.get("breadcrumbs", {}).get("home", []))
    lists = {
        "sections": list(sections.get("labels", [])) + list(sections.get("navigation", [])),
        "home": home,
    }

    def alt(words: list[str]) -> str:
        return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))

    placeholders = {
        "month": month_alt,
        "U": _UPPER,
        "home": alt(home),
        "nav": alt(list(sections.get("navigation", []))),
        **gdata.get("placeholders", {}),
    }
    # placeholders may use {U} and {month} themselves
    placeholders = {k: _expand(v, placeholders) for k, v in placeholders.items()}
    where = str(sites_dir / f"{GENERIC_PROFILE}.toml")
    builtins = {
        "datetime_line": _datetime_line(month_alt, gdata.get("datetime", {}).get("words", []))
    }
    gmeta = gdata.get("meta", {})
    grules = _rules(gdata, placeholders, lists, where, builtins)
    generic = Profile(
        name=None,
        strong=(),
        weak=(),
        rules=grules,
        time=_compile_all(gmeta.get("time", []), placeholders, where),
        author=_compile_all(gmeta.get("author", []), placeholders, where),
        author_line=None,
        tags=_compile_all(gmeta.get("tags", []), placeholders, where),
        datelines=_compile_all(gmeta.get("datelines", []), placeholders, where),
        header_noise=_compile_all(gdata.get("header", {}).get("noise", []), placeholders, where),
        header_byline=_compile_all(gdata.get("header", {}).get("byline", []), placeholders, where),
        breadcrumb_home=frozenset(
            norm_exact(h) for h in gdata.get("breadcrumbs", {}).get("home", [])
        ),
        section_labels=frozenset(norm_exact(s) for s in lists["sections"]),
        category_labels=frozenset(norm_exact(s) for s in sections.get("labels", [])),
    )
    sites = []
    for path in sorted(sites_dir.glob("*.toml")):
        if path.name.startswith("_"):
            continue
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        where = str(path)
        meta = data.get("meta", {})
        rec = data.get("recognize", {})
        author_line = meta.get("author_line")
        strong = _compile_all(rec.get("strong", []), placeholders, where)
        weak = _compile_all(rec.get("weak", []), placeholders, where)
        rules = _rules(data, placeholders, lists, where, builtins) + generic.rules
        sites.append(
            Profile(
                name=data["name"],
                strong=strong,
                weak=weak,
                rules=rules,
                time=_compile_all(meta.get("time", []), placeholders, where) + generic.time,
                author=_compile_all(meta.get("author", []), placeholders, where) + generic.author,
                author_line=re.compile(_expand(author_line, placeholders)) if author_line else None,
                tags=_compile_all(meta.get("tags", []), placeholders, where) + generic.tags,
                datelines=_compile_all(meta.get("datelines", []), placeholders, where)
                + generic.datelines,
                header_noise=generic.header_noise,
                header_byline=generic.header_byline,
                breadcrumb_home=generic.breadcrumb_home,
                section_labels=generic.section_labels,
                category_labels=generic.category_labels,
                signals=tuple(SiteSignal.of(3, p) for p in strong)
                + tuple(SiteSignal.of(1, p) for p in weak),
            )
        )
    return Profiles(generic=generic, sites=tuple(sites), months=months, month_alt=month_alt)


def detect_site(text: str, profiles: Profiles | None = None) -> Profile:
    """The best-scoring site profile (strong pattern = 3, weak = 1; needs >= 2), else generic."""
    profiles = profiles or load_profiles()
    best, best_score = profiles.generic, 1
    lowered = text.lower()
    for prof in profiles.sites:
        score = 0
        for sig in prof.signals:
            if sig.found(text, lowered):
                score += sig.weight
        if score > best_score:
            best, best_score = prof, score
    return best


# --- dates -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class When:
    day: date
    hour: int | None = None
    minute: int | None = None
    second: int = 0
    offset_minutes: int | None = None


_OFFSET_RE = re.compile(r"(?i)(?:UTC|GMT)\s*([+\-−–])\s*(\d{1,2})(?::?(\d{2}))?")
_TIME_RE = re.compile(r"(?<![\d:.])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?(?![\d:])")


@lru_cache(maxsize=1)
def _date_res() -> tuple[re.Pattern[str], ...]:
    alt = load_profiles().month_alt
    return (
        re.compile(rf"(?i)(?<!\d)(\d{{1,2}})\s*[.,]?\s+({alt})\.?,?\s+(\d{{4}})"),  # 22 April 2025
        re.compile(rf"(?i)(?<![^\W\d_])({alt})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})"),  # April 22, 2025
        re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})(?![\d.])"),  # 28.06.2013
        re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])"),  # 11/24/2023 (US)
        re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)"),  # 2025-04-22
    )


def month_number(word: str) -> int | None:
    return load_profiles().months.get(word.casefold().replace("\u0307", "").rstrip("."))


def parse_when(text: str) -> When | None:
    """The first date in ``text`` with the time and UTC offset that follow it; None if none/invalid."""
    for kind, rx in enumerate(_date_res()):
        m = rx.search(text)
        if not m:
            continue
        g = m.groups()
        try:
            if kind == 0:
                y, mo, d = int(g[2]), month_number(g[1]), int(g[0])
            elif kind == 1:
                y, mo, d = int(g[2]), month_number(g[0]), int(g[1])
            elif kind == 2:
                y, mo, d = int(g[2]), int(g[1]), int(g[0])
                y = y + 2000 if y < 100 else y
            elif kind == 3:
                y, mo, d = int(g[2]), int(g[0]), int(g[1])
            else:
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            if mo is None:
                continue
            day = date(y, mo, d)
        except ValueError:
            continue
        rest = text[m.end() :]
        tm = _TIME_RE.search(rest)
        if tm is None and m.start() <= 25:  # "12:30, 13 yanvar 2026", "10:15 12.06.2025"
            tm = _TIME_RE.search(text[: m.start()])
        hour = minute = None
        second = 0
        if tm:
            hour, minute = int(tm.group(1)), int(tm.group(2))
            second = int(tm.group(3) or 0)
            ampm = (tm.group(4) or "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            if hour > 23 or minute > 59 or second > 59:
                hour = minute = None
                second = 0
        offset = None
        om = _OFFSET_RE.search(rest)
        if om:
            sign = -1 if om.group(1) in "-−–" else 1
            offset = sign * (int(om.group(2)) * 60 + int(om.group(3) or 0))
            if abs(offset) > 14 * 60:
                offset = None
        return When(day, hour, minute, second, offset)
    return None


# --- line counts (cc_net repeated lines) -----------------------------------------------------


PRUNE_MIN_DOCS = 1000  # sites with fewer counted documents keep exact line counts


@dataclass(slots=True)
class LineCounts:
    """Per site: how many documents were counted, and in how many of them each line occurs.

    Lines are keyed by a 64-bit hash of their cc_net normalisation. Picklable and mergeable.
    """

    docs: Counter[str] = field(default_factory=Counter)
    lines: dict[str, Counter[int]] = field(default_factory=dict)

    def update(self, other: LineCounts) -> LineCounts:
        """Add ``other`` into this one in place (no copy of the accumulated counts)."""
        self.docs.update(other.docs)
        for site, counts in other.lines.items():
            mine = self.lines.get(site)
            if mine is None:
                self.lines[site] = Counter(counts)
            else:
                mine.update(counts)
        return self

    def prune(self, epsilon: float, min_docs: int = PRUNE_MIN_DOCS) -> int:
        """Lossy counting (Manku & Motwani) to keep memory flat on large corpora.

        For a site with ``N >= min_docs`` counted documents, lines seen in fewer than
        ``epsilon * N`` of them are dropped. A line that is boilerplate (in at least
        ``repeated_line_min_share`` of the site's documents, far above ``epsilon``) is never
        dropped once established; its count can fall short by at most ``epsilon * N``. Sites
        with fewer documents are counted exactly. Returns the number of entries dropped.
        """
        dropped = 0
        for site, counts in self.lines.items():
            n = self.docs.get(site, 0)
            if n < min_docs:
                continue
            floor = epsilon * n
            rare = [key for key, c in counts.items() if c < floor]
            for key in rare:
                del counts[key]
            dropped += len(rare)
        return dropped

    def docs_with(self, site: str, text: str) -> int:
        return self.docs_with_key(site, norm_repeat(text))

    def docs_with_key(self, site: str, key: str) -> int:
        """``docs_with`` for a line already normalised with ``norm_repeat``."""
        lines = self.lines.get(site)
        return lines.get(_memo_key_hash(key), 0) if lines else 0


def _site_key(profile: Profile) -> str:
    return profile.name or UNKNOWN_SITE


def _doc_line_hashes(text: str) -> set[int]:
    lines = text.split("\n")
    if m := HEADER_RE.match(lines[0]):
        lines[0] = m.group(4) or ""
    hashes = set()
    for line in lines:
        key = _line_key(line)  # == norm_repeat(line), "" for a blank line
        if key:
            hashes.add(_memo_key_hash(key))
    return hashes


def count_lines(docs: list[RawDoc]) -> LineCounts:
    """Count, per site, the documents and the documents containing each normalised line.

    Documents marked as duplicates (``duplicate_of``) or repeating a content key already seen in
    this batch are skipped, so copies of one article cannot make its own lines look repeated.
    """
    counts = LineCounts()
    seen: set[str] = set()
    for doc in docs:
        if doc.duplicate_of is not None or doc.content_key in seen:
            continue
        seen.add(doc.content_key)
        site = _site_key(detect_site(doc.text))
        counts.docs[site] += 1
        counts.lines.setdefault(site, Counter()).update(_doc_line_hashes(doc.text))
    return counts


def merge_line_counts(a: LineCounts, b: LineCounts) -> LineCounts:
    """A new ``LineCounts`` holding both (inputs are not modified)."""
    out = LineCounts(docs=Counter(a.docs) + Counter(b.docs))
    for site in set(a.lines) | set(b.lines):
        out.lines[site] = Counter(a.lines.get(site, Counter())) + Counter(
            b.lines.get(site, Counter())
        )
    return out


def is_repeated(
    line_counts: LineCounts | None,
    site: str,
    text: str,
    settings: Settings,
    key: str | None = None,
) -> bool:
    """Whether ``text`` is a repeated line of ``site`` (``key``: its ``norm_repeat``, if known)."""
    if line_counts is None or len(text.strip()) > REPEATED_MAX_CHARS:
        return False
    total = line_counts.docs.get(site, 0)
    if total <= 0:
        return False
    n = line_counts.docs_with_key(site, norm_repeat(text) if key is None else key)
    return (
        n >= max(settings.repeated_line_min_docs, 1)
        and n / total >= settings.repeated_line_min_share
    )


# --- helpers ---------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_ENDS_SENTENCE = re.compile(r"[.!?…][\"'»”’)\]]*$")


def _is_prose(text: str) -> bool:
    t = text.strip()
    if len(t) >= 100 and _SENTENCE_END.search(t):
        return True
    return len(t) >= 40 and len(_words(t)) >= 6 and _ENDS_SENTENCE.search(t) is not None


def _is_title_like(text: str) -> bool:
    t = text.strip()
    n = len(_words(t))
    if not (15 <= len(t) <= 250 and 3 <= n <= 35):
        return False
    if t.endswith(".") and not t.endswith("..."):
        return False
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


def _search_group(patterns, text: str, group: str) -> re.Match[str] | None:
    for p in patterns:
        m = p.search(text)
        if m and group in m.re.groupindex:
            return m
    return None


def _split_tags(text: str) -> list[str]:
    parts = re.split(r"\s*[,;|#]\s*|\s{2,}", text.strip())
    return [p.strip(" .#") for p in parts if p.strip(" .#")]


# --- the cleaner -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Page:
    lines: list[str]
    rule: dict[int, str] = field(default_factory=dict)  # 0-based index -> removal rule
    keys: list[str] = field(default_factory=list)  # norm_exact of each line ("" when blank)
    filled: list[bool] = field(default_factory=list)  # whether each line is not blank

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = [_line_key(x) for x in self.lines]  # norm_exact, "" when blank
        self.filled = [bool(x.strip()) for x in self.lines]

    def kept(self, i: int) -> bool:
        return self.filled[i] and i not in self.rule


@dataclass(slots=True)
class CleanOutcome:
    article: Article
    counts: Counter[str]
    non_blank_lines: int


def clean_document(doc: RawDoc, line_counts: LineCounts | None, settings: Settings) -> Article:
    """Clean one raw page into an ``Article`` (body may be empty: ``run_clean`` quarantines it)."""
    return _clean(doc, line_counts, settings).article


def site_index(profile: Profile, profiles: Profiles | None = None) -> int:
    """A profile as a small integer (its place among the site profiles; -1 for the generic one),
    the form in which a run hands pass 1's site detection to pass 2 (``run_clean``)."""
    profiles = profiles or load_profiles()
    return -1 if profile is profiles.generic else profiles.sites.index(profile)


def _clean(
    doc: RawDoc, line_counts: LineCounts | None, settings: Settings, site_hint: int | None = None
) -> CleanOutcome:
    profiles = load_profiles()
    if site_hint is None:
        profile = detect_site(doc.text, profiles)
    else:
        profile = profiles.generic if site_hint < 0 else profiles.sites[site_hint]
    site = _site_key(profile)
    counts: Counter[str] = Counter()
    art = Article(
        article_id=doc.content_key[:KEY_CHARS],
        source_path=doc.source_path,
        source_sha256=doc.source_sha256,
        encoding=doc.encoding,
        site=profile.name,
        source_size_bytes=doc.size_bytes,
        source_mtime_ns=doc.mtime_ns,
    )
    page = _Page(doc.text.split("\n"))
    lines = page.lines
    n = len(lines)

    # 1. header line
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
    art.header_text = header_text

    # 2. line rules, with metadata extraction; tags after "Tags:" alone
    time_lines: list[tuple[int, When, str | None]] = []
    in_tags = False
    for i in range(start, n):
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
    _breadcrumbs(page, start, profile, art)

    # 3. cc_net repeated lines
    for i in range(start, n):
        if page.kept(i) and is_repeated(line_counts, site, lines[i], settings, page.keys[i]):
            page.rule[i] = "repeated_line"

    # 4. datelines and the start of the body
    body_start = None
    for i in range(start, n):
        if not page.kept(i):
            continue
        m = _search_group(profile.datelines, lines[i].strip(), "dateline")
        if m is not None:
            if art.dateline is None:
                art.dateline = m.group("dateline").strip()
            rest = lines[i].strip()[m.end() :].strip(" \t:.,-–—")
            if not rest:
                page.rule[i] = "dateline"
                continue
            body_start = i
            break
        if _is_prose(lines[i]):
            body_start = i
            break
    head_end = body_start if body_start is not None else n
    head_when: When | None = None  # the first standalone date line above the article
    head_timed: list[When] = []  # those that also state the time of day
    menu = _menu_lines(page, start, head_end, profile)
    for i in range(start, head_end):
        r = page.rule.get(i)
        if r == "section_label" and art.category is None:
            if page.keys[i] in profile.category_labels and i not in menu:
                art.category = lines[i].strip()  # a rubric label in the header area
        elif r == "datetime" and (w := parse_when(lines[i])) is not None:
            head_when = head_when or w
            if w.hour is not None and not _UPDATED.search(lines[i]):
                head_timed.append(w)

    # 5. title
    header_norm = norm_exact(header_text) if header_text else ""
    title_i = _find_title(page, start, head_end, body_start, header_norm)
    if title_i is not None:
        art.title = lines[title_i].strip()
        page.rule[title_i] = "title"
        tnorm = norm_exact(art.title)
        for i in range(start, n):
            if page.kept(i) and page.keys[i] == tnorm:
                page.rule[i] = "duplicate_title"
        # a "Latest news" sidebar above the title: its headlines are teasers
        for i in range(start, title_i):
            if _starts_tail(profile, page.rule.get(i, "")):
                for k in range(i + 1, title_i):
                    t = lines[k].strip()
                    if page.kept(k) and len(t) <= RELATED_TEASER_MAX_CHARS and not _is_prose(t):
                        page.rule[k] = "related_teaser"
                break

    # 6. author lines in the head zone (profiles that print the name alone)
    if profile.author_line is not None and body_start is not None:
        for i in range(start, head_end):
            s = lines[i].strip()
            if (
                page.kept(i)
                and len(s) <= 40
                and profile.author_line.match(s)
                and norm_exact(s) not in profile.section_labels
            ):
                page.rule[i] = "author"
                if art.author is None:
                    art.author = s

    # 7. the tail: a marker after the body ends the article
    tail_from = None
    if body_start is not None:
        for i in range(body_start + 1, n):
            r = page.rule.get(i)
            is_marker = r is not None and (
                r == "tags"
                or _starts_tail(profile, r)
                or (r == "read_more" and not any(_ends_sentence(page, k) for k in range(i + 1, n)))
            )
            if is_marker and _looks_like_related_block(page, profile, i + 1, n):
                tail_from = i
                break
    if tail_from is not None:
        for i in range(tail_from + 1, n):
            if page.kept(i):
                page.rule[i] = "related_block" if _is_prose(lines[i]) else "related_teaser"
    if body_start is not None:
        _read_more_teasers(page, body_start + 1, tail_from if tail_from is not None else n)
    _teasers(page, start, n)
    # the article's own time line: the first one above the related block
    when: When | None = None
    for i, w, cat in time_lines:
        if tail_from is None or i < tail_from:
            when = w
            if cat:
                art.category = cat  # the page's own rubric beats breadcrumbs and labels
            break

    # 8. header role
    role = _header_role(page, art, profile, site, header_text, line_counts, settings, start)
    art.header_role = role
    counts[f"header_role:{role}"] += 1

    # 9. dates: the page's own time line, else a date + time line above the article ("15
    # September 2025 11:40", "02.05.2025 09:30"), else the scraper's header date, else a date-only
    # line above the article (may be the site's "today" chrome, so it never beats the header).
    # published_at only when the line states the UTC offset: never guessed.
    # Several such lines above the article (a sidebar of teasers): the one agreeing with the
    # header date, else the first.
    if when is None and head_timed:
        agree = [w for w in head_timed if w.day == header_date]
        when = agree[0] if agree else head_timed[0]
    if when is not None:
        art.published_date = when.day
        if when.offset_minutes is not None and when.hour is not None:
            tz = timezone(timedelta(minutes=when.offset_minutes))
            local = datetime.combine(when.day, datetime.min.time()).replace(
                hour=when.hour, minute=when.minute or 0, second=when.second, tzinfo=tz
            )
            art.published_at = local.astimezone(UTC)
            art.published_utc_offset_minutes = when.offset_minutes
        if header_date is not None and header_date != when.day:
            counts["header:date_mismatch"] += 1
    elif header_date is not None:
        art.published_date = header_date
    elif head_when is not None and not counts["header:bad_date"]:
        art.published_date = head_when.day  # a standalone date line above the article
    if art.dateline is None and role == "lead" and header_text:
        m = _search_group(profile.datelines, header_text, "dateline")
        if m is not None:
            art.dateline = m.group("dateline").strip()

    # 10. body and removed lines
    paragraphs: list[str] = []
    if role == "lead" and start == 1 and 0 not in page.rule and header_text:
        paragraphs.append(header_text)
    removed: list[RemovedLine] = []
    if start == 1 and 0 in page.rule:
        removed.append(RemovedLine(1, lines[0], page.rule[0]))  # the raw header line
    non_blank = 0
    for i in range(start, n):
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
    return CleanOutcome(art, counts, non_blank)


def _menu_lines(page: _Page, start: int, end: int, profile: Profile) -> set[int]:
    """Section labels in runs of >= 3 consecutive lines: a site menu, not the rubric."""
    menu: set[int] = set()
    run: list[int] = []
    for i in range(start, end + 1):
        if (
            i < end
            and page.rule.get(i) == "section_label"
            and page.keys[i] in profile.category_labels
        ):
            run.append(i)
            continue
        if len(run) >= 3:
            menu.update(run)
        run = []
    return menu


def _starts_tail(profile: Profile, rule_name: str) -> bool:
    return rule_name in profile.tail_rules


_CRUMB_ITEM = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.{0,60})$")
_CRUMB_LONG = re.compile(r"^\s*(\d{1,2})[.)]\s+(\S.{0,250})$")
BREADCRUMB_TOP_LINES = 12  # a generic numbered trail must start within this many non-blank lines


def _crumb_text(text: str) -> bool:
    """Short label text, as breadcrumb items are ("Xəbərlər", "Oil&Gas", "Внутренняя политика")."""
    t = text.strip()
    return (
        len(t) <= 40
        and len(t.split()) <= 5
        and not re.search(r"[.!?:;,…]$", t)
        and any(ch.isalpha() for ch in t)
    )


def _breadcrumbs(page: _Page, start: int, profile: Profile, art: Article) -> None:
    """Numbered breadcrumb trails ("1. Home", "2. Azerbaijan", "3. Politics") -> rule breadcrumb.

    A run is a breadcrumb when its first item is a home word (anywhere on the page), or, in any
    language, when it is a top-of-page run: numbered 1, 2, 3, ... on consecutive lines, >= 2 short
    label items, before any prose line and within the first ``BREADCRUMB_TOP_LINES`` non-blank
    lines (after the "..." separator or at the very beginning). The last item that is not a home
    or navigation word names the category. A last item that repeats a later line (the title
    printed as the last crumb) belongs to the trail too.
    """
    lines = page.lines
    n = len(lines)
    nav = profile.section_labels - profile.category_labels
    seen_prose = False
    non_blank = 0
    i = start
    while i < n:
        line = lines[i]
        m = _CRUMB_ITEM.match(line)
        home_first = m is not None and norm_exact(m.group(2)) in profile.breadcrumb_home
        top = (
            m is not None
            and not seen_prose
            and non_blank < BREADCRUMB_TOP_LINES
            and m.group(1) == "1"
            and _crumb_text(m.group(2))
        )
        if m is None or not (home_first or top):
            if line.strip():
                non_blank += 1
                if page.kept(i) and _is_prose(line):
                    seen_prose = True
            i += 1
            continue
        items: list[int] = []
        j = i
        while j < n and (mm := _CRUMB_ITEM.match(lines[j])):
            if not home_first and (
                int(mm.group(1)) != len(items) + 1 or not _crumb_text(mm.group(2))
            ):
                break
            items.append(j)
            j += 1
        title_item = None
        mm = _CRUMB_LONG.match(lines[j]) if not home_first and j < n else None
        if mm and int(mm.group(1)) == len(items) + 1:  # the title as the last crumb?
            key = norm_exact(mm.group(2))
            if key in page.keys[j + 1 : n]:
                title_item = j
                j += 1
        if len(items) < (1 if home_first else 2):
            non_blank += 1
            i += 1
            continue
        if title_item is not None:
            page.rule[title_item] = "breadcrumb"
        category = None
        for k in items:
            page.rule[k] = "breadcrumb"
            label = _CRUMB_ITEM.match(lines[k]).group(2).strip()
            key = norm_exact(label)
            if key not in profile.breadcrumb_home and key not in nav and _crumb_text(label):
                category = label
        if art.category is None and category:
            art.category = category
        non_blank += len(items)
        i = j


def _find_title(
    page: _Page, start: int, head_end: int, body_start: int | None, header_norm: str
) -> int | None:
    lines = page.lines
    head = [i for i in range(start, head_end) if page.kept(i) and _is_title_like(lines[i])]
    if not head:
        return None
    # (a) the header text repeats a head line; (b) a head line printed twice (title + duplicate)
    for i in head:
        if header_norm and page.keys[i] == header_norm:
            return i
    seen: dict[str, int] = {}
    for i in head:
        key = page.keys[i]
        if key in seen:
            return seen[key]
        seen[key] = i
    # (c) next to the published-time line or a date/time line
    for i in head:
        for j in (i - 1, i + 1):
            k = j
            while start <= k < len(lines) and not lines[k].strip():
                k += -1 if j < i else 1
            if start <= k < len(lines) and page.rule.get(k) in ("published_time", "datetime"):
                return i
    # (d) the first title-like line before a body that starts with a paragraph
    if body_start is not None:
        return head[0]
    return None


_UPDATED = re.compile(r"(?i)updated|обновлено|yenilənib|yeniləndi|изменено")
RELATED_TEASER_MAX_CHARS = 200  # a teaser headline is a short line


def _ends_sentence(page: _Page, i: int) -> bool:
    """A kept line ending like a sentence: the article may go on there."""
    return page.kept(i) and _ENDS_SENTENCE.search(page.lines[i].strip()) is not None


def _looks_like_related_block(page: _Page, profile: Profile, frm: int, n: int) -> bool:
    """Whether what follows an end marker is a related/most-read block, not more article.

    A related block holds at least one headline-like line or time line, or no other kept line
    than short ones, up to the next end marker. A marker followed by sentences only is an
    in-article label: they stay.
    """
    sentences = 0
    for i in range(frm, n):
        r = page.rule.get(i)
        if r in ("datetime", "published_time"):
            return True
        if r is not None and (r == "tags" or _starts_tail(profile, r)):
            break
        if not page.kept(i):
            continue
        line = page.lines[i]
        if _is_title_like(line) and not _is_prose(line):
            return True
        if _is_prose(line) or _SENTENCE_END.search(line.strip() + " "):
            sentences += 1
    return sentences == 0


def _read_more_teasers(page: _Page, frm: int, to: int) -> None:
    """Headlines right after a "Read more" / "Читайте также" link inside the body (at most 5)."""
    lines = page.lines
    for i in range(frm, to):
        if page.rule.get(i) != "read_more":
            continue
        taken = 0
        k = i + 1
        while k < to and taken < 5:
            if not lines[k].strip() or page.rule.get(k) == "datetime":
                k += 1
                continue
            if not page.kept(k) or not _is_title_like(lines[k]) or _is_prose(lines[k]):
                break
            page.rule[k] = "related_teaser"
            taken += 1
            k += 1


def _teasers(page: _Page, start: int, n: int) -> None:
    """After the last prose paragraph: short lines next to a standalone time line are teasers."""
    lines = page.lines
    last_prose = None
    for i in range(start, n):
        if page.kept(i) and _is_prose(lines[i]):
            last_prose = i
    if last_prose is None:
        return

    def neighbour(i: int, step: int) -> int | None:
        k = i + step
        while start <= k < n and not lines[k].strip():
            k += step
        return k if start <= k < n else None

    for i in range(last_prose + 1, n):
        t = lines[i].strip()
        if not page.kept(i) or len(t) > RELATED_TEASER_MAX_CHARS or re.search(r"[.!…]$", t):
            continue  # a headline has no full stop; a short closing sentence stays
        for step in (-1, 1):
            k = neighbour(i, step)
            if k is not None and page.rule.get(k) == "datetime":
                page.rule[i] = "related_teaser"
                break


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
    if _is_prose(text) and (len(text) >= 150 or len(_SENTENCE_END.findall(text + " ")) >= 2):
        return "lead"
    if any(p.search(text) for p in profile.strong):
        page.rule[0] = "header_banner"  # names the site or agency
        return "banner"
    if art.title is None and _is_title_like(text):
        art.title = text
        page.rule[0] = "header_title"
        return "title"
    page.rule[0] = "header_banner"
    return "banner"


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
        by_rule = Counter(r.rule for r in art.removed)
        if by_rule:
            what = ", ".join(f"{rule} ({k})" for rule, k in by_rule.most_common())
            reason = f"{doc.source_path}: no content left after cleaning: all {len(art.removed)} lines removed by {what}"
        else:
            reason = f"{doc.source_path}: no content: the page has no non-blank line"
        quarantined.append(
            Quarantined(
                source_path=doc.source_path,
                stage="clean",
                error_class="no_content",
                reason=reason,
                size_bytes=doc.size_bytes,
                source_sha256=doc.source_sha256,
            )
        )
        stats.counts["quarantined:no_content"] += 1
    stats.records_out = len(items)
    stats.seconds = time.perf_counter() - started
    return StageResult(items, stats, quarantined)
