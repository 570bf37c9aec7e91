"""Benchmark: Argos' default decoding vs ours, on one transformer-base-sized package, side by side.

Builds (once, cached under --work) a 6+6-layer, d_model 512, 8-head, FFN 2048, int8 package with
an 8k SentencePiece vocabulary (random weights, see tests/argos_builder.py), then translates the
same paragraphs two ways:

* argos: what ``argostranslate.translate`` does, emulated without importing it (it pulls torch):
  a Translator with Argos' default settings (inter_threads 1, intra_threads 0 = all cores,
  compute_type "auto"), then per paragraph one ``translate_batch`` over its sentences with
  beam 4, num_hypotheses 4, length_penalty 0.2, max_batch_size 32 tokens, return_scores;
* ours: ``tasks.translate.run_translate`` with default Settings (one batched call per package
  over all sentences, beam 2, int8, inter_threads 2, intra_threads 1) and an empty cache.

Model loading is excluded from both timings. Usage:
    .venv/bin/python benchmarks/translate_bench.py [--paragraphs 30] [--work /tmp/translate-bench]
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
import sentencepiece as spm  # noqa: E402
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


def argos_default(pkg_dir: Path, paragraphs: list[str]) -> tuple[float, int, int]:
    """Argos' PackageTranslation.hypotheses + apply_packaged_translation, minus the imports."""
    translator = ctranslate2.Translator(
        str(pkg_dir / "model"), device="cpu", inter_threads=1, intra_threads=0, compute_type="auto"
    )
    sp = spm.SentencePieceProcessor(model_file=str(pkg_dir / "sentencepiece.model"))
    translator.translate_batch([sp.encode("Salam.", out_type=str)], beam_size=4)  # warm up
    n_sent = out_tokens = 0
    t = time.perf_counter()
    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        tokenized = [sp.encode(s, out_type=str) for s in sentences]
        results = translator.translate_batch(
            tokenized,
            replace_unknowns=True,
            max_batch_size=32,
            batch_type="tokens",
            beam_size=4,
            num_hypotheses=4,
            length_penalty=0.2,
            return_scores=True,
        )
        for r in results:
            sp.decode(r.hypotheses[0])
            out_tokens += len(r.hypotheses[0])
        n_sent += len(sentences)
    return time.perf_counter() - t, n_sent, out_tokens


def ours(packages_dir: Path, cache_dir: Path, paragraphs: list[str]) -> tuple[float, int, int]:
    settings = Settings.load(argos_packages_dir=packages_dir, cache_dir=cache_dir)
    pkg = tr.list_packages(packages_dir)[0]
    tr.translate_texts(pkg, ["Salam."], settings)  # load the model (excluded, as for Argos)
    articles = [
        Article(
            article_id=str(i),
            source_path=f"{i}.txt",
            source_sha256="",
            encoding="utf-8",
            fragments=[Fragment(index=0, paragraph=0, text=p, lang="az", lang_score=1.0)],
        )
        for i, p in enumerate(paragraphs)
    ]
    t = time.perf_counter()
    res = tr.run_translate(articles, settings)
    seconds = time.perf_counter() - t
    n_sent = res.stats.counts["sentences:translated"]
    out_tokens = 0
    loaded = next(iter(tr._MODELS.values()))
    for a in articles:
        out_tokens += len(loaded.sp.encode(a.fragments[0].text_en or ""))
    statuses = {k: v for k, v in res.stats.counts.items() if k.startswith(("status:", "suspect:"))}
    print(f"  ours statuses: {statuses}")
    return seconds, n_sent, out_tokens


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=30)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "translate-bench")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    package = _package(args.work)
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        pdir = Path(tmp) / "packages"
        info = tr.install_package(package, pdir)
        paragraphs = _paragraphs(args.paragraphs)
        print(f"{len(paragraphs)} paragraphs, package {info.model_id} (6+6 layers, d_model 512)")
        a_sec, a_n, a_tok = argos_default(info.path, paragraphs)
        print(
            f"argos default: {a_n} sentences in {a_sec:.2f} s = {a_n / a_sec:.1f} sentences/s "
            f"({a_tok / max(1, a_n):.1f} output tokens/sentence)"
        )
        o_sec, o_n, o_tok = ours(pdir, Path(tmp) / "cache", paragraphs)
        print(
            f"ours:          {o_n} sentences in {o_sec:.2f} s = {o_n / o_sec:.1f} sentences/s "
            f"({o_tok / max(1, o_n):.1f} output tokens/sentence, re-encoded)"
        )
        print(f"speed-up: {(o_n / o_sec) / (a_n / a_sec):.1f}x (target >= 5x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
