"""Language identification of article fragments (paragraphs, or sentences of mixed paragraphs).

Design (measured with ``benchmarks/langid_eval.py`` on the dev set /work/shared/langid-dev,
split once: lines 1-150 of each file tune, lines 151-300 are held out and only reported;
default expected languages en, az, ru, tr; seed 0):

* Base engine: langdetect-rs 0.1.0 batch API (Rust, GIL released), bit-identical to
  langdetect 1.0.9 (labels and exact float probabilities, all 3,600 dev fragments; the
  benchmark re-checks it every run). Plain langdetect first, trusted where its answer is
  admissible: the expected languages of the text's dominant script, plus languages its letters
  admit (uk by і ї є ґ or a Latin i inside Cyrillic words, or by lacking the Russian-only
  ы э ъ ё; az by ə), or -- when no expected language writes that script -- every language of
  the script. Its other answers are redone by a langdetect-rs factory restricted to the
  admissible profiles.
* The confusable pairs are decided by lingua (lingua-language-detector 2.1.1, high accuracy,
  n-gram models of 1-5 letters trained on large real corpora), asked only about the
  confusable candidates and only where langdetect's answer is one of them:
  - az/tr: where langdetect says tr (it has no az profile) or a non-admissible language and
    az is a candidate: lingua restricted to {az, tr} (or to the admissible set). Letters that
    only one alphabet writes (``az_tr_letters``: ə; â î û, ğ after a front vowel, ý þ ð)
    override lingua's choice; all hand-written word and suffix markers are gone.
  - uk/ru and kk/ru: a Cyrillic text of at most ``_LINGUA_MAX_WORDS`` words that langdetect
    calls ru or uk (or a non-admissible language): lingua restricted to {ru, uk} ∩
    candidates, plus kk when Kazakh is possible (ru a candidate, no ґ є ї, and Kazakh letters
    or at most ``_KK_BARE_MAX_WORDS`` words). A longer text keeps langdetect's answer (its
    walk over a whole sentence is as good there and cheaper), unless it shows Kazakh letters
    below the share that decides kk alone, or і beside ы э ъ ё (only Kazakh has both).
  - langdetect is skipped where its answer could not change the question (``_assumed_top``).
  The issue's other option, langdetect-format profiles built from lingua's 1-3-gram models
  (``benchmarks/langid_profiles_from_lingua.py``: same routing, a restricted langdetect-rs
  walk answers instead of lingua), was measured and not kept: held-out word pairs az 88.0, ru
  96.0, tr 98.7, uk 98.0, kk 96.7 % against 94.7, 98.7, 99.3, 100, 97.3 by lingua (it wins en
  pairs 100 vs 99.3 and ru/tr sentences 99.3/100 vs 98.7/99.3), at ~1.7x the speed.
* Kazakh (no langdetect profile): >= 10 % of the Cyrillic words holding ә ғ қ ң ө ұ ү һ -> kk;
  below that, lingua (above).
* Results, held-out half, ours / lingua high accuracy (6 languages) / plain langdetect (%):
  sentences az 100/99.3/0, en 100/100/99.3, ru 98.7/98.7/96.0, tr 99.3/99.3/100, uk
  100/94.7/98.7, kk 100/100/0; word pairs az 94.7/94.7/0, en 99.3/99.3/52.7, ru
  98.7/98.7/85.3, tr 99.3/99.3/87.3, uk 100/100/90.7, kk 97.3/97.3/0. Where plain langdetect
  is right (1,065 held-out fragments) ours equals it on 1,062 (99.7 %). Throughput on the
  3,600 dev fragments: ~1.8x lingua high accuracy per CPU second (see the README for the
  figures of one run). Our own az/tr lines (``lang_profiles/markers_{az,tr}.txt``, never
  used to tune): az lines 99.0 %, az word pairs 94.5 % (without ə 88.1 %; the former word
  markers: 97.8 / 86.0 / 69.7 %), tr lines 99.3 %, tr word pairs 92.3 % (markers: 100 / 90.7).
* "und" (score 0.0): no letters after removing URLs/e-mails, a lone capitalised word (a name,
  "NATO"), or only short all-capital words; also langdetect finding no features.
* Deterministic: the seed (Settings.lang_seed) fixes langdetect's random walk per text,
  independent of batching and of PYTHONHASHSEED (candidate sets are sorted tuples); lingua
  has no randomness.
* Models load lazily, once per process and seed (``_engine``); restricted factories and lingua
  detectors (models preloaded) are cached per candidate set.

Mixed paragraphs: each paragraph and (when its sentences may differ, ``_shapes_differ``) each
of its sentences go into the single ``detect_many`` batch of the whole article batch. A
paragraph splits only when two "strong" sentences (>= 12 letters, score >= 0.8, not und)
disagree; weak sentences join the run before them. Otherwise the paragraph is one fragment
labelled by its own detection.
"""

