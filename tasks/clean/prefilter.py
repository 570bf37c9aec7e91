"""Literal pre-filters: cheap necessary checks run before a costly regex search.

* ``_anchored`` / ``_scans_line``: whether a line rule's pattern can only match at the line
  start, and whether it walks the line before it can fail (those are worth a pre-check);
* ``_pattern_requirements``: the literal pieces that must occur in ``text.lower()`` wherever a
  pattern matches (``_meets`` checks them);
* ``SiteSignal``: a site-recognition pattern with those pre-checks (and one without a leading
  ``\\b``, which the regex engine scans at memchr speed).

Used by ``rules.RuleMatcher`` and by the site profiles (``profiles.py``); none of them changes an
answer, only how fast it is found.

The pieces come from the pattern's text, read by ``_Reader``: a reader of the regex syntax that
only needs to be sound, never complete. It knows literals, escapes, classes, groups (capturing,
non-capturing, named, atomic, with local flags), lookarounds, back-references, alternations,
quantifiers and verbose mode, and builds the tree the way the standard library's parser does
where that shapes the pieces (plain groups are spliced in; a prefix common to every alternative is
taken out of the branch; a branch of single characters is a class). Anything else (conditionals,
octal escapes, local verbose groups) gives no pieces and no anchoring: the pattern is then
searched without a pre-check, with the same answer.
Case-insensitive matching is asked of the regex engine itself (``_special_case``), so the
standard library's private modules are not needed.
"""

from __future__ import annotations

import array
import itertools
import re
import unicodedata
from dataclasses import dataclass

# --- reading a pattern ---------------------------------------------------------------------------
# A node is a tuple whose first item names it:
#   ("LIT", ch)  ("ANY",)  ("AT", what)  ("IN", source)       compare by value, as in the stdlib
#   ("SUB", id, items, plain)  ("REP", id, min, items)  ("BRANCH", id, alternatives)
#   ("ASSERT", id, items)  ("ASSERT_NOT", id)  ("REF", id)     ``id`` makes each one unique
_IDS = itertools.count()
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
_LOCAL_FLAGS = re.compile(r"\(\?([aiLmsux]*)(?:-([imsx]+))?:")
_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")
_CONTROL = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_HEX = {"x": 2, "u": 4, "U": 8}


class _Unsupported(Exception):
    """A construct the reader does not know: the pattern gets no pre-check."""


