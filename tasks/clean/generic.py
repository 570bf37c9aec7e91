"""The generic line decision: lines that no site or generic rule knows, jusText-style.

Pure functions, no I/O beyond reading the stop-word lists once. After the line rules, the
repeated-line layer and the structural passes of the cleaner have run, every line of a page is
either decided (removed by a rule: *bad*; the title or a line a rule keeps: *good*) or unknown.
Each unknown line gets a class from its own features, as jusText does (Pomikálek 2011):

* ``good``: long (>= ``LENGTH_HIGH`` characters) with a share of stop words of its language of at
  least ``STOP_HIGH``, or prose (a sentence of >= ``LENGTH_LOW`` characters with stop words);
* ``neargood``: a shorter line with stop words, or ending like a sentence;
* ``short``: shorter than ``LENGTH_LOW`` characters and no sentence;
* ``bad``: a longer line with (almost) no stop words: lists of names or headlines, tickers,
  tag clouds, strings of symbols or digits.

Then context smoothing, with the nearest anchor on each side: a decided line, or a line good or
near-good by its features (a sentence vouches for its neighbours; a line bad by its features alone
is no anchor, so two list-like lines inside an
article keep each other). The page's edges count as good (jusText counts them as bad): a line
at the edge is removed only on the evidence of boilerplate next to it:

* a ``short`` line between two bad ones is boilerplate (``generic_context``); a ``neargood`` one
  (a sentence) stays even there: a closing sentence after a photo credit, a line after a
  "Popular" label that goes on with the article (jusText would drop it);
* a label (a ``short`` line of at most ``LABEL_MAX_WORDS`` words, each capitalised, no sentence)
  next to a bad one, such as a section name between the article and a list of other stories, is
  boilerplate (``generic_label``; the lists hold frequent words, not only function words, so a
  one-word label may well be in them; a short phrase such as "Entry is free" stays);
* a ``bad`` line next to a bad one is boilerplate (``generic_list``);
* everything else stays: a line between two body paragraphs is always kept, whatever its
  features. The layer errs towards keeping: a removed content line costs more than a kept
  boilerplate line.

Stop words: the lists shipped with the ``justext`` package for Azerbaijani, Russian, English and
Turkish (read from its data files; the package itself, which needs lxml, is never imported).
A line's language is the list that covers most of its words, so a Russian line on an English
page is measured with the Russian list.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tasks.clean.text import _is_prose, _lang_hint

STOPLIST_LANGUAGES = {"az": "Azerbaijani", "ru": "Russian", "en": "English", "tr": "Turkish"}
LENGTH_LOW = 70  # jusText's defaults
LENGTH_HIGH = 200
STOP_LOW = 0.30
STOP_HIGH = 0.32
LABEL_MAX_CHARS = 40  # a label (section name, site name, "flag" residue) is short
LABEL_MAX_WORDS = 3
GOOD, NEARGOOD, SHORT, BAD = "good", "neargood", "short", "bad"

_WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
_SENTENCE = re.compile(r"[.!?…][\"'»”’)\]]*$")
_STRIP = "\"'«»“”„‘’()[]{}.,;:!?…-–—"


def _fold(word: str) -> str:
    """Lower case, with the dotted capital I of az/tr folded to a plain i."""
    return word.lower().replace("i̇", "i").strip(_STRIP)


def _stoplist_dir() -> Path:
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the justext package (stop-word lists) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "stoplists"


@lru_cache(maxsize=1)
def stopwords() -> dict[str, int]:
    """Every stop word of the four lists -> a bit mask of the languages it belongs to."""
    masks: dict[str, int] = {}
    base = _stoplist_dir()
    for bit, name in enumerate(STOPLIST_LANGUAGES.values()):
        for raw in (base / f"{name}.txt").read_text(encoding="utf-8").split():
            word = _fold(raw)
            if word and _WORD.fullmatch(word):
                masks[word] = masks.get(word, 0) | (1 << bit)
    return masks


@dataclass(frozen=True, slots=True)
class LineFeatures:
    chars: int
    words: int
    stop_share: float  # share of the words that are stop words of the line's best language
    language: str | None  # the stop-word list that covers most words (None: no stop word)
    sentence: bool  # ends like a sentence
    letters_share: float  # letters among non-space characters


_BITS = tuple(1 << k for k in range(len(STOPLIST_LANGUAGES)))


def features(text: str) -> LineFeatures:
    t = text.strip()
    words = _WORD.findall(t.lower().replace("i̇", "i"))  # == map(_fold, _WORD.findall(t))
    get = stopwords().get
    masks = [m for m in map(get, words) if m]
    per_lang = [sum(1 for m in masks if m & bit) for bit in _BITS]
    best = max(range(len(per_lang)), key=per_lang.__getitem__)
    n_stop = per_lang[best]
    compact = t.replace(" ", "")
    return LineFeatures(
        chars=len(t),
        words=len(words),
        stop_share=n_stop / len(words) if words else 0.0,
        language=list(STOPLIST_LANGUAGES)[best] if n_stop else None,
        sentence=bool(_SENTENCE.search(t)) and len(words) >= 3,
        letters_share=sum(map(str.isalpha, compact)) / len(compact) if compact else 0.0,
    )


def _long_sentence(text: str) -> bool:
    """A line of >= ``LENGTH_LOW`` characters ending like a sentence (the class of a body
    paragraph: ``good`` or ``neargood``, which decide the same), known without its words."""
    t = text.strip()
    return len(t) >= LENGTH_LOW and t.count(" ") >= 2 and _SENTENCE.search(t) is not None


def classify(f: LineFeatures) -> str:
    """jusText's context-free class of one line (no link density: our input is plain text)."""
    if f.chars < LENGTH_LOW:
        if f.sentence and f.stop_share >= STOP_LOW:
            return NEARGOOD
        return SHORT
    if f.stop_share >= STOP_HIGH:
        return GOOD if f.chars > LENGTH_HIGH or f.sentence else NEARGOOD
    if f.stop_share >= STOP_LOW or f.sentence:
        return NEARGOOD
    return BAD