from __future__ import annotations

import functools
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from tasks.config import Settings
from tasks.records import Article, Fragment, StageResult, StageStats
from tasks.sentences import split_sentences

UND = "und"
PROFILE_DIR = Path(__file__).resolve().parent / "lang_profiles"

# Scripts of the languages we can name: the 55 profiles of langdetect 1.0.9, plus az and kk
# (no langdetect profile: decided by their letters and by lingua).
_SCRIPT_LANGS: dict[str, tuple[str, ...]] = {
    "LATIN": (
        "af ca cs cy da de en es et fi fr hr hu id it lt lv nl no pl pt ro sk sl so sq sv sw tl "
        "tr vi az"
    ).split(),
    "CYRILLIC": ("bg", "mk", "ru", "uk", "kk"),
    "ARABIC": ("ar", "fa", "ur"),
    "GREEK": ("el",),
    "HEBREW": ("he",),
    "DEVANAGARI": ("hi", "mr", "ne"),
    "BENGALI": ("bn",),
    "GUJARATI": ("gu",),
    "GURMUKHI": ("pa",),
    "KANNADA": ("kn",),
    "MALAYALAM": ("ml",),
    "TAMIL": ("ta",),
    "TELUGU": ("te",),
    "THAI": ("th",),
    "HANGUL": ("ko",),
    "HAN": ("ja", "zh-cn", "zh-tw"),
}
_LANG_SCRIPT = {lang: script for script, langs in _SCRIPT_LANGS.items() for lang in langs}
KNOWN_LANGUAGES = frozenset(_LANG_SCRIPT)
# Unicode character-name prefixes that belong to one script key above.
_SCRIPT_ALIASES = {"CJK": "HAN", "HIRAGANA": "HAN", "KATAKANA": "HAN"}

# Letters that, inside their script, only some languages use: evidence that makes a language
# admissible even when it is not expected (a Russian-only setting still lets a text with і/ї/є
# be Ukrainian). Kazakh is decided on its letters alone (see _KK_LETTERS).
_EVIDENCE_LETTERS: dict[str, frozenset[str]] = {
    "uk": frozenset("іїєґІЇЄҐ"),
    "az": frozenset("əƏ"),
}
_KK_LETTERS = frozenset("әғқңөұүһӘҒҚҢӨҰҮҺ")
_KK_MIN_WORD_SHARE = 0.1  # share of Cyrillic words holding a Kazakh-only letter
_RU_ONLY = frozenset("ыэъёЫЭЪЁ")  # Russian letters Ukrainian does not have
_UK_LATIN_I = re.compile(r"[а-яіїєґ][iI]|[iI][а-яіїєґ]")  # Latin i typed for Ukrainian і
_UK_LETTER_SHARE = 0.1  # share of Cyrillic words with і ї є ґ that makes a text Ukrainian
_AZ_SCHWA_SHARE = 0.1  # share of Latin words with ə that makes a text Azerbaijani (or 2 words)
_AZ_TR_PRIOR_OTHER = 0.01  # prior weight of a non-admissible language in single-candidate scores

_KK_LETTER = re.compile("[" + "".join(sorted(_KK_LETTERS)) + "]")
_UK_LETTER = re.compile("[" + "".join(sorted(_EVIDENCE_LETTERS["uk"])) + "]")
_RU_ONLY_LETTER = re.compile("[" + "".join(sorted(_RU_ONLY)) + "]")

_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\S+", re.IGNORECASE)
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


# --------------------------------------------------------------------------------------------
# text analysis


