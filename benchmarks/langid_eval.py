"""Language-identification accuracy and speed on the dev set: plain langdetect vs ours.

    .venv/bin/python benchmarks/langid_eval.py [--check] [--dev DIR]

Prints, in one run:
  1. accuracy per language and fragment kind (sentences, word pairs) of (a) plain langdetect
     1.0.9 (pure Python, seeded) and (b) tasks.language.detect_many (default settings);
  2. how often ours differs from plain langdetect where plain langdetect is right;
  3. throughput of both on the same fragments (ours warmed up: its one-off model load is
     reported separately);
  4. the identity check langdetect 1.0.9 vs langdetect-rs: labels and probabilities (exact
     float equality) of every fragment.
With --check, exits 1 if our accuracy is below a floor of issue #4 (sentences az, en, tr
99.5 %, ru 99 %, uk 98 %; word pairs az, en, ru, tr 90 %), or if langdetect-rs differs from
langdetect anywhere.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_DEV = REPO.parent / "shared" / "langid-dev"
LANGS = ("az", "en", "ru", "tr", "uk", "kk")
KINDS = ("sentences", "word-pairs")
FLOORS = {
    ("sentences", "az"): 0.995,
    ("sentences", "en"): 0.995,
    ("sentences", "tr"): 0.995,
    ("sentences", "ru"): 0.99,
    ("sentences", "uk"): 0.98,
    ("word-pairs", "az"): 0.90,
    ("word-pairs", "en"): 0.90,
    ("word-pairs", "ru"): 0.90,
    ("word-pairs", "tr"): 0.90,
}


def find_dev(explicit: str | None) -> Path:
    candidates = [Path(explicit)] if explicit else []
    candidates += [DEFAULT_DEV, REPO / "shared" / "langid-dev", Path("/work/shared/langid-dev")]
    for path in candidates:
        if (path / "sentences" / "en.txt").is_file():
            return path
    raise SystemExit(f"dev set not found (tried {', '.join(map(str, candidates))})")


def load(dev: Path) -> dict[tuple[str, str], list[str]]:
    data = {}
    for kind in KINDS:
        for lang in LANGS:
            lines = (dev / kind / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
            data[(kind, lang)] = [line for line in lines if line.strip()]
    return data


def plain_langdetect(texts: list[str], seed: int = 0) -> list[list[tuple[str, float]] | None]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = seed
    out: list[list[tuple[str, float]] | None] = []
    for text in texts:
        try:
            out.append([(x.lang, x.prob) for x in detect_langs(text)])
        except LangDetectException:
            out.append(None)
    return out


def rs_langdetect(texts: list[str], seed: int = 0) -> list[list[tuple[str, float]] | None]:
    from langdetect_rs import DetectorFactory, detect_langs_batch

    DetectorFactory.seed = seed
    return [None if r is None else [(x.lang, x.prob) for x in r] for r in detect_langs_batch(texts)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--dev", default=None)
    args = parser.parse_args(argv)

    from tasks.config import Settings
    from tasks.language import detect_many

    dev = find_dev(args.dev)
    data = load(dev)
    keys = list(data)
    texts = [t for k in keys for t in data[k]]
    gold = [k[1] for k in keys for _ in data[k]]
    kinds = [k[0] for k in keys for _ in data[k]]
    settings = Settings()

    t0 = time.perf_counter()
    plain = plain_langdetect(texts)
    t_plain = time.perf_counter() - t0

    t0 = time.perf_counter()
    detect_many(["warm-up: load the models once"], settings)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours = detect_many(texts, settings)
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    rs = rs_langdetect(texts)
    t_rs = time.perf_counter() - t0

    plain_top = [p[0][0] if p else "und" for p in plain]
    ours_top = [o[0] for o in ours]

    print(f"dev set: {dev}  ({len(texts)} fragments)  expected={settings.expected_languages}")
    print()
    print(f"{'kind':<11}{'lang':<6}{'n':>5}  {'plain':>7}  {'ours':>7}  ours' errors")
    failed: list[str] = []
    for kind, lang in keys:
        idx = [i for i in range(len(texts)) if kinds[i] == kind and gold[i] == lang]
        acc_p = sum(plain_top[i] == lang for i in idx) / len(idx)
        acc_o = sum(ours_top[i] == lang for i in idx) / len(idx)
        errors: dict[str, int] = {}
        for i in idx:
            if ours_top[i] != lang:
                errors[ours_top[i]] = errors.get(ours_top[i], 0) + 1
        err = " ".join(f"{k}:{v}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1]))
        print(f"{kind:<11}{lang:<6}{len(idx):>5}  {acc_p:>7.1%}  {acc_o:>7.1%}  {err}")
        floor = FLOORS.get((kind, lang))
        if floor is not None and acc_o < floor:
            failed.append(f"{kind}/{lang} {acc_o:.1%} < {floor:.1%}")

    right = [i for i in range(len(texts)) if plain_top[i] == gold[i]]
    changed = [i for i in right if ours_top[i] != plain_top[i]]
    print()
    print(
        f"where plain langdetect is right ({len(right)}): ours differs on {len(changed)}"
        + (" -> " + ", ".join(f"{gold[i]}->{ours_top[i]}" for i in changed[:12]) if changed else "")
    )

    n = len(texts)
    print()
    print("throughput on the same fragments:")
    print(
        f"  plain langdetect 1.0.9 (Python)     {n / t_plain:>9.0f} fragments/s  ({t_plain:.2f} s)"
    )
    print(f"  langdetect-rs detect_langs_batch    {n / t_rs:>9.0f} fragments/s  ({t_rs:.2f} s)")
    print(
        f"  ours: detect_many                   {n / t_ours:>9.0f} fragments/s  ({t_ours:.2f} s)"
        f"  = {t_plain / t_ours:.1f}x plain; one-off model load {t_load:.2f} s"
    )

    same_label = sum(
        (p[0][0] if p else None) == (r[0][0] if r else None) for p, r in zip(plain, rs, strict=True)
    )
    same_probs = sum(p == r for p, r in zip(plain, rs, strict=True))
    print()
    print("langdetect 1.0.9 vs langdetect-rs 0.1.0, seed 0, every fragment:")
    print(f"  top labels identical:            {same_label}/{n}")
    print(f"  full (lang, prob) lists equal:   {same_probs}/{n}  (exact float equality)")
    if same_probs != n:
        failed.append(f"langdetect-rs differs from langdetect on {n - same_probs} fragments")

    if args.check:
        if failed:
            print("\nCHECK FAILED: " + "; ".join(failed))
            return 1
        print("\nCHECK OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