def _label(text: str, f: LineFeatures) -> bool:
    """A label: a few capitalised words, no sentence ("Social", "In Focus", "ANALİZ")."""
    if f.chars > LABEL_MAX_CHARS or not 1 <= f.words <= LABEL_MAX_WORDS or f.sentence:
        return False
    if text.rstrip()[-1:] in ".,;:":
        return False  # a piece of a sentence ("Group D,"), not a label
    return all(w[0].isupper() for w in _WORD.findall(text))


def _neighbours(
    anchors: Sequence[str | None], top: str, bottom: str
) -> tuple[list[str], list[str]]:
    """For each line, the nearest good/bad anchor before and after it (or the page's edge)."""
    n = len(anchors)
    before, after = [top] * n, [bottom] * n
    last = top
    for i in range(n):
        before[i] = last
        if anchors[i] is not None:
            last = anchors[i]
    last = bottom
    for i in range(n - 1, -1, -1):
        after[i] = last
        if anchors[i] is not None:
            last = anchors[i]
    return before, after


def decide(
    lines: Sequence[str], decided: Sequence[str | None], top: str = GOOD, bottom: str = GOOD
) -> dict[int, str]:
    """Boilerplate among the unknown lines: index -> rule name.

    ``decided[i]`` is ``"bad"`` (removed by a rule), ``"good"`` (kept by a decision: the title, a
    lead), ``None`` (unknown: this layer decides) or ``"blank"`` (an empty line, ignored). Only
    unknown lines can be removed. ``top`` and ``bottom``: what the page's edges count as (good by
    default, unlike jusText: a line at the edge of the page is kept unless boilerplate stands on
    its other side too; a closing sentence or a list item at the top stays).
    """
    classes: list[str | None] = []
    feats: dict[int, LineFeatures] = {}
    for i, state in enumerate(decided):
        if state == "blank":
            classes.append(None)
        elif state in (GOOD, BAD):
            classes.append(state)
        elif _long_sentence(lines[i]):
            classes.append(GOOD)  # good or near-good whatever its stop words: never removed
        else:
            feats[i] = features(lines[i])
            classes.append(classify(feats[i]))
    if not feats:
        return {}
    # anchors: decided lines and good lines; a line bad by its features alone does not make its
    # neighbours boilerplate (two list-like lines inside an article stay)
    # a sentence (neargood) vouches for its neighbours like a paragraph: a sub-heading right above
    # a short closing sentence stays
    anchors = [
        GOOD if c in (GOOD, NEARGOOD) else BAD if (c == BAD and i not in feats) else None
        for i, c in enumerate(classes)
    ]
    before, after = _neighbours(anchors, top, bottom)
    out: dict[int, str] = {}
    for i, f in feats.items():
        c, b, a = classes[i], before[i], after[i]
        if b == GOOD and a == GOOD:
            continue  # between two body paragraphs: kept, whatever it is
        if c == SHORT and b == BAD and a == BAD:
            out[i] = "generic_context"
        elif c == SHORT and _label(lines[i], f):
            out[i] = "generic_label"
        elif c == BAD:
            out[i] = "generic_list"
    return out


# rules that keep their line's text as article metadata rather than boilerplate: they neither
# make a neighbour boilerplate nor vouch for it
NEUTRAL_RULES = frozenset({"title", "duplicate_title"})
TABLE_MIN_CELLS = 4  # lone small numbers or scores on one page: a table, not counters
_CELL = re.compile(r"^\s*(?:\d{1,3}|\d{1,2}\s*[-:–]\s*\d{1,2})\s*$")
_TAG_WORDS = re.compile(r"^[^\W\d_][^\W\d_\s\-]*(?:[\s,]+[^\W\d_][^\W\d_\-]*){1,5}$")
TAIL_HEADLINE_MAX_CHARS = 200