@functools.lru_cache(maxsize=4096)
def _script_of(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    try:
        head = unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:
        return None
    return _SCRIPT_ALIASES.get(head, head)


# Fast forms of the character tests above, for the characters below U+2000 (Latin, Greek,
# Cyrillic, Armenian, Hebrew, Arabic...): explicit sets, which the regex engine tests by table
# lookup instead of by Unicode category (word finding 2x faster). Computed from ``_WORD_RE``'s
# own class and ``_script_of``, so they agree with them exactly.
_LOW = 0x2000
_LOW_WORD_CHARS = [chr(c) for c in range(_LOW) if re.fullmatch(r"[^\W\d_]", chr(c))]


def _class_of(chars: Iterable[str]) -> str:
    return "[" + "".join(re.escape(ch) for ch in chars) + "]"


_WORD_CLASS_LOW = _class_of(_LOW_WORD_CHARS)
_WORD_RE_LOW = re.compile(f"{_WORD_CLASS_LOW}+(?:['’\\-]{_WORD_CLASS_LOW}+)*")
_HIGH_CHAR = re.compile(f"[^\\x00-\\u{_LOW - 1:04x}]")
_WORD_CHAR = re.compile(r"[^\W\d_]")
_LATIN_CLASS = _class_of(ch for ch in _LOW_WORD_CHARS if _script_of(ch) == "LATIN")
_CYRILLIC_CLASS = _class_of(ch for ch in _LOW_WORD_CHARS if _script_of(ch) == "CYRILLIC")
_ALL_LATIN = re.compile(_LATIN_CLASS + "+")
_ALL_CYRILLIC = re.compile(_CYRILLIC_CLASS + "+")
_ALL_LATIN_OR_CYRILLIC = re.compile(f"(?:{_LATIN_CLASS}|{_CYRILLIC_CLASS})+")
_CYRILLIC_CHAR = re.compile(_CYRILLIC_CLASS)


def _words(text: str) -> list[str]:
    """``_WORD_RE.findall(text)``, by the fast pattern unless a word character is >= U+2000."""
    high = _HIGH_CHAR.findall(text)
    if high and _WORD_CHAR.search("".join(high)):
        return _WORD_RE.findall(text)
    return _WORD_RE_LOW.findall(text)


@dataclass(slots=True)
class _Signal:
    words: list[str]
    script: str | None  # dominant script of the letters
    letters: int
    chars: str = ""  # the letters of the words (their characters but the ' ’ - joining parts)


def _signal(text: str) -> _Signal:
    stripped = _URL_RE.sub(" ", text) if ("@" in text or "www" in text or "//" in text) else text
    words = _words(stripped)
    chars = "".join(words)
    if "-" in chars or "'" in chars or "’" in chars:
        chars = chars.replace("-", "").replace("'", "").replace("’", "")
    # Fast paths for letters of Latin and Cyrillic only (every such character is a letter):
    # the script with more letters; a tie goes to the script seen first, as in the general
    # count below (Counter.most_common keeps first-seen order among equals).
    if not chars:
        return _Signal(words, None, 0, chars)
    if chars.isascii() or _ALL_LATIN.fullmatch(chars):
        return _Signal(words, "LATIN", len(chars), chars)
    if _ALL_CYRILLIC.fullmatch(chars):
        return _Signal(words, "CYRILLIC", len(chars), chars)
    if _ALL_LATIN_OR_CYRILLIC.fullmatch(chars):
        cyrillic = len(_CYRILLIC_CHAR.findall(chars))
        latin = len(chars) - cyrillic
        if cyrillic != latin:
            script = "CYRILLIC" if cyrillic > latin else "LATIN"
        else:
            script = _script_of(chars[0])
        return _Signal(words, script, len(chars), chars)
    counts: Counter[str] = Counter()
    # count characters at C speed, then name the script of each distinct one (cached)
    for ch, n in Counter(chars).items():
        script = _script_of(ch)
        if script is not None:
            counts[script] += n
    script = counts.most_common(1)[0][0] if counts else None
    return _Signal(words, script, sum(counts.values()), chars)


def _no_signal(sig: _Signal) -> bool:
    """No letters, or a lone name / abbreviation: nothing to tell a language by."""
    if not sig.words or sig.script is None:
        return True
    if len(sig.words) == 1 and sig.words[0][0].isupper():
        return True  # "NATO", "Baku", "Əliyev": a name, not a sentence
    return all(w.isupper() and len(w) <= 5 for w in sig.words)  # "ABŞ NATO"


def _kk_share(sig: _Signal) -> float:
    if not _KK_LETTER.search(sig.chars):
        return 0.0
    cyr = [w for w in sig.words if _script_of(w[0]) == "CYRILLIC"]
    if not cyr:
        return 0.0
    return sum(1 for w in cyr if _KK_LETTERS.intersection(w)) / len(cyr)


@functools.lru_cache(maxsize=256)
def _script_candidates(
    script: str, expected: tuple[str, ...]
) -> tuple[tuple[str, ...], frozenset[str] | None]:
    """(sorted expected languages of the script, the same as a set), or -- when no expected
    language writes the script -- (all languages of the script, None)."""
    of_script = frozenset(lang for lang in expected if _LANG_SCRIPT.get(lang) == script)
    if not of_script:
        return tuple(sorted(lang for lang in _SCRIPT_LANGS.get(script, ()) if lang != "kk")), None
    return tuple(sorted(of_script)), of_script


def _uk_evidence(sig: _Signal) -> bool:
    """Some word holds a Ukrainian letter (і ї є ґ) or a Latin i typed for і."""
    return bool(_UK_LETTER.search(sig.chars) or _UK_LATIN_I.search(" ".join(sig.words)))


def _candidates(sig: _Signal, expected: tuple[str, ...]) -> tuple[str, ...]:
    """The admissible languages for a text: the expected ones of its script, the languages whose
    letters it holds, or -- when no expected language writes its script -- all of that script."""
    script = sig.script
    assert script is not None
    base, of_script = _script_candidates(script, expected)
    if of_script is None:
        return base
    # letters only some languages of the script write admit them (az: ə; uk: і ї є ґ, also a
    # Latin i typed for і); so does, for uk, a text in the letters both alphabets share, when
    # it lacks the Russian-only ы э ъ ё.
    if script == "LATIN" and "az" not in of_script and ("ə" in sig.chars or "Ə" in sig.chars):
        return tuple(sorted(of_script | {"az"}))
    if (
        script == "CYRILLIC"
        and "uk" not in of_script
        and (_uk_evidence(sig) or not _RU_ONLY_LETTER.search(sig.chars))
    ):
        return tuple(sorted(of_script | {"uk"}))
    return base


def _has_uk_letters(word: str) -> bool:
    return bool(_EVIDENCE_LETTERS["uk"].intersection(word) or _UK_LATIN_I.search(word)) and not (
        _RU_ONLY.intersection(word)
    )


def _share(sig: _Signal, pred) -> tuple[int, float]:
    n = sum(1 for w in sig.words if pred(w))
    return n, n / len(sig.words)


# --------------------------------------------------------------------------------------------
# Azerbaijani vs Turkish: orthography only (the alphabets), the rest is lingua's evidence
#
# Letters one alphabet has and the other has not, counted on lower-case Latin words (a
# capitalised word may be a name from anywhere): az writes ə (decided before langdetect, see
# detect_many); Turkish writes â î û, which the Azerbaijani alphabet lacks, and ğ after a front
# vowel, where az writes y (tr değer, öğren-, -diği; az dəyər, öyrən-, -diyi; "ğt" left out for
# the Arabic loan iğtişaş, which az writes so); ý þ ð are Turkish read in the wrong code page
# (windows-1254 as 1252). Word lists are gone: lingua's n-gram models of both languages,
# trained on large real corpora, decide what the letters leave open.

_TR_LETTERS = re.compile(r"[âîûýþð]|[eiöü]ğ(?!t)")


def az_tr_letters(words: Sequence[str]) -> tuple[int, int]:
    """(Azerbaijani, Turkish) counts of lower-case words whose letters only one alphabet
    writes (and of the first word, when only its initial is a capital)."""
    az = tr = 0
    for n, word in enumerate(words):
        if n == 0 and word[1:].islower():
            word = word.lower()
        if not word[0].islower():
            if set(word) & set("ýþðÝÞÐ"):
                tr += 1  # mis-decoded Turkish keeps its case
            continue
        if "ə" in word:
            az += 1
        elif _TR_LETTERS.search(word):
            tr += 1
    return az, tr


# --------------------------------------------------------------------------------------------
# the engine: langdetect-rs factories and lingua detectors, loaded lazily once per process

# Kazakh without any of its own letters (ә ғ қ ң ө ұ ү һ) is asked of lingua only for a text of
# at most this many words: a longer Kazakh text shows one of them (or і beside ы/э/ъ/ё), while
# lingua's Kazakh model claims some Ukrainian sentences with none (tune half: 10 uk sentences
# called kk by lingua restricted to the 6 languages; see _kk_possible).
_KK_BARE_MAX_WORDS = 3
# A Cyrillic text of more words that langdetect calls ru or uk keeps langdetect's answer: its
# n-gram walk over a whole sentence is as good as lingua's there and costs less (tune half:
# uk sentences 98.7 % with lingua up to 3-6 words, 100 % up to 10 or more; all words: half
# the speed).
_LINGUA_MAX_WORDS = 10
_TURKIC_SHARE = 0.2  # share of words with ı or ğ that makes a Latin text an az/tr question
_UK_ONLY = frozenset("ґєїҐЄЇ")  # Ukrainian letters Kazakh does not have (і is in both)
_LINGUA_CODES = {"no": "NB", "zh-cn": None, "zh-tw": None}  # langdetect code -> lingua ISO


def _builtin_profile_dir() -> Path:
    spec = find_spec("langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("langdetect (1.0.9) is needed for its profile files")
    return Path(next(iter(spec.submodule_search_locations))) / "profiles"


@functools.lru_cache(maxsize=1)
def _lingua_supported() -> frozenset[str]:
    from lingua import IsoCode639_1, Language

    have = {lang.iso_code_639_1.name.lower() for lang in Language.all()}
    out = set()
    for lang in KNOWN_LANGUAGES:
        code = _LINGUA_CODES.get(lang, lang.upper())
        if code is not None and hasattr(IsoCode639_1, code) and code.lower() in have:
            out.add(lang)
    return frozenset(out)


class _Engine:
    """Seeded langdetect-rs factories (the built-in one, plain langdetect, and restricted ones)
    and lingua high-accuracy detectors restricted to a candidate set."""

    def __init__(self, seed: int) -> None:
        from langdetect_rs import DetectorFactory
        from langdetect_rs._seed import seed_state
        from langdetect_rs.detector_factory import PROFILES_DIRECTORY

        self.seed = seed
        self._state = seed_state(seed)
        self._DetectorFactory = DetectorFactory
        plain = DetectorFactory()
        plain.load_profile(PROFILES_DIRECTORY)  # the 55 built-in profiles, langdetect's order
        plain.set_seed(seed)
        self.plain = plain
        self._restricted: dict[tuple[str, ...], object] = {}
        self._lingua: dict[tuple[str, ...], object] = {}
        self._lock = threading.Lock()

    def restricted(self, langs: tuple[str, ...]):
        """A langdetect-rs factory of the built-in profiles of ``langs`` only."""
        with self._lock:
            factory = self._restricted.get(langs)
            if factory is None:
                factory = self._DetectorFactory()
                profiles = [
                    (_builtin_profile_dir() / lang).read_text(encoding="utf-8") for lang in langs
                ]
                factory.load_json_profile(profiles)
                factory.set_seed(self.seed)
                self._restricted[langs] = factory
            return factory

    def batch(self, factory, texts: list[str]) -> list[list[tuple[str, float]] | None]:
        """``detect_langs`` of langdetect for many texts (Rust, GIL released, all cores)."""
        if not texts:
            return []
        return factory._core.detect_langs_batch(texts, self._state)

    def lingua(self, langs: tuple[str, ...]):
        """A lingua high-accuracy detector knowing ``langs`` only (their models preloaded)."""
        with self._lock:
            detector = self._lingua.get(langs)
            if detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, _LINGUA_CODES.get(x, x.upper())) for x in langs]
                builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                detector = builder.with_preloaded_language_models().build()
                self._lingua[langs] = detector
            return detector

    def ask_lingua(
        self, langs: tuple[str, ...], texts: list[str], prefer: list[str | None]
    ) -> list[tuple[str, float]]:
        """lingua's most likely language of ``langs`` and its confidence, for each text; where
        ``prefer`` names a language (the one the text's letters point to), that language with
        lingua's confidence in it."""
        if not texts:
            return []
        code = {_LINGUA_CODES.get(lang, lang.upper()): lang for lang in langs}
        out: list[tuple[str, float]] = []
        results = self.lingua(langs).compute_language_confidence_values_in_parallel(texts)
        for values, want in zip(results, prefer, strict=True):
            best = values[0] if values else None
            if best is None or best.value <= 0.0:
                out.append((want, 0.5) if want else (UND, 0.0))
                continue
            lang = code[best.language.iso_code_639_1.name]
            if want is None or want == lang:
                out.append((lang, round(float(best.value), 6)))
            else:
                value = next(
                    v.value for v in values if code[v.language.iso_code_639_1.name] == want
                )
                out.append((want, round(float(value), 6)))
        return out


