"""Literal pre-filters: cheap necessary checks run before a costly regex search.

* ``_anchored`` / ``_scans_line``: whether a line rule's pattern can only match at the line
  start, and whether it walks the line before it can fail (those are worth a pre-check);
* ``_pattern_requirements``: the literal pieces that must occur in ``text.lower()`` wherever a
  pattern matches (``_meets`` checks them);
* ``SiteSignal``: a site-recognition pattern with those pre-checks (and one without a leading
  ``\\b``, which the regex engine scans at memchr speed).

Used by ``rules.RuleMatcher`` and by the site profiles (``profiles.py``); none of them changes an
answer, only how fast it is found.
"""

from __future__ import annotations

import re
import re._constants as _sre_const
from dataclasses import dataclass
from re._parser import parse as _sre_parse


def _anchored(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can only match at the start of the string (``^`` first, no (?m))."""
    if pattern.flags & re.MULTILINE:
        return False
    try:
        items = _sre_parse(pattern.pattern, pattern.flags).data
    except Exception:  # noqa: BLE001 - private parser API changed: take the general path
        return False
    return bool(items) and items[0] == (_sre_const.AT, _sre_const.AT_BEGINNING)


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
