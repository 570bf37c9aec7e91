"""Offline translation to English with installed Argos packages (CTranslate2 + SentencePiece or BPE).

Argos' own translate path (``argostranslate.translate``) is never imported: it pulls torch and
stanza and tries to download sentence splitters. Instead:

* sentences come from ``tasks.sentences.split_sentences``;
* decoding is Argos' (``apply_packaged_translation``): beam 4, 1 hypothesis, length penalty
  0.2, ``replace_unknowns``, max decoding length 256, batches by tokens, and its
  detokenisation (a fragment's output tokens decoded at once; ``▁`` and ``_`` to spaces for
  SentencePiece, ``@@ `` joined and Moses-detokenised for BPE; the target prefix dropped);
* all pending sentences of a batch of articles that need the same package are translated
  together, in batches of sentences of one token length (no padding, which would change the
  numbers: every sentence gets exactly the English it gets alone), several times faster than
  Argos' call per paragraph;
* a language without a direct package is pivoted through an intermediate one (az->tr->en);
* every sentence translation is kept in a persistent sqlite cache (WAL) keyed by the package
  chain and version, the settings that change the output and the sentence text;
* quality guards mark loops, runaway or truncated output, length mismatches and output that is
  unchanged or still in the source language as ``suspect`` (both texts are kept).
"""

from __future__ import annotations

import hashlib
import json
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
    version_key,
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
DECODING_VERSION = "2"  # 2: Argos' decoding and detokenisation, outputs cached as tokens
# Longer sentences are cut into pieces of this many tokens, so that an output about as long as
# its input still ends within max_decoding_length (256: Argos would truncate the output).
MAX_SOURCE_TOKENS = 250


def decoding_options(settings: Settings) -> dict[str, object]:
    """Every option that changes what the decoder outputs (all of them are in the cache key)."""
    return {
        "beam_size": settings.beam_size,
        "num_hypotheses": 1,
        "length_penalty": settings.length_penalty,
        "max_decoding_length": settings.max_decoding_length,
        "replace_unknowns": True,
        "max_source_tokens": MAX_SOURCE_TOKENS,
        "compute_type": settings.compute_type,
        "device": settings.device,
        "decoding_version": DECODING_VERSION,
    }


# ---------------------------------------------------------------------------------------------
# Routes and loaded models


def find_route(lang: str, packages: list[PackageInfo], target: str = "en") -> list[PackageInfo]:
    """Packages that take ``lang`` to ``target``: direct, else through one pivot; [] if none.
    Of several packages for a pair, the highest version (``packaging.version``) wins."""
    best: dict[tuple[str, str], PackageInfo] = {}
    for p in packages:
        key = (p.from_code, p.to_code)
        if key not in best or version_key(p.version) > version_key(best[key].version):
            best[key] = p
    if (lang, target) in best:
        return [best[(lang, target)]]
    pivots = sorted(mid for (src, mid) in best if src == lang and (mid, target) in best)
    if pivots:
        mid = pivots[0]
        return [best[(lang, mid)], best[(mid, target)]]
    return []


def route_id(route: list[PackageInfo]) -> str:
    return "+".join(p.model_id for p in route)


class SentencePieceTokenizer:
    """argostranslate.tokenizer.SentencePieceTokenizer: pieces in, and out with ``▁`` and
    ``_`` turned into spaces."""

    def __init__(self, model_file: Path):
        import sentencepiece

        self.sp = sentencepiece.SentencePieceProcessor(model_file=str(model_file))

    def encode(self, text: str) -> list[str]:
        return self.sp.encode(text, out_type=str)

    def decode(self, tokens: list[str]) -> str:
        return self.sp.decode_pieces(tokens).replace("\u2581", " ").replace("_", " ")