@functools.lru_cache(maxsize=8)
def _engine(seed: int) -> _Engine:
    return _Engine(seed)


@functools.lru_cache(maxsize=1)
def _default_settings() -> Settings:
    return Settings.load()


# --------------------------------------------------------------------------------------------
# detection


def _first_pass(
    text: str, expected: tuple[str, ...]
) -> tuple[str, float] | tuple[_Signal, tuple[str, ...]] | None:
    """A label decided by the letters alone, or (signal, candidates) for langdetect, or None
    (no signal, or a script no profile covers: "und")."""
    sig = _signal(text)
    if _no_signal(sig):
        return None
    if sig.script == "CYRILLIC":
        share = _kk_share(sig)
        if share >= _KK_MIN_WORD_SHARE:
            return ("kk", round(min(1.0, 0.5 + share), 6))
    cands = _candidates(sig, expected)
    # (a word with Ukrainian letters needs some in the text: none, no count)
    if "uk" in cands and "uk" not in expected and _uk_evidence(sig) and not _kk_possible(sig):
        n, share = _share(sig, _has_uk_letters)
        if n >= 2 or share >= _UK_LETTER_SHARE:
            return ("uk", round(min(1.0, 0.5 + share), 6))
    if not cands:
        return None  # a script no profile covers (e.g. Georgian): we cannot name it
    if "az" in cands and ("ə" in text or "Ə" in text):
        schwa = [w for w in sig.words if "ə" in w or "Ə" in w]
        share = len(schwa) / len(sig.words)
        if len(schwa) >= 2 or share >= _AZ_SCHWA_SHARE or any(w[0].islower() for w in schwa):
            return ("az", round(min(1.0, 0.5 + share), 6))
    return sig, cands