class _Reader:
    def __init__(self, source: str, verbose: bool = False) -> None:
        self.src = source
        self.i = 0
        self.verbose = verbose  # (?x): whitespace and "# ..." comments are not part of it

    def pattern(self) -> list[tuple]:
        while m := _GLOBAL_FLAGS.match(self.src, self.i):
            self.i = m.end()
        items = self.alternation()
        if self.i != len(self.src):
            raise _Unsupported("unbalanced")
        return items

    def alternation(self) -> list[tuple]:
        alts = [self.sequence()]
        while self.i < len(self.src) and self.src[self.i] == "|":
            self.i += 1
            alts.append(self.sequence())
        return _branch(alts)

    def skip(self) -> None:
        """In verbose mode, step over whitespace and comments."""
        src = self.src
        while self.verbose and self.i < len(src):
            if src[self.i] in " \t\n\r\f\v":
                self.i += 1
            elif src[self.i] == "#":
                end = src.find("\n", self.i)
                self.i = len(src) if end < 0 else end
            else:
                break

    def sequence(self) -> list[tuple]:
        items: list[tuple] = []
        while self.skip() or (self.i < len(self.src) and self.src[self.i] not in "|)"):
            atom = self.atom()
            if atom is None:  # a comment
                continue
            self.skip()
            least = self.quantifier()
            if least is None:
                items.append(atom)
            else:  # a repeated plain group repeats its items (as in the stdlib)
                body = atom[2] if atom[0] == "SUB" and atom[3] else (atom,)
                items.append(("REP", next(_IDS), least, body))
        # plain groups "(?:...)" are spliced into the sequence (as in the stdlib)
        return [x for node in items for x in (node[2] if node[0] == "SUB" and node[3] else (node,))]

    def atom(self) -> tuple | None:
        ch = self.src[self.i]
        if ch == "\\":
            return self.escape()
        if ch == "[":
            return self.char_class()
        if ch == "(":
            return self.group()
        self.i += 1
        if ch == ".":
            return ("ANY",)
        if ch in "^$":
            return ("AT", ch)
        if ch in "*+?":
            raise _Unsupported("nothing to repeat")
        return ("LIT", ch)

    def escape(self) -> tuple:
        src, i = self.src, self.i
        if i + 1 >= len(src):
            raise _Unsupported("trailing backslash")
        ch = src[i + 1]
        self.i = i + 2
        if ch in "bBAZ":
            return ("AT", "\\" + ch)
        if ch in "dDsSwW":
            return ("IN", "\\" + ch)
        if ch in _CONTROL:
            return ("LIT", _CONTROL[ch])
        if ch in _HEX:
            digits = src[i + 2 : i + 2 + _HEX[ch]]
            self.i = i + 2 + _HEX[ch]
            return ("LIT", chr(int(digits, 16)))
        if ch == "N" and src.startswith("{", i + 2):
            end = src.index("}", i + 2)
            self.i = end + 1
            return ("LIT", unicodedata.lookup(src[i + 3 : end]))
        if ch in "123456789":  # a back-reference (up to two digits)
            if src[self.i : self.i + 1].isdigit():
                self.i += 1
            return ("REF", next(_IDS))
        if ch.isascii() and ch.isalnum():  # octal and unknown escapes
            raise _Unsupported("escape")
        return ("LIT", ch)

    def char_class(self) -> tuple:
        src, start = self.src, self.i
        j = start + 1
        negated = src.startswith("^", j)
        j += negated
        if src.startswith("]", j):
            j += 1
        while src[j] != "]":
            j += 2 if src[j] == "\\" else 1
        self.i = j + 1
        inner = src[start + 1 + negated : j]
        if not negated and len(inner) == 1 and inner != "\\":
            return ("LIT", inner)  # the stdlib reads "[.]" as the literal "."
        if not negated and len(inner) == 2 and inner[0] == "\\" and not inner[1].isalnum():
            return ("LIT", inner[1])
        return ("IN", src[start : j + 1])

    def group(self) -> tuple | None:
        src, i = self.src, self.i
        kind = "SUB"
        plain = False  # "(?:...)": no group number, no flags
        if not src.startswith("?", i + 1):
            self.i = i + 1
        elif src.startswith("?:", i + 1):
            plain = True
            self.i = i + 3
        elif src.startswith("?>", i + 1):
            self.i = i + 3
        elif src.startswith("?P<", i + 1):
            self.i = src.index(">", i) + 1
        elif src.startswith("?P=", i + 1):
            self.i = src.index(")", i) + 1
            return ("REF", next(_IDS))
        elif src.startswith("?#", i + 1):
            self.i = src.index(")", i) + 1
            return None
        elif src.startswith(("?=", "?<="), i + 1):
            kind = "ASSERT"
            self.i = i + (3 if src[i + 2] == "=" else 4)
        elif src.startswith(("?!", "?<!"), i + 1):
            kind = "ASSERT_NOT"
            self.i = i + (3 if src[i + 2] == "!" else 4)
        elif m := _LOCAL_FLAGS.match(src, i):
            if "x" in m.group(1):
                raise _Unsupported("verbose")
            self.i = m.end()
        else:
            raise _Unsupported("group")
        items = self.alternation()
        if not src.startswith(")", self.i):
            raise _Unsupported("unbalanced")
        self.i += 1
        if kind == "ASSERT_NOT":
            return ("ASSERT_NOT", next(_IDS))
        if kind == "ASSERT":
            return ("ASSERT", next(_IDS), tuple(items))
        return ("SUB", next(_IDS), tuple(items), plain)

    def quantifier(self) -> int | None:
        """The minimum of a quantifier at the current position (None: there is none)."""
        src, i = self.src, self.i
        if i >= len(src):
            return None
        ch = src[i]
        if ch in "*+?":
            least, self.i = (1 if ch == "+" else 0), i + 1
        elif ch == "{" and (m := _BRACES.match(src, i)) and (m.group(1) or m.group(2)):
            least, self.i = int(m.group(1) or 0), m.end()
        else:
            return None
        if self.i < len(src) and src[self.i] in "?+":  # lazy or possessive
            self.i += 1
        return least


def _branch(alts: list[list[tuple]]) -> list[tuple]:
    """Alternatives as the stdlib's parser stores them: the common prefix first, then a class
    (every alternative one character or class) or a branch."""
    if len(alts) == 1:
        return alts[0]
    prefix: list[tuple] = []
    while all(alts) and all(a[0] == alts[0][0] for a in alts[1:]):
        prefix.append(alts[0][0])
        alts = [a[1:] for a in alts]
    if all(len(a) == 1 and (a[0][0] == "LIT" or _positive_class(a[0])) for a in alts):
        return [*prefix, ("IN", "|".join(a[0][1] for a in alts))]
    return [*prefix, ("BRANCH", next(_IDS), tuple(tuple(a) for a in alts))]