class BPETokenizer:
    """argostranslate.tokenizer.BPETokenizer (OPUS-MT conversions): Moses punctuation
    normalisation and tokenisation of the source language, subword-nmt BPE (``bpe.model`` holds
    the merges; Argos' own copy of subword-nmt's apply_bpe), and on the way out ``@@ `` joined
    and Moses detokenisation of the target language."""

    def __init__(self, model_file: Path, from_code: str, to_code: str):
        from argostranslate.apply_bpe import BPE
        from sacremoses import MosesDetokenizer, MosesPunctNormalizer, MosesTokenizer

        self.normalizer = MosesPunctNormalizer(from_code)
        self.tokenizer = MosesTokenizer(from_code)
        self.detokenizer = MosesDetokenizer(to_code)
        with open(model_file, encoding="utf-8") as f:
            self.bpe = BPE(f)

    def encode(self, text: str) -> list[str]:
        tokenized = " ".join(self.tokenizer.tokenize(self.normalizer.normalize(text)))
        return self.bpe.segment_tokens(tokenized.strip("\r\n ").split(" "))

    def decode(self, tokens: list[str]) -> str:
        return self.detokenizer.detokenize(" ".join(tokens).replace("@@ ", "").split(" "))


_MODELS: dict[tuple, _Loaded] = {}
_MODELS_LOCK = threading.Lock()
_TOKENIZERS: dict[tuple[str, str], object] = {}


def _tokenizer(pkg: PackageInfo):
    """The package's tokenizer, loaded once per process (without its model: cached outputs
    only need it to detokenise)."""
    key = (str(pkg.path), pkg.version)
    with _MODELS_LOCK:
        tok = _TOKENIZERS.get(key)
        if tok is None:
            if pkg.tokenizer == "sentencepiece":
                tok = SentencePieceTokenizer(pkg.path / "sentencepiece.model")
            elif pkg.tokenizer == "bpe":
                tok = BPETokenizer(pkg.path / "bpe.model", pkg.from_code, pkg.to_code)
            else:
                raise PackageError(f"{pkg.path}: no sentencepiece.model or bpe.model")
            _TOKENIZERS[key] = tok
        return tok


def detokenize(pkg: PackageInfo, tok, tokens: list[str]) -> str:
    """Argos' text for output tokens (apply_packaged_translation): decoded together, the target
    prefix (already dropped token by token) gone, one leading space removed."""
    value = tok.decode(tokens)
    if pkg.target_prefix and value.startswith(pkg.target_prefix):
        value = value[len(pkg.target_prefix) :]
    return value[1:] if value.startswith(" ") else value


@dataclass(slots=True)
class _Loaded:
    translator: object  # ctranslate2.Translator
    tokenizer: object  # SentencePieceTokenizer | BPETokenizer


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
    tokenizer = _tokenizer(pkg)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is None:
            import ctranslate2

            translator = ctranslate2.Translator(
                str(pkg.path / "model"),
                device=settings.device,
                compute_type=settings.compute_type,
                inter_threads=settings.inter_threads,
                intra_threads=settings.intra_threads,
            )
            loaded = _MODELS[key] = _Loaded(translator, tokenizer)
        return loaded


def clear_model_cache() -> None:
    """Forget loaded translators (after packages were removed or replaced)."""
    with _MODELS_LOCK:
        _MODELS.clear()
        _TOKENIZERS.clear()


# ---------------------------------------------------------------------------------------------
# Decoding


@dataclass(slots=True)
class _Output:
    tokens: list[str]  # output tokens, target prefix dropped
    text: str  # Argos' detokenised text of these tokens alone
    truncated: bool  # hit max_decoding_length: the model did not stop by itself


ARGOS_BATCH_TOKENS = 32  # argostranslate.settings.batch_size (ARGOS_BATCH_SIZE)