def _kk_evidence(sig: _Signal) -> bool:
    """Some letter of the text is Kazakh's: ә ғ қ ң ө ұ ү һ, or і beside ы э ъ ё (і is not
    Russian, ы э ъ ё are not Ukrainian: of the three alphabets, only Kazakh has both)."""
    if _KK_LETTER.search(sig.chars):
        return True
    return ("і" in sig.chars or "І" in sig.chars) and bool(_RU_ONLY_LETTER.search(sig.chars))


def _kk_possible(sig: _Signal) -> bool:
    """Whether Kazakh may be asked of lingua for a Cyrillic text below the kk letter share."""
    if _UK_ONLY.intersection(sig.chars):
        return False
    return _kk_evidence(sig) or len(sig.words) <= _KK_BARE_MAX_WORDS


def _question(
    sig: _Signal, cands: tuple[str, ...], top: str | None
) -> tuple[tuple[str, ...], str | None] | None:
    """What to make of plain langdetect's answer ``top``: None to keep it (or to redo it by a
    restricted langdetect walk when it is not admissible), or the confusable languages to ask
    lingua about, with the language the letters point to (az/tr: see ``az_tr_letters``), if
    any, which wins over lingua's choice."""
    admissible = top in cands
    prefer = None
    if sig.script == "LATIN" and "az" in cands and (top == "tr" or not admissible):
        az, tr = az_tr_letters(sig.words)
        if az != tr and (az == 0 or tr == 0):
            prefer = "az" if az else "tr"
        group = ("az", "tr") if admissible else cands
    elif sig.script == "CYRILLIC" and (top in ("ru", "uk") or not admissible):
        kk = "ru" in cands and _kk_possible(sig)  # the kk/ru question (kk has no profile)
        if len(sig.words) > _LINGUA_MAX_WORDS and admissible and not (kk and _kk_evidence(sig)):
            return None  # a long text: langdetect's n-grams over the whole text decide
        group = tuple(sorted({"ru", "uk"} & set(cands) if admissible else set(cands)))
        if kk:
            group = tuple(sorted({*group, "kk"}))
    else:
        return None
    if len(group) < 2 or not set(group) <= _lingua_supported():
        return None
    return group, prefer


