"""Benchmark: Argos' default translation path vs ours at the same decoding, side by side.

Builds (once, cached under --work) a 6+6-layer, d_model 512, 8-head, FFN 2048, int8 package with
an 8k SentencePiece vocabulary (random weights with a length pathway, see tests/argos_builder.py:
outputs stop after about as many tokens as the source has; the script prints both lengths), then
translates the same paragraphs:

* argos: what ``argostranslate.translate`` does for ``translate()``, without importing it (it
  pulls torch): a Translator with Argos' default settings (inter_threads 1, intra_threads 0 =
  all cores, the package's compute type), then per paragraph one ``translate_batch`` over its
  sentences with apply_packaged_translation's options: beam 4, num_hypotheses 1, length_penalty
  0.2, replace_unknowns, max_batch_size 32 with batch_type "tokens", return_scores;
* ours: ``tasks.translate.run_translate`` with default Settings (the same decoding options; one
  batched call per package over all sentences, batches of 1,024 tokens, inter_threads 2,
  intra_threads 1) and an empty cache;
* ours with the opt-in faster mode: beam 2, then beam 1 (ARTICLES_BEAM_SIZE).

Agreement is the share of paragraphs whose English is identical to the Argos path's. Model
loading is excluded from every timing. Usage:
    .venv/bin/python benchmarks/translate_bench.py [--paragraphs 20] [--work /tmp/translate-bench]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import ctranslate2  # noqa: E402
from argos_builder import build_package, sample_sentences  # noqa: E402

from tasks import translate as tr  # noqa: E402
from tasks.config import Settings  # noqa: E402
from tasks.records import Article, Fragment  # noqa: E402
from tasks.sentences import split_sentences  # noqa: E402

BASE = dict(layers=(6, 6), d_model=512, heads=8, ffn=2048, vocab_size=8000)


def _package(work: Path) -> Path:
    existing = sorted(work.glob("translate-az_en-*.argosmodel"))
    if existing:
        return existing[0]
    t = time.perf_counter()
    path = build_package(work, "az", "en", lines_per_lang=6000, lexicon_size=12000, **BASE)
    print(
        f"built {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s"
    )
    return path


def _paragraphs(n: int) -> list[str]:
    sents = sample_sentences("az", n * 5, seed=42, words=14, lexicon_size=12000)
    return [" ".join(sents[i : i + 5]) for i in range(0, len(sents), 5)]


def argos_default(pkg: tr.PackageInfo, paragraphs: list[str]) -> tuple[float, list[str], int]:
    """Argos' PackageTranslation.hypotheses(num_hypotheses=1) + apply_packaged_translation."""
    translator = ctranslate2.Translator(
        str(pkg.path / "model"), device="cpu", inter_threads=1, intra_threads=0
    )
    tok = tr.SentencePieceTokenizer(pkg.path / "sentencepiece.model")
    translator.translate_batch([tok.encode("Salam.")], beam_size=4)  # warm up
    out, n_tokens = [], 0
    t = time.perf_counter()
    for paragraph in paragraphs:
        tokenized = [tok.encode(s) for s in split_sentences(paragraph)]
        results = translator.translate_batch(
            tokenized,
            replace_unknowns=True,
            max_batch_size=32,
            batch_type="tokens",
            beam_size=4,
            num_hypotheses=1,
            length_penalty=0.2,
            return_scores=True,
        )
        tokens = [t for r in results for t in r.hypotheses[0]]
        n_tokens += len(tokens)
        value = tok.decode(tokens)
        out.append(value[1:] if value.startswith(" ") else value)
    return time.perf_counter() - t, out, n_tokens


def ours(
    pdir: Path, cache: Path, paragraphs: list[str], lang: str = "az", **kw
) -> tuple[float, list[str], dict]:
    """Our path: every paragraph one fragment in ``lang``, one run_translate call (the model
    loaded first, excluded); seconds, the English of each paragraph, the status counts."""
    settings = Settings.load(argos_packages_dir=pdir, cache_dir=cache, **kw)
    pkg = tr.list_packages(pdir)[0]
    tr.translate_texts(pkg, ["Salam."], settings)  # load the model (excluded, as for Argos)
    articles = [
        Article(
            article_id=str(i),
            source_path=f"{i}.txt",
            source_sha256="",
            encoding="utf-8",
            fragments=[Fragment(index=0, paragraph=0, text=p, lang=lang, lang_score=1.0)],
        )
        for i, p in enumerate(paragraphs)
    ]
    t = time.perf_counter()
    res = tr.run_translate(articles, settings)
    seconds = time.perf_counter() - t
    statuses = {k: v for k, v in res.stats.counts.items() if k.startswith(("status:", "suspect:"))}
    return seconds, [a.fragments[0].text_en or "" for a in articles], statuses


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "translate-bench")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    package = _package(args.work)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        pdir = Path(tmp) / "packages"
        info = tr.install_package(package, pdir)
        paragraphs = _paragraphs(args.paragraphs)
        n = sum(len(split_sentences(p)) for p in paragraphs)
        tok = tr.SentencePieceTokenizer(info.path / "sentencepiece.model")
        src_tokens = sum(len(tok.encode(s)) for p in paragraphs for s in split_sentences(p))
        print(
            f"{len(paragraphs)} paragraphs, {n} sentences, {src_tokens / n:.1f} source tokens/"
            f"sentence; package {info.model_id} (6+6 layers, d_model 512, int8)"
        )
        a_sec, a_out, a_tok = argos_default(info, paragraphs)
        print(
            f"argos default (beam 4, 1 hypothesis, per paragraph): {n / a_sec:.2f} sentences/s "
            f"({a_sec:.2f} s; {a_tok / n:.1f} output tokens/sentence)"
        )
        base = None
        for label, kw in (
            ("ours, default (beam 4, batched)", {}),
            ("ours, faster mode beam 2", {"beam_size": 2}),
            ("ours, faster mode beam 1", {"beam_size": 1}),
        ):
            sec, out, statuses = ours(pdir, Path(tmp) / f"cache-{len(kw)}-{kw}", paragraphs, **kw)
            same = sum(x == y for x, y in zip(out, a_out, strict=True))
            speed = n / sec
            base = base or speed
            print(
                f"{label}: {speed:.2f} sentences/s ({sec:.2f} s) = {speed / (n / a_sec):.1f}x "
                f"Argos; identical to Argos' English: {same}/{len(out)} paragraphs "
                f"({100 * same / len(out):.0f} %); {statuses}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