def argos_batches(lengths: list[int], limit: int = ARGOS_BATCH_TOKENS) -> list[list[int]]:
    """How CTranslate2 batches one paragraph's sentences in Argos' call (``rebatch_input``:
    longest first; a batch grows while (size + 1) x its longest length <= ``limit`` tokens)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and (len(batches[-1]) + 1) * lengths[batches[-1][0]] <= limit:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def translate_texts(
    pkg: PackageInfo,
    texts: list[str],
    settings: Settings,
    paragraphs: list[list[int]] | None = None,
) -> list[_Output]:
    """Translate sentences with one package, with Argos' options (``apply_packaged_translation``:
    beam 4, 1 hypothesis, length penalty 0.2, ``replace_unknowns``, max decoding length 256).

    Padding changes CTranslate2's numbers slightly, enough to flip near-ties in the beam
    (measured: 2 of 100 sentences of a random-weights model). So a sentence is decoded exactly
    as in Argos' call for its paragraph (``paragraphs``: indices of ``texts`` that Argos would
    translate in one call; default: each text alone): where Argos pads it (short sentences
    share a 32-token batch) it goes in that same small batch; every other one goes in a big
    batch of sentences of its own length, unpadded, which gives what it gets alone. The calls
    run asynchronously, on all ``inter_threads`` workers at once."""
    if not texts:
        return []
    loaded = _load(pkg, settings)
    tok, translator = loaded.tokenizer, loaded.translator
    # Each text becomes one or more pieces of at most MAX_SOURCE_TOKENS tokens.
    pieces: list[list[str]] = []
    owner: list[int] = []
    first_piece: list[int] = []
    for i, text in enumerate(texts):
        tokens = tok.encode(text) or ["<unk>"]
        first_piece.append(len(pieces))
        for start in range(0, len(tokens), MAX_SOURCE_TOKENS):
            pieces.append(tokens[start : start + MAX_SOURCE_TOKENS])
            owner.append(i)
    calls = _plan_calls(pieces, owner, first_piece, paragraphs or [[i] for i in range(len(texts))])
    pending = []
    for ks in calls:
        batch = [pieces[k] for k in ks]
        prefix = [[pkg.target_prefix]] * len(batch) if pkg.target_prefix else None
        async_results = translator.translate_batch(
            batch,
            target_prefix=prefix,
            beam_size=settings.beam_size,
            num_hypotheses=1,
            length_penalty=settings.length_penalty,
            max_decoding_length=settings.max_decoding_length,
            replace_unknowns=True,
            max_batch_size=max(1, settings.max_batch_tokens),
            batch_type="tokens",
            asynchronous=True,
        )
        pending.append((ks, async_results))
    results: list = [None] * len(pieces)
    for ks, async_results in pending:
        for k, res in zip(ks, async_results, strict=True):
            results[k] = res.result()
    tokens_of: list[list[str]] = [[] for _ in texts]
    truncated = [False] * len(texts)
    for i, res in zip(owner, results, strict=True):
        hyp = list(res.hypotheses[0])
        truncated[i] = truncated[i] or len(hyp) >= settings.max_decoding_length
        if pkg.target_prefix and hyp and hyp[0] == pkg.target_prefix:
            hyp = hyp[1:]
        tokens_of[i].extend(hyp)
    return [
        _Output(t, detokenize(pkg, tok, t), trunc)
        for t, trunc in zip(tokens_of, truncated, strict=True)
    ]


def _plan_calls(
    pieces: list[list[str]],
    owner: list[int],
    first_piece: list[int],
    paragraphs: list[list[int]],
) -> list[list[int]]:
    """Piece indices per translate_batch call (see translate_texts)."""
    n_pieces = [0] * len(first_piece)
    for i in owner:
        n_pieces[i] += 1
    padded: list[list[int]] = []
    by_length: dict[int, list[int]] = defaultdict(list)
    seen: set[int] = set()
    for para in paragraphs:
        para = list(dict.fromkeys(i for i in para if i not in seen))
        seen.update(para)
        whole = [i for i in para if n_pieces[i] == 1]  # cut sentences: Argos differs anyway
        lengths = [len(pieces[first_piece[i]]) for i in whole]
        for batch in argos_batches(lengths):
            if len({lengths[j] for j in batch}) > 1:
                padded.append([first_piece[whole[j]] for j in batch])
                continue
            for j in batch:
                by_length[lengths[j]].append(first_piece[whole[j]])
        for i in para:
            if n_pieces[i] > 1:
                for k in range(first_piece[i], first_piece[i] + n_pieces[i]):
                    by_length[len(pieces[k])].append(k)
    for k in range(len(pieces)):  # texts in no paragraph: alone
        if owner[k] not in seen:
            by_length[len(pieces[k])].append(k)
    return padded + [ks for _, ks in sorted(by_length.items())]


def translate_route(
    route: list[PackageInfo],
    texts: list[str],
    settings: Settings,
    paragraphs: list[list[int]] | None = None,
) -> list[_Output]:
    """Sentences through every package of a route (a pivot's second package gets the first
    one's English of each sentence)."""
    outs: list[_Output] = []
    current = texts
    truncated = [False] * len(texts)
    for pkg in route:
        outs = translate_texts(pkg, current, settings, paragraphs)
        truncated = [a or o.truncated for a, o in zip(truncated, outs, strict=True)]
        current = [o.text for o in outs]
    return [_Output(o.tokens, o.text, t) for o, t in zip(outs, truncated, strict=True)]


def fragment_text(route: list[PackageInfo], outputs: list[list[str]]) -> str:
    """A fragment's English from its sentences' output tokens, as Argos builds a paragraph's:
    all tokens decoded at once by the last package's tokenizer."""
    pkg = route[-1]
    tok = _tokenizer(pkg)
    return detokenize(pkg, tok, [t for tokens in outputs for t in tokens])


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
    """sqlite (WAL) cache of sentence translations (output tokens, so a fragment is decoded as
    Argos decodes a paragraph); safe across threads and processes."""

    def __init__(self, cache_dir: Path):
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "translations.sqlite"
        self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout=60000")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS outputs ("
            " key TEXT PRIMARY KEY, model TEXT NOT NULL, tokens TEXT NOT NULL,"
            " text_en TEXT NOT NULL, suspect TEXT, created REAL NOT NULL)"
        )

    @staticmethod
    def key(model: str, settings: Settings, text: str) -> str:
        h = hashlib.sha256()
        options = json.dumps(decoding_options(settings), sort_keys=True)
        for part in (model, options, text):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, tuple[list[str], str, str | None]]:
        found: dict[str, tuple[list[str], str, str | None]] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"SELECT key, tokens, text_en, suspect FROM outputs WHERE key IN ({marks})",
                chunk,
            )
            for key, tokens, text_en, suspect in rows:
                found[key] = (json.loads(tokens), text_en, suspect)
        return found

    def put_many(self, rows: list[tuple[str, str, list[str], str, str | None]]) -> None:
        if not rows:
            return
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT OR REPLACE INTO outputs (key, model, tokens, text_en, suspect, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (k, m, json.dumps(toks, ensure_ascii=False), t, s, now)
                    for k, m, toks, t, s in rows
                ],
            )

    def close(self) -> None:
        self.conn.close()