def _assumed_top(sig: _Signal, cands: tuple[str, ...]) -> str | None:
    """An answer of plain langdetect that cannot change what ``_question`` makes of the text, so
    that langdetect need not run: "ru" for a short Cyrillic text whose candidates are ru and/or
    uk (lingua is asked whatever langdetect says); "tr" for a Latin text where az and tr are
    candidates and at least a fifth of the words are lower-case words with ı or ğ, letters of
    the Turkish and Azerbaijani alphabets only (langdetect calls all of them tr or a
    non-candidate: 343 of 343 on the tune half, 391 of 391 of our own az/tr lines)."""
    if sig.script == "CYRILLIC":
        if len(sig.words) <= _LINGUA_MAX_WORDS and set(cands) <= {"ru", "uk"}:
            return "ru"
    elif sig.script == "LATIN" and "az" in cands and "tr" in cands:
        turkic = sum(1 for w in sig.words if w[0].islower() and ("ı" in w or "ğ" in w))
        if turkic and turkic >= _TURKIC_SHARE * len(sig.words):
            return "tr"
    return None


def detect_many(texts: Sequence[str], settings: Settings | None = None) -> list[tuple[str, float]]:
    """(ISO 639-1 code, confidence in [0, 1]) for each text; ("und", 0.0) without signal."""
    settings = settings or _default_settings()
    expected = tuple(settings.expected_languages)
    engine = _engine(settings.lang_seed)
    out: list[tuple[str, float]] = [(UND, 0.0)] * len(texts)
    todo: list[tuple[int, _Signal, tuple[str, ...]]] = []
    asks: dict[tuple[str, ...], list[tuple[int, str | None]]] = {}  # lingua: group -> texts
    for i, text in enumerate(texts):
        first = _first_pass(text if isinstance(text, str) else str(text), expected)
        if first is None:
            continue
        if isinstance(first[0], str):
            out[i] = first  # type: ignore[assignment]
            continue
        sig, cands = first  # type: ignore[misc]
        assumed = _assumed_top(sig, cands)
        question = _question(sig, cands, assumed) if assumed else None
        if question is None:
            todo.append((i, sig, cands))
        else:
            asks.setdefault(question[0], []).append((i, question[1]))

    plain = engine.batch(engine.plain, [texts[i] for i, _, _ in todo])
    rerun: dict[tuple[str, ...], list[int]] = {}
    for (i, sig, cands), probs in zip(todo, plain, strict=True):
        top = probs[0] if probs else None
        question = _question(sig, cands, top[0] if top else None)
        if question is not None:
            asks.setdefault(question[0], []).append((i, question[1]))
        elif top is not None and top[0] in cands:
            # (langdetect-rs gives (str, float) tuples: reused as they are, no copy)
            out[i] = top if type(top[1]) is float else (top[0], float(top[1]))
        elif len(cands) == 1:
            out[i] = (cands[0], _single_candidate_score(cands[0], probs))
        else:
            key = tuple(x for x in cands if x not in ("az", "kk"))  # (no langdetect profile)
            if len(key) == 1:
                out[i] = (key[0], _single_candidate_score(key[0], probs))
            elif key:
                rerun.setdefault(key, []).append(i)
    for key, idx in rerun.items():
        results = engine.batch(engine.restricted(key), [texts[i] for i in idx])
        for i, probs in zip(idx, results, strict=True):
            if probs:
                out[i] = (probs[0][0], float(probs[0][1]))
    for key, items in asks.items():
        results = engine.ask_lingua(key, [texts[i] for i, _ in items], [p for _, p in items])
        for (i, _), result in zip(items, results, strict=True):
            out[i] = result
    return out