def mark_generic(page, start: int, to: int | None = None) -> int:
    """Step 7b: the generic decision on a ``state._Page`` after the rules, title and tail.

    ``to``: where the article's tail (a related block) starts, if known. The title (and its
    copies) is a good anchor, every other removed line a bad one; the header line is left to the
    header step. Marks ``page.rule`` and returns how many lines it removed.
    """
    end = len(page.lines) if to is None else to
    table = _table_cells(page, start, end)
    decided: list[str | None] = []
    for i, filled in enumerate(page.filled):
        rule = page.rule.get(i)
        if i < start or not filled:
            decided.append("blank")
        elif i in table:
            page.rule.pop(i, None)  # a cell of a table: content
            decided.append(GOOD)
        elif rule is None:
            decided.append(None)
        else:
            decided.append(GOOD if rule in NEUTRAL_RULES else BAD)
    found = decide(page.lines, decided)
    page.rule.update(found)
    found.update(_after_the_article(page, start))
    return len(found)


def _table_cells(page, start: int, end: int) -> set[int]:
    """Lone small numbers and scores ("3", "5-0") above the tail, when there are enough of them.

    A counter ("0", "1245") appears once or twice on a page; a standings or results table prints
    a column of them. They are kept, with the short lines between them (the generic decision
    sees them as content).
    """
    lines, rule = page.lines, page.rule
    cells = [
        i
        for i in range(start, end)
        if page.filled[i]
        and len(lines[i]) <= 12
        and rule.get(i) in (None, "view_counter")
        and _CELL.match(lines[i])
    ]
    return set(cells) if len(cells) >= TABLE_MIN_CELLS else set()


BODY_SAMPLE = 3  # paragraphs that give the body's language class


def _prose_kept(page, i: int) -> bool:
    return page.kept(i) and _is_prose(page.lines[i])


def _after_the_article(page, start: int) -> dict[int, str]:
    """After the last prose paragraph: headlines in another language, lower-case tag lines.

    A heading-like line (no sentence end) whose script/language class differs from the body's
    is another edition's headline (``generic_foreign``); a few lower-case words with no
    punctuation are a tag list (``generic_tags``). Inside the article neither is touched.
    """
    lines = page.lines
    last = next((i for i in range(len(lines) - 1, start - 1, -1) if _prose_kept(page, i)), None)
    if last is None:
        return {}
    candidates = []
    for i in range(last + 1, len(lines)):
        t = lines[i].strip()
        if page.kept(i) and len(t) <= TAIL_HEADLINE_MAX_CHARS and not _SENTENCE.search(t):
            candidates.append((i, t))
    if not candidates:
        return {}
    # the body's language class, from its last paragraphs
    paras = [i for i in range(last, start - 1, -1) if _prose_kept(page, i)][:BODY_SAMPLE]
    body_lang = _lang_hint(" ".join(lines[i] for i in paras))
    hints = {i: _lang_hint(t) for i, t in candidates}
    out: dict[int, str] = {}
    for run in _runs(page, [i for i, _ in candidates]):
        if body_lang and any(hints[i] == body_lang for i in run):
            continue  # a list in the page's own language class: the article's, kept whole
        for i in run:
            if _foreign(body_lang, hints[i], lines[i]):
                out[i] = "generic_foreign"
    for i, t in candidates:
        if i not in out and t[0].islower() and _TAG_WORDS.match(t) and not _continues(page, i, out):
            out[i] = "generic_tags"
    page.rule.update(out)
    return out


AZ_WITHOUT_SCHWA_MIN_WORDS = 5  # a shorter Latin line without ə may well be Azerbaijani (names)


def _foreign(body_lang: str | None, lang: str | None, text: str) -> bool:
    """Another language class than the body's, on evidence: another script, or a Latin line on
    an Azerbaijani page long enough that the absence of ə says something."""
    if not body_lang or not lang or lang == body_lang:
        return False
    if {lang, body_lang} == {"az", "latin"}:
        return len(text.split()) >= AZ_WITHOUT_SCHWA_MIN_WORDS
    return True


def _runs(page, indexes: list[int]) -> list[list[int]]:
    """Split line indexes into runs of neighbours (only blank lines between them)."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and all(not page.filled[j] for j in range(runs[-1][-1] + 1, i)):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _continues(page, i: int, removed: dict[int, str]) -> bool:
    """The line goes on from a kept line just above it that ends no sentence (hard-wrapped text)."""
    j = i - 1
    while j >= 0 and not page.filled[j]:
        j -= 1
    return (
        j >= 0 and page.kept(j) and j not in removed and not _SENTENCE.search(page.lines[j].strip())
    )