# ---------------------------------------------------------------------------------------------
# The stage


@dataclass(slots=True)
class _Sentence:
    text: str
    tokens: list[str] | None = None
    text_en: str | None = None
    suspect: str | None = None
    cached: bool = False


def run_translate(articles: list[Article], settings: Settings) -> StageResult[Article]:
    """Fill ``text_en``, ``translation_status`` and ``translation_model`` of every fragment and
    ``body_en`` of every article. No article is dropped."""
    started = time.perf_counter()
    stats = StageStats("translate", records_in=len(articles))
    counts = stats.counts
    try:
        packages = list_packages(settings.argos_packages_dir) if settings.translate else []
    except OSError:
        packages = []
    work, route_of = _plan(articles, packages, settings, counts)
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


def _plan(
    articles: list[Article], packages: list[PackageInfo], settings: Settings, counts: Counter
) -> tuple[dict[str, list[tuple[Fragment, list[_Sentence]]]], dict[str, list[PackageInfo]]]:
    """Set the status of every fragment that needs no model; group the others by route."""
    target = settings.target_language
    routes: dict[str, list[PackageInfo]] = {}
    work: dict[str, list[tuple[Fragment, list[_Sentence]]]] = defaultdict(list)
    route_of: dict[str, list[PackageInfo]] = {}
    for article in articles:
        for frag in article.fragments:
            lang = frag.lang
            frag.translation_model = None
            if lang == target:
                frag.text_en, frag.translation_status = frag.text, "not_needed"
            elif lang == "und":
                frag.text_en, frag.translation_status = frag.text, "und"
            elif not settings.translate:
                frag.text_en, frag.translation_status = None, "skipped"
            else:
                if lang not in routes:
                    routes[lang] = find_route(lang, packages, target)
                route = routes[lang]
                if not route:
                    frag.text_en, frag.translation_status = None, "no_model"
                    counts[f"missing_model:{lang}"] += 1
                    continue
                rid = route_id(route)
                route_of[rid] = route
                sentences = [_Sentence(s) for s in (split_sentences(frag.text) or [frag.text])]
                work[rid].append((frag, sentences))
    return work, route_of


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
            tokens, text_en, suspect = hits[keys[t]]
            done[t] = _Sentence(t, tokens, text_en, suspect, cached=True)
    missing = [t for t in unique if t not in done]
    if missing:
        position = {t: i for i, t in enumerate(missing)}
        paragraphs = [[position[s.text] for s in sents if s.text in position] for _, sents in items]
        try:
            outs = translate_route(route, missing, settings, paragraphs)
            new_rows = []
            for src, out in zip(missing, outs, strict=True):
                suspect = assess_translation(src, out.text, lang, truncated=out.truncated)
                done[src] = _Sentence(src, out.tokens, out.text, suspect)
                new_rows.append((keys[src], rid, out.tokens, out.text, suspect))
                counts["sentences:translated"] += 1
            cache.put_many(new_rows)
        except (PackageError, RuntimeError, ValueError, OSError) as exc:
            counts[f"error:{type(exc).__name__}"] += 1
    counts["sentences:cached"] += len(unique) - len(missing)
    for frag, sents in items:
        _finish_fragment(frag, sents, done, route, rid, counts)