def _single_candidate_score(lang: str, probs: list[tuple[str, float]] | None) -> float:
    """Posterior of the only admissible language, langdetect's probabilities times a prior of 1
    for it and ``_AZ_TR_PRIOR_OTHER`` for the others (a language below langdetect's 0.1
    reporting threshold counts as 0.05)."""
    if not probs:
        return 0.5
    p = dict(probs)
    own = p.get(lang, 0.05)
    others = sum(v for k, v in p.items() if k != lang) * _AZ_TR_PRIOR_OTHER
    return round(own / (own + others), 6)


def detect(text: str, settings: Settings | None = None) -> tuple[str, float]:
    """(ISO 639-1 code, confidence in [0, 1]) of one text; ("und", 0.0) without signal."""
    return detect_many([text], settings)[0]


def detect_lines(
    lines: Iterable[str], settings: Settings | None = None, chunk: int = 1024
) -> Iterator[tuple[str, float]]:
    """Detect each line (trailing newline ignored), in batches of ``chunk`` lines."""
    buf: list[str] = []
    for line in lines:
        buf.append(line.rstrip("\r\n"))
        if len(buf) >= chunk:
            yield from detect_many(buf, settings)
            buf = []
    if buf:
        yield from detect_many(buf, settings)


# --------------------------------------------------------------------------------------------
# articles: paragraphs, mixed paragraphs, the stage

