"""Parity with Argos, measured: the same sentences, the same package, through argostranslate's
own ``apply_packaged_translation`` and through ours (``tasks.translate.run_translate``), in one
run, side by side.

It needs the FULL argostranslate (which pulls torch, stanza, spaCy): run it with a separate
environment, never the project's lock or CI, e.g.

    python3 -m venv /work/argos-parity-env
    /work/argos-parity-env/bin/pip install torch==2.13.0 argostranslate==1.11.0
    /work/argos-parity-env/bin/python benchmarks/argos_parity.py [--paragraphs 20]

Packages (built by tests/argos_builder.py and tests/argos_glossary.py, in the index's layouts):
a transformer-base-sized az_en with random weights (6+6 layers, d_model 512, 8k SentencePiece
vocabulary, int8: beam search has real choices to make), the glossary az_en in CTranslate2
2.x's layout and the glossary ru_en with BPE. Both sides get the same sentences: Argos is given
a sentencizer that returns our splitter's sentences (its own stanza/MiniSBD models would need a
download). Argos runs with its default settings (beam 4, 1 hypothesis as ``translate()`` asks,
its Translator threads); ours with default Settings. Argos' settings module creates folders at
import: HOME and XDG_* point into a temporary directory first.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

SCRATCH = Path(tempfile.mkdtemp(prefix="argos-parity-"))
for var, sub in (("HOME", ""), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config")):
    os.environ[var] = str(SCRATCH / sub)
os.environ["XDG_CACHE_HOME"] = str(SCRATCH / "cache")
os.environ["ARGOS_PACKAGES_DIR"] = str(SCRATCH / "argos-packages")

import ctranslate2  # noqa: E402
from argos_builder import build_package, sample_sentences  # noqa: E402
from argos_glossary import AZ_EN, RU_EN, build_glossary_package  # noqa: E402

from benchmarks.translate_bench import ours  # noqa: E402
from tasks import translate as tr  # noqa: E402
from tasks.sentences import split_sentences  # noqa: E402


class OurSentences:
    """A sentencizer for apply_packaged_translation that splits as we do."""

    def split_sentences(self, text: str) -> list[str]:
        return split_sentences(text) or [text]


def _glossary_paragraphs(glossary: dict[str, str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = sorted(glossary)
    starts = [w for w in words if w[0].isupper()]
    paras = []
    for _ in range(n):
        sents = []
        for _ in range(rng.randint(2, 5)):
            body = [rng.choice(starts)] + [rng.choice(words) for _ in range(rng.randint(4, 12))]
            body[-1] = rng.choice([w for w in words if len(w) > 1])
            sents.append(" ".join(body) + rng.choice(".!?"))
        paras.append(" ".join(sents))
    return paras


def argos_side(pkg_dir: Path, paragraphs: list[str]) -> tuple[float, list[str]]:
    from argostranslate import package as apackage
    from argostranslate import settings as asettings
    from argostranslate.translate import apply_packaged_translation

    pkg = apackage.Package(pkg_dir)
    translator = ctranslate2.Translator(  # as PackageTranslation.hypotheses builds it
        str(pkg_dir / "model"),
        device=asettings.device,
        inter_threads=asettings.inter_threads,
        intra_threads=asettings.intra_threads,
    )
    sentencizer = OurSentences()
    apply_packaged_translation(pkg, "Salam.", translator, sentencizer, 1)  # warm up
    t = time.perf_counter()
    out = [
        apply_packaged_translation(pkg, p, translator, sentencizer, num_hypotheses=1)[0].value
        for p in paragraphs
    ]
    return time.perf_counter() - t, out


def our_side(pdir: Path, paragraphs: list[str], lang: str) -> tuple[float, list[str]]:
    seconds, english, _ = ours(pdir, SCRATCH / f"cache-{pdir.name}", paragraphs, lang)
    return seconds, english


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=20)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "translate-bench")
    args = ap.parse_args()
    from importlib.metadata import version

    import argostranslate  # noqa: F401  (fails at once outside the parity environment)

    print(
        f"argostranslate {version('argostranslate')}, ctranslate2 {ctranslate2.__version__}, "
        f"{os.cpu_count()} cores"
    )
    args.work.mkdir(parents=True, exist_ok=True)
    base = sorted(args.work.glob("translate-az_en-*.argosmodel"))
    base = base[0] if base else build_package(
        args.work, "az", "en", lines_per_lang=6000, lexicon_size=12000,
        layers=(6, 6), d_model=512, heads=8, ffn=2048, vocab_size=8000,
    )  # fmt: skip
    sents = sample_sentences("az", args.paragraphs * 5, seed=42, words=14, lexicon_size=12000)
    cases = [
        ("az_en transformer-base, random weights", base, "az",
         [" ".join(sents[i : i + 5]) for i in range(0, len(sents), 5)]),
        ("az_en glossary, CTranslate2 2.x layout",
         build_glossary_package(SCRATCH / "b1", "az", "en", version="1.5", layout="ct2-2"),
         "az", _glossary_paragraphs(AZ_EN, args.paragraphs, 1)),
        ("ru_en glossary, BPE",
         build_glossary_package(SCRATCH / "b2", "ru", "en", version="1.9", tokenizer="bpe"),
         "ru", _glossary_paragraphs(RU_EN, args.paragraphs, 2)),
    ]  # fmt: skip
    for label, package, lang, paragraphs in cases:
        pdir = SCRATCH / f"packages-{lang}-{package.stem}"
        info = tr.install_package(package, pdir)
        n = sum(len(split_sentences(p)) for p in paragraphs)
        a_sec, a_out = argos_side(info.path, paragraphs)
        o_sec, o_out = our_side(pdir, paragraphs, lang)
        same = sum(x == y for x, y in zip(a_out, o_out, strict=True))
        print(
            f"{label}: {len(paragraphs)} paragraphs, {n} sentences; identical: {same}/"
            f"{len(paragraphs)} ({100 * same / len(paragraphs):.1f} %); argos "
            f"{n / a_sec:.2f} sentences/s ({a_sec:.2f} s), ours {n / o_sec:.2f} sentences/s "
            f"({o_sec:.2f} s) = {a_sec / o_sec:.1f}x"
        )
        for x, y in [(x, y) for x, y in zip(a_out, o_out, strict=True) if x != y][:2]:
            print(f"  differs:\n    argos: {x[:160]!r}\n    ours:  {y[:160]!r}")
        tr.clear_model_cache()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