def _finish_fragment(
    frag: Fragment,
    sents: list[_Sentence],
    done: dict[str, _Sentence],
    route: list[PackageInfo],
    rid: str,
    counts: Counter[str],
) -> None:
    frag.translation_model = rid
    if any(s.text not in done for s in sents):
        frag.text_en, frag.translation_status = None, "failed"
        return
    results = [done[s.text] for s in sents]
    try:
        frag.text_en = fragment_text(route, [r.tokens or [] for r in results]).strip()
    except (PackageError, RuntimeError, ValueError, OSError) as exc:
        counts[f"error:{type(exc).__name__}"] += 1
        frag.text_en, frag.translation_status = None, "failed"
        return
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
    """English fragments as they are, translations, and the source text of every fragment
    without a trustworthy translation marked ``[untranslated:xx]`` or ``[suspect:xx]`` (the
    suspect output stays in ``fragments.text_en``): a reader of body_en is never misled."""
    paragraphs: dict[int, list[str]] = {}
    for frag in sorted(fragments, key=lambda f: f.index):
        if frag.translation_status == "suspect":
            piece = f"[suspect:{frag.lang}] {frag.text}"
        elif frag.text_en is not None:
            piece = frag.text_en
        else:
            piece = f"[untranslated:{frag.lang}] {frag.text}"
        paragraphs.setdefault(frag.paragraph, []).append(piece)
    return "\n\n".join(" ".join(p for p in parts if p) for _, parts in sorted(paragraphs.items()))


# ---------------------------------------------------------------------------------------------