_MIN_SENTENCE_LETTERS = 12  # a shorter sentence ("Yes.", "Bakı, 2024.") cannot start a run
_MIN_SENTENCE_SCORE = 0.8  # a sentence must be this sure to split its paragraph


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs: text separated by blank lines, stripped, empty ones skipped."""
    return [p for p in (q.strip() for q in _PARAGRAPH_BREAK.split(body)) if p]


@dataclass(slots=True)
class _ParagraphPlan:
    """A paragraph detected whole and sentence by sentence (one detected whole only is planned
    by its slot in the detection batch alone)."""

    text: str
    sentences: list[str]
    para_slot: int  # index of the paragraph's own text in the detection batch
    sent_slots: list[int]  # indexes of its sentences


_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
_NON_ASCII_LATIN_RE = re.compile(r"[\u00c0-\u024f\u0259\u018f]")


def _shape(sentence: str) -> tuple[bool, bool]:
    """A cheap signature: (mostly Cyrillic?, has Latin letters beyond ASCII?).

    Sentences in one language share it; an English sentence beside an Azerbaijani or Turkish
    quote (ə ş ç ğ ı ö ü), or a Latin sentence in a Cyrillic paragraph, do not.
    """
    extended = _NON_ASCII_LATIN_RE.search(sentence) is not None
    if not _CYRILLIC_RE.search(sentence):
        return False, extended  # no Cyrillic: not mostly Cyrillic
    if not extended and not _ASCII_LETTER_RE.search(sentence):
        return True, False  # Cyrillic letters only
    cyrillic = len(_CYRILLIC_RE.findall(sentence))
    latin = len(_ASCII_LETTER_RE.findall(sentence))
    n_extended = len(_NON_ASCII_LATIN_RE.findall(sentence))
    return cyrillic > latin + n_extended, extended


def _shapes_differ(para: str) -> list[str] | None:
    """The sentences of a paragraph when they do not all share one ``_shape``, else None.

    A paragraph without Cyrillic or non-ASCII Latin letters has one shape, (False, False), in
    every sentence: it is not split at all.
    """
    if para.isascii() or not (_CYRILLIC_RE.search(para) or _NON_ASCII_LATIN_RE.search(para)):
        return None
    sentences = split_sentences(para)
    if len(sentences) < 2:
        return None
    first = _shape(sentences[0])
    for sentence in sentences[1:]:
        if _shape(sentence) != first:
            return sentences
    return None


def _plan(body: str, batch: list[str]) -> list[_ParagraphPlan | int]:
    """Queue each paragraph for detection, and its sentences when they may differ in language.

    Sentence-level detection (the costly part) runs only for a paragraph whose sentences do
    not all share one ``_shape``. Measured on 1,000 generated pages + the samples + the golden
    fixtures: language stage 2.46 s -> 1.21 s; 18 of 1,028 articles changed, all for the
    better (a Russian dateline sentence "Баку, 12 марта, АЗЕРТАДЖ." was split off as "uk").
    """
    plans: list[_ParagraphPlan | int] = []
    for para in paragraphs(body):
        batch.append(para)
        slot = len(batch) - 1
        sentences = _shapes_differ(para)
        if sentences is None:  # one fragment, labelled by its own detection: its slot is its
            plans.append(slot)  # plan (no object: less work for the garbage collector)
            continue
        sent_slots = list(range(len(batch), len(batch) + len(sentences)))
        batch.extend(sentences)
        plans.append(_ParagraphPlan(para, sentences, slot, sent_slots))
    return plans


def _fragments(
    plans: list[_ParagraphPlan | int], results: list[tuple[str, float]], batch: list[str]
) -> tuple[list[Fragment], int]:
    """Fragments of one article from the detections of its paragraphs and sentences."""
    fragments: list[Fragment] = []
    mixed = 0
    for p_index, plan in enumerate(plans):
        if type(plan) is int:
            lang, score = results[plan]
            fragments.append(Fragment(len(fragments), p_index, batch[plan], lang, score))
            continue
        assert isinstance(plan, _ParagraphPlan)
        para_lang, para_score = results[plan.para_slot]
        runs = _runs(plan, results) if plan.sent_slots else None
        if runs is None:
            fragments.append(Fragment(len(fragments), p_index, plan.text, para_lang, para_score))
            continue
        mixed += 1
        for lang, texts, scores, weights in runs:
            score = sum(s * w for s, w in zip(scores, weights, strict=True)) / max(sum(weights), 1)
            fragments.append(
                Fragment(len(fragments), p_index, " ".join(texts), lang, round(score, 6))
            )
    return fragments, mixed


def _runs(plan: _ParagraphPlan, results: list[tuple[str, float]]):
    """Runs of same-language sentences, or None when the sentences do not disagree.

    Only a "strong" sentence (enough letters, confident label) may open a run; weak and
    undetermined sentences join the run before them (or the first run).
    """
    labels: list[str | None] = []
    for sentence, slot in zip(plan.sentences, plan.sent_slots, strict=True):
        lang, score = results[slot]
        letters = sum(ch.isalpha() for ch in sentence)
        strong = lang != UND and letters >= _MIN_SENTENCE_LETTERS and score >= _MIN_SENTENCE_SCORE
        labels.append(lang if strong else None)
    if len({lab for lab in labels if lab is not None}) <= 1:
        return None
    first = next(lab for lab in labels if lab is not None)
    runs: list[tuple[str, list[str], list[float], list[int]]] = []
    current = first
    for sentence, slot, label in zip(plan.sentences, plan.sent_slots, labels, strict=True):
        if label is not None:
            current = label
        score = results[slot][1] if results[slot][0] == current else 0.0
        weight = len(sentence)
        if runs and runs[-1][0] == current:
            runs[-1][1].append(sentence)
            runs[-1][2].append(score)
            runs[-1][3].append(weight)
        else:
            runs.append((current, [sentence], [score], [weight]))
    return runs


def fragment_article(body: str, settings: Settings | None = None) -> list[Fragment]:
    """Fragments of one body: one per paragraph, or per same-language run of a mixed one."""
    batch: list[str] = []
    plans = _plan(body, batch)
    return _fragments(plans, detect_many(batch, settings), batch)[0]


def dominant_language(fragments: Sequence[Fragment]) -> str:
    """The language with the most characters among the fragments; "und" if none has one."""
    chars: Counter[str] = Counter()
    for frag in fragments:
        if frag.lang != UND:
            chars[frag.lang] += len(frag.text)
    if not chars:
        return UND
    best = max(chars.values())
    return min(lang for lang, n in chars.items() if n == best)  # ties: alphabetical


def run_language(articles: list[Article], settings: Settings) -> StageResult[Article]:
    """Fill ``fragments`` and ``language`` of each article; one detection batch for all."""
    start = time.perf_counter()
    stats = StageStats(stage="language", records_in=len(articles))
    batch: list[str] = []
    plans = [_plan(article.body or "", batch) for article in articles]
    results = detect_many(batch, settings)
    for article, plan in zip(articles, plans, strict=True):
        fragments, mixed = _fragments(plan, results, batch)
        article.fragments = fragments
        article.language = dominant_language(fragments)
        stats.counts[f"articles:{article.language}"] += 1
        stats.counts["mixed_paragraphs"] += mixed
        for frag in fragments:
            stats.counts[f"fragments:{frag.lang}"] += 1
    stats.records_out = len(articles)
    stats.seconds = time.perf_counter() - start
    return StageResult(items=articles, stats=stats)