def _positive_class(node: tuple) -> bool:
    return node[0] == "IN" and not node[1].startswith("[^")


def _read(pattern: re.Pattern[str]) -> list[tuple] | None:
    """The pattern's tree, None for what the reader does not know (no pre-check then)."""
    try:
        return _Reader(pattern.pattern, bool(pattern.flags & re.VERBOSE)).pattern()
    except (_Unsupported, IndexError, ValueError, KeyError):
        return None


def _anchored(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can only match at the start of the string (``^`` first, no (?m))."""
    if pattern.flags & re.MULTILINE:
        return False
    items = _read(pattern)
    return bool(items) and items[0] == ("AT", "^")


def _scans_line(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` (anchored) opens with ``.{m,n}``/``.*`` or a lookaround after ``^``.

    Such a pattern walks the line (and backtracks) before it can fail, where one opening with a
    literal or a class fails at the first character: only the former are worth a pre-check.
    """
    items = _read(pattern)
    if items is None or len(items) < 2:
        return False
    node = items[1]
    if node[0] in ("ASSERT", "ASSERT_NOT"):
        return True
    return node[0] == "REP" and node[3] == (("ANY",),)


# --- case-insensitive matching -------------------------------------------------------------------
# Characters whose case-insensitive regex match str.lower() does not capture: the extra
# equivalences of the regex engine (i/ı, s/ſ, σ/ς, ...), "İ" (lowers to two characters) and the
# combining dot above. Literal text is split there for the pre-checks. The engine is asked:
# which characters does "(?i)c" match? (Case pairs never cross from the Basic Multilingual Plane
# to the others, which tests/test_clean_fast.py checks over every code point.)
_SPECIAL: dict[str, bool] = {}
_SEED = "".join(map(chr, itertools.chain(range(0x20, 0x250), range(0x370, 0x530))))


def _code_points(full: bool) -> str:
    """Every code point but the surrogates (``full``), or those of the BMP (~4 ms; not kept)."""
    parts = [range(0xD800), range(0xE000, 0x110000 if full else 0x10000)]
    return "".join(array.array("I", r).tobytes().decode("utf-32-le") for r in parts)


def _learn_special(chars: str) -> None:
    """Decide ``_special_case`` for ``chars`` (and, the first time, the common scripts)."""
    todo = {c for c in chars if c not in _SPECIAL}
    if not todo:
        return
    if not _SPECIAL:
        todo.update(_SEED)
    everything = _code_points(full=any(ord(c) > 0xFFFF for c in todo))
    folded = re.compile("(?i)[" + "".join(map(re.escape, sorted(todo))) + "]")
    matched = "".join(sorted(set(folded.findall(everything))))
    for ch in todo:
        low = ch.lower()
        if len(low) != 1 or ch in "\u0130\u0307":
            _SPECIAL[ch] = True
        else:
            same = re.compile("(?i)" + re.escape(ch)).findall(matched)
            _SPECIAL[ch] = any(t.lower() != low for t in same)


def _special_case(ch: str) -> bool:
    if ch not in _SPECIAL:
        _learn_special(ch)
    return _SPECIAL[ch]


def _literals(items) -> str:
    out = []
    for node in items:
        if node[0] == "LIT":
            out.append(node[1])
        elif node[0] in ("SUB", "ASSERT"):
            out.append(_literals(node[2]))
        elif node[0] == "REP":
            out.append(_literals(node[3]))
        elif node[0] == "BRANCH":
            out.extend(_literals(a) for a in node[2])
    return "".join(out)


# --- necessary pieces ----------------------------------------------------------------------------


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

    for node in items:
        kind = node[0]
        if kind == "LIT":
            run.append(node[1])
            continue
        flush()
        if kind in ("SUB", "ASSERT"):  # groups, atomic groups, positive lookarounds
            reqs += _literal_requirements(node[2], min_len)
        elif kind == "REP":
            if node[2] >= 1:
                reqs += _literal_requirements(node[3], min_len)
        elif kind == "BRANCH":
            alts: set[str] = set()
            for branch in node[2]:
                sub = _literal_requirements(branch, min_len)
                if not sub:
                    alts = set()
                    break
                alts |= max(sub, key=lambda r: (min(map(len, r)), -len(r)))
            if alts:
                reqs.append(frozenset(alts))
    flush()
    return reqs


def _pattern_requirements(pattern: re.Pattern[str]) -> tuple[frozenset[str], ...]:
    items = _read(pattern)
    if items is None:
        return ()
    _learn_special(_literals(items))  # one question to the engine for all of them
    return tuple(_literal_requirements(items))


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
