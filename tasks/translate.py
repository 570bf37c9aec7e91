"""Offline translation to English with installed Argos packages (CTranslate2 + SentencePiece).

Argos' own translate path (``argostranslate.translate``) is never imported: it pulls torch and
stanza and tries to download sentence splitters. Instead:

* sentences come from ``tasks.sentences.split_sentences``;
* all pending sentences of a batch of articles that need the same package go through ONE
  ``translate_batch`` call (sorted by length, beam ``settings.beam_size``, ``max_batch_size``),
  which is several times faster than Argos' call per paragraph with beam 4;
* a language without a direct package is pivoted through an intermediate one (az->tr->en);
* every sentence translation is kept in a persistent sqlite cache (WAL) keyed by the package
  chain and version, the settings that change the output and the sentence text;
* quality guards mark loops, runaway or truncated output, length mismatches and output that is
  unchanged or still in the source language as ``suspect`` (both texts are kept).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from tasks.argos_packages import (
    PackageError,
    PackageInfo,
    install_package,
    list_packages,
    missing_model_hint,
    remove_package,
)
from tasks.config import Settings
from tasks.records import Article, Fragment, StageResult, StageStats
from tasks.sentences import split_sentences

__all__ = [
    "STATUSES",
    "PackageError",
    "PackageInfo",
    "assess_translation",
    "find_route",
    "install_package",
    "list_packages",
    "missing_model_hint",
    "remove_package",
    "run_translate",
    "translate_texts",
]

STATUSES = (
    "translated",  # translated now
    "cached",  # translated before, taken from the cache
    "suspect",  # translated, but the output fails a quality guard (both texts kept)
    "no_model",  # no package (direct or pivot) for the language
    "failed",  # the package failed to load or run
    "not_needed",  # already English
    "und",  # no linguistic content (numbers, symbols): copied as is
    "skipped",  # translation disabled (settings.translate False)
)

# Bump when the decoding or the guards change in a way that changes cached results.
DECODING_VERSION = "1"
MAX_SOURCE_TOKENS = 256  # longer inputs are cut into pieces of this many tokens
_MAX_DECODING_CAP = 512

# ---------------------------------------------------------------------------------------------
# Routes and loaded models


def find_route(lang: str, packages: list[PackageInfo], target: str = "en") -> list[PackageInfo]:
    """Packages that take ``lang`` to ``target``: direct, else through one pivot; [] if none."""
    best: dict[tuple[str, str], PackageInfo] = {}
    for p in packages:
        key = (p.from_code, p.to_code)
        if key not in best or _version_key(p.version) > _version_key(best[key].version):
            best[key] = p
    if (lang, target) in best:
        return [best[(lang, target)]]
    pivots = sorted(mid for (src, mid) in best if src == lang and (mid, target) in best)
    if pivots:
        mid = pivots[0]
        return [best[(lang, mid)], best[(mid, target)]]
    return []


def _version_key(version: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in re.split(r"[.\-]", version))


def route_id(route: list[PackageInfo]) -> str:
    return "+".join(p.model_id for p in route)


@dataclass(slots=True)
class _Loaded:
    translator: object  # ctranslate2.Translator
    sp: object  # sentencepiece.SentencePieceProcessor


_MODELS: dict[tuple, _Loaded] = {}
_MODELS_LOCK = threading.Lock()


def _load(pkg: PackageInfo, settings: Settings) -> _Loaded:
    """The translator and tokenizer of ``pkg``, loaded once per process and settings."""
    key = (
        str(pkg.path),
        pkg.version,
        settings.device,
        settings.compute_type,
        settings.inter_threads,
        settings.intra_threads,
    )
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            import ctranslate2
            import sentencepiece

            if pkg.tokenizer != "sentencepiece":
                raise PackageError(f"{pkg.path}: {pkg.tokenizer} tokenizers are not supported")
            translator = ctranslate2.Translator(
                str(pkg.path / "model"),
                device=settings.device,
                compute_type=settings.compute_type,
                inter_threads=settings.inter_threads,
                intra_threads=settings.intra_threads,
            )
            sp = sentencepiece.SentencePieceProcessor(
                model_file=str(pkg.path / "sentencepiece.model")
            )
            loaded = _MODELS[key] = _Loaded(translator, sp)
        return loaded


def clear_model_cache() -> None:
    """Forget loaded translators (after packages were removed or replaced)."""
    with _MODELS_LOCK:
        _MODELS.clear()


# ---------------------------------------------------------------------------------------------
# Decoding


@dataclass(slots=True)
class _Output:
    text: str
    truncated: bool  # hit max_decoding_length: the model did not stop by itself


def _max_decoding_length(n_source_tokens: int) -> int:
    return min(_MAX_DECODING_CAP, int(n_source_tokens * 2) + 10)


def translate_texts(pkg: PackageInfo, texts: list[str], settings: Settings) -> list[_Output]:
    """Translate sentences with one package: sorted by length, decoded in parallel chunks."""
    if not texts:
        return []
    loaded = _load(pkg, settings)
    sp, translator = loaded.sp, loaded.translator
    # Each text becomes one or more pieces of at most MAX_SOURCE_TOKENS tokens.
    pieces: list[list[str]] = []
    owner: list[int] = []
    for i, text in enumerate(texts):
        tokens = sp.encode(text, out_type=str) or [sp.id_to_piece(sp.unk_id())]
        for start in range(0, len(tokens), MAX_SOURCE_TOKENS):
            pieces.append(tokens[start : start + MAX_SOURCE_TOKENS])
            owner.append(i)
    order = sorted(range(len(pieces)), key=lambda k: len(pieces[k]))
    size = max(1, settings.max_batch_size)
    pending = []
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        batch = [pieces[k] for k in chunk]
        limit = _max_decoding_length(max(len(b) for b in batch))
        prefix = [[pkg.target_prefix]] * len(batch) if pkg.target_prefix else None
        # asynchronous: chunks run on all inter_threads workers at once
        results = translator.translate_batch(
            batch,
            target_prefix=prefix,
            beam_size=settings.beam_size,
            max_batch_size=size,
            max_decoding_length=limit,
            replace_unknowns=True,
            asynchronous=True,
        )
        pending.append((chunk, results, limit))
    decoded: dict[int, _Output] = {}
    for chunk, results, limit in pending:
        for k, res in zip(chunk, results, strict=True):
            hyp = list(res.result().hypotheses[0])
            truncated = len(hyp) >= limit
            if pkg.target_prefix and hyp and hyp[0] == pkg.target_prefix:
                hyp = hyp[1:]
            decoded[k] = _Output(sp.decode(hyp).strip(), truncated)
    out = [_Output("", False) for _ in texts]
    for k in range(len(pieces)):
        i = owner[k]
        part = decoded[k]
        out[i] = _Output(
            (out[i].text + " " + part.text).strip(), out[i].truncated or part.truncated
        )
    return out


# ---------------------------------------------------------------------------------------------
# Quality guards

_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC_LANGS = frozenset({"ru", "uk", "be", "bg", "kk", "ky", "mk", "mn", "sr", "tg", "tt"})


def _norm_words(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.findall(r"[^\W_]+", text)


def assess_translation(
    source: str, output: str, lang: str, *, truncated: bool = False
) -> str | None:
    """Why ``output`` is a suspect translation of ``source`` (in ``lang``), or None if it passes."""
    if not output.strip():
        return "empty" if source.strip() else None
    if truncated:
        return "no_end"
    words = _norm_words(output)
    if _loops(words):
        return "loop"
    src_len, out_len = len(source.strip()), len(output.strip())
    if out_len > 4 * src_len + 40:
        return "too_long"
    if src_len >= 30 and out_len < 0.2 * src_len:
        return "too_short"
    src_words = _norm_words(source)
    if len(src_words) >= 4 and words == src_words:
        return "unchanged"
    if lang in _CYRILLIC_LANGS:
        letters = _LETTER.findall(output)
        if len(letters) >= 10 and len(_CYRILLIC.findall(output)) > 0.5 * len(letters):
            return "source_language"
    elif len(words) >= 5 and lang != "en":
        src_set = set(src_words)
        if sum(w in src_set for w in words) >= 0.8 * len(words):
            return "source_language"
    return None


def _loops(words: list[str]) -> bool:
    """A word repeated 4+ times in a row, an n-gram (n=2..4) 3+ times in a row, or a long
    output made of very few distinct words."""
    n_words = len(words)
    for n, times in ((1, 4), (2, 3), (3, 3), (4, 3)):
        span = n * times
        for i in range(0, n_words - span + 1):
            gram = words[i : i + n]
            if all(words[i + j * n : i + (j + 1) * n] == gram for j in range(1, times)):
                return True
    return n_words >= 12 and len(set(words)) / n_words < 0.25


# ---------------------------------------------------------------------------------------------
# Persistent cache


class TranslationCache:
    """sqlite (WAL) cache of sentence translations; safe across threads and processes."""

    def __init__(self, cache_dir: Path):
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "translations.sqlite"
        self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout=60000")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS translations ("
            " key TEXT PRIMARY KEY, model TEXT NOT NULL, text_en TEXT NOT NULL,"
            " suspect TEXT, created REAL NOT NULL)"
        )

    @staticmethod
    def key(model: str, settings: Settings, text: str) -> str:
        h = hashlib.sha256()
        for part in (
            model,
            f"beam={settings.beam_size}",
            f"compute={settings.compute_type}",
            f"device={settings.device}",
            f"decoding={DECODING_VERSION}",
            text,
        ):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, tuple[str, str | None]]:
        found: dict[str, tuple[str, str | None]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT key, text_en, suspect FROM translations WHERE key IN ({marks})", chunk
            )
            for key, text_en, suspect in rows:
                found[key] = (text_en, suspect)
        return found

    def put_many(self, rows: list[tuple[str, str, str, str | None]]) -> None:
        if not rows:
            return
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT OR REPLACE INTO translations (key, model, text_en, suspect, created)"
                " VALUES (?, ?, ?, ?, ?)",
                [(k, m, t, s, now) for k, m, t, s in rows],
            )

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# The stage


@dataclass(slots=True)
class _Sentence:
    text: str
    text_en: str | None = None
    suspect: str | None = None
    cached: bool = False


def run_translate(articles: list[Article], settings: Settings) -> StageResult[Article]:
    """Fill ``text_en``, ``translation_status`` and ``translation_model`` of every fragment and
    ``body_en`` of every article. No article is dropped."""
    started = time.perf_counter()
    stats = StageStats("translate", records_in=len(articles))
    counts = stats.counts
    target = settings.target_language
    try:
        packages = list_packages(settings.argos_packages_dir) if settings.translate else []
    except OSError:
        packages = []
    routes: dict[str, list[PackageInfo]] = {}
    # fragments waiting for translation, grouped by route, with their sentences
    work: dict[str, list[tuple[Fragment, list[_Sentence]]]] = defaultdict(list)
    route_of: dict[str, list[PackageInfo]] = {}
    for article in articles:
        for frag in article.fragments:
            lang = frag.lang
            if lang == target:
                frag.text_en, frag.translation_status, frag.translation_model = (
                    frag.text,
                    "not_needed",
                    None,
                )
            elif lang == "und":
                frag.text_en, frag.translation_status, frag.translation_model = (
                    frag.text,
                    "und",
                    None,
                )
            elif not settings.translate:
                frag.text_en, frag.translation_status, frag.translation_model = (
                    None,
                    "skipped",
                    None,
                )
            else:
                if lang not in routes:
                    routes[lang] = find_route(lang, packages, target)
                route = routes[lang]
                if not route:
                    frag.text_en, frag.translation_status, frag.translation_model = (
                        None,
                        "no_model",
                        None,
                    )
                    counts[f"missing_model:{lang}"] += 1
                else:
                    rid = route_id(route)
                    route_of[rid] = route
                    sentences = [_Sentence(s) for s in (split_sentences(frag.text) or [frag.text])]
                    work[rid].append((frag, sentences))

    if work:
        cache = TranslationCache(Path(settings.cache_dir))
        try:
            for rid, items in work.items():
                _translate_route(rid, route_of[rid], items, settings, cache, counts)
        finally:
            cache.close()

    for article in articles:
        for frag in article.fragments:
            counts[f"status:{frag.lang}:{frag.translation_status}"] += 1
        article.body_en = _body_en(article.fragments)
    stats.records_out = len(articles)
    stats.seconds = time.perf_counter() - started
    return StageResult(items=articles, stats=stats)


def _translate_route(
    rid: str,
    route: list[PackageInfo],
    items: list[tuple[Fragment, list[_Sentence]]],
    settings: Settings,
    cache: TranslationCache,
    counts: Counter[str],
) -> None:
    lang = items[0][0].lang
    unique = sorted({s.text for _, sents in items for s in sents})
    keys = {t: TranslationCache.key(rid, settings, t) for t in unique}
    hits = cache.get_many(list(keys.values()))
    done: dict[str, _Sentence] = {}
    for t in unique:
        if keys[t] in hits:
            text_en, suspect = hits[keys[t]]
            done[t] = _Sentence(t, text_en, suspect, cached=True)
    missing = [t for t in unique if t not in done]
    if missing:
        try:
            texts, truncated = missing, [False] * len(missing)
            for pkg in route:
                outs = translate_texts(pkg, texts, settings)
                texts = [o.text for o in outs]
                truncated = [a or o.truncated for a, o in zip(truncated, outs, strict=True)]
            new_rows = []
            for src, out, trunc in zip(missing, texts, truncated, strict=True):
                suspect = assess_translation(src, out, lang, truncated=trunc)
                done[src] = _Sentence(src, out, suspect)
                new_rows.append((keys[src], rid, out, suspect))
                counts["sentences:translated"] += 1
            cache.put_many(new_rows)
        except (PackageError, RuntimeError, ValueError, OSError) as exc:
            counts[f"error:{type(exc).__name__}"] += 1
    counts["sentences:cached"] += len(unique) - len(missing)
    for frag, sents in items:
        if any(s.text not in done for s in sents):
            frag.text_en, frag.translation_status, frag.translation_model = None, "failed", rid
            continue
        results = [done[s.text] for s in sents]
        frag.text_en = " ".join(r.text_en or "" for r in results).strip()
        frag.translation_model = rid
        if any(r.suspect for r in results):
            frag.translation_status = "suspect"
            for r in results:
                if r.suspect:
                    counts[f"suspect:{r.suspect}"] += 1
        elif all(r.cached for r in results):
            frag.translation_status = "cached"
        else:
            frag.translation_status = "translated"
        counts[f"model:{rid}"] += 1


def _body_en(fragments: list[Fragment]) -> str:
    paragraphs: dict[int, list[str]] = {}
    for frag in sorted(fragments, key=lambda f: f.index):
        if frag.text_en is not None:
            piece = frag.text_en
        else:
            piece = f"[untranslated:{frag.lang}] {frag.text}"
        paragraphs.setdefault(frag.paragraph, []).append(piece)
    return "\n\n".join(" ".join(p for p in parts if p) for _, parts in sorted(paragraphs.items()))


# ---------------------------------------------------------------------------------------------
