"""Line rules (the ``[[rules]]`` of ``tasks/sites/*.toml``) and how a line is matched against them.

``LineRule``: a named rule (exact lines, patterns, a coded builtin such as ``datetime_line``,
``max_chars``, ``starts_tail``). ``RuleMatcher``: the first rule of a profile's ordered list that
removes a line, with one regex call per line (``prefilter.py`` supplies the pre-checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tasks.clean.prefilter import _anchored, _pattern_requirements, _scans_line
from tasks.clean.text import MEMO_MAX_CHARS, MEMO_MAX_ENTRIES, norm, norm_exact


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
