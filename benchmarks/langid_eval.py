"""Language-identification accuracy and speed: ours vs plain langdetect vs lingua, per dev half.

    .venv/bin/python benchmarks/langid_eval.py [--check] [--dev DIR] [--rounds N]

The dev set (300 lines per language and kind) is split once and for all: lines 1-150 are the
tune half (the only lines anyone may tune on), lines 151-300 the held-out half (report only).
Prints, in one run:
  1. accuracy per language, fragment kind and half of (a) plain langdetect 1.0.9 (pure Python,
     seeded), (b) ours (tasks.language.detect_many, default settings), (c) lingua 2.1.1 high
     accuracy and (d) low accuracy, both restricted to the 6 languages az en ru tr uk kk;
  2. how often ours differs from plain langdetect where plain langdetect is right, per half;
  3. throughput of all of them on the same fragments, side by side: ``--rounds`` alternating
     rounds, the median of each, per wall-clock second and per CPU second (lingua both one
     text at a time on one thread and by its parallel batch call; ours is warmed up, its
     one-off model load reported separately);
  4. the identity check langdetect 1.0.9 vs langdetect-rs: labels and probabilities (exact
     float equality) of every fragment.
With --check, exits 1 unless, on the held-out half: every cell of ours is at least FLOORS
(lingua high accuracy's figure on the same half, uk sentences at least 98.6 %) and at least
lingua high accuracy measured in this run; ours equals plain langdetect on >= 99.5 % of the
fragments where plain langdetect is right; ours does >= 1.5x as many items per CPU second as
lingua high accuracy one text at a time (the issue's one-thread figure; the machine's other
load does not count); and langdetect-rs equals langdetect everywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DEFAULT_DEV = REPO.parent / "shared" / "langid-dev"
LANGS = ("az", "en", "ru", "tr", "uk", "kk")
KINDS = ("sentences", "word-pairs")
HALVES = {"tune": (0, 150), "held-out": (150, 300)}  # line ranges: 1-150 and 151-300
# Held-out floors: lingua 2.1.1 high accuracy (6 languages) on lines 151-300, measured by this
# script; uk sentences at least 98.6 % (issue #14: ours on the issue's own held-out lines).
FLOORS = {  # correct lines of 150
    ("sentences", "az"): 149 / 150,
    ("sentences", "en"): 150 / 150,
    ("sentences", "ru"): 148 / 150,
    ("sentences", "tr"): 149 / 150,
    ("sentences", "uk"): 0.986,
    ("sentences", "kk"): 150 / 150,
    ("word-pairs", "az"): 142 / 150,
    ("word-pairs", "en"): 149 / 150,
    ("word-pairs", "ru"): 148 / 150,
    ("word-pairs", "tr"): 149 / 150,
    ("word-pairs", "uk"): 150 / 150,
    ("word-pairs", "kk"): 146 / 150,
}
MIN_AGREEMENT = 0.995  # ours == plain langdetect where plain langdetect is right
MIN_SPEEDUP = 1.5  # ours vs lingua high accuracy, items per CPU second


def find_dev(explicit: str | None) -> Path:
    candidates = [Path(explicit)] if explicit else []
    candidates += [DEFAULT_DEV, REPO / "shared" / "langid-dev", Path("/work/shared/langid-dev")]
    for path in candidates:
        if (path / "sentences" / "en.txt").is_file():
            return path
    raise SystemExit(f"dev set not found (tried {', '.join(map(str, candidates))})")


def load(dev: Path, half: str | None = None) -> dict[tuple[str, str, str], list[str]]:
    """{(kind, lang, half): lines}; the line ranges of HALVES, blank lines kept in place."""
    data = {}
    for kind in KINDS:
        for lang in LANGS:
            lines = (dev / kind / f"{lang}.txt").read_text(encoding="utf-8").splitlines()
            for name, (lo, hi) in HALVES.items():
                if half in (None, name):
                    data[(kind, lang, name)] = [x for x in lines[lo:hi] if x.strip()]
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


def lingua_detectors():
    """lingua high and low accuracy detectors of the 6 languages, models preloaded."""
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, lang.upper()) for lang in LANGS]
    high = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models()
    low = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode()
    return high.build(), low.with_preloaded_language_models().build()


def _code(language) -> str:
    return "und" if language is None else language.iso_code_639_1.name.lower()


def lingua_serial(detector, texts: list[str]) -> list[str]:
    return [_code(detector.detect_language_of(t)) for t in texts]


def lingua_parallel(detector, texts: list[str]) -> list[str]:
    return [_code(x) for x in detector.detect_languages_in_parallel_of(texts)]


def timed_rounds(systems: dict, texts: list[str], rounds: int) -> dict[str, tuple[float, float]]:
    """(items per wall second, items per CPU second) of each system: medians over ``rounds``
    alternating rounds (CPU time of the process: all its threads)."""
    wall: dict[str, list[float]] = {name: [] for name in systems}
    cpu: dict[str, list[float]] = {name: [] for name in systems}
    for r in range(rounds):
        order = list(systems) if r % 2 == 0 else list(reversed(systems))
        for name in order:
            c0, t0 = time.process_time(), time.perf_counter()
            systems[name](texts)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    n = len(texts)
    return {
        name: (n / statistics.median(wall[name]), n / statistics.median(cpu[name]))
        for name in systems
    }


def accuracy_table(data, labels: dict[str, list[str]], keys) -> dict:
    """{(kind, lang, half): {system: accuracy}}, printed half by half."""
    acc: dict = {}
    start = 0
    spans = {}
    for key in keys:
        spans[key] = range(start, start + len(data[key]))
        start += len(data[key])
    for key in keys:
        idx = spans[key]
        acc[key] = {s: sum(labels[s][i] == key[1] for i in idx) / len(idx) for s in labels}
    systems = list(labels)
    for half in HALVES:
        lo, hi = HALVES[half]
        print(f"\n{half} half (lines {lo + 1}-{hi}):")
        print(f"{'kind':<11}{'lang':<6}{'n':>5}" + "".join(f"{s:>13}" for s in systems))
        for key in keys:
            if key[2] != half:
                continue
            row = "".join(f"{acc[key][s]:>13.1%}" for s in systems)
            print(f"{key[0]:<11}{key[1]:<6}{len(data[key]):>5}{row}")
    return acc


def ours_errors(data, ours: list[str], keys, half: str) -> None:
    start = 0
    print(f"\nours' errors, {half} half (gold -> label: count):")
    for key in keys:
        n = len(data[key])
        if key[2] == half:
            errors: dict[str, int] = {}
            for lab in ours[start : start + n]:
                if lab != key[1]:
                    errors[lab] = errors.get(lab, 0) + 1
            if errors:
                err = " ".join(f"{k}:{v}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1]))
                print(f"  {key[0]:<11}{key[1]:<4} {err}")
        start += n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--dev", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    from tasks.config import Settings
    from tasks.language import detect_many

    dev = find_dev(args.dev)
    data = load(dev)
    keys = list(data)
    texts = [t for k in keys for t in data[k]]
    gold = [k[1] for k in keys for _ in data[k]]
    halves = [k[2] for k in keys for _ in data[k]]
    settings = Settings()

    t0 = time.perf_counter()
    plain = plain_langdetect(texts)
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    detect_many(["warm-up: load the models once"], settings)
    high, low = lingua_detectors()
    t_load = time.perf_counter() - t0

    def ours_fn(ts):
        return [lab for lab, _ in detect_many(ts, settings)]

    labels = {
        "plain": [p[0][0] if p else "und" for p in plain],
        "ours": ours_fn(texts),
        "lingua-high": lingua_serial(high, texts),
        "lingua-low": lingua_serial(low, texts),
    }
    assert lingua_parallel(high, texts) == labels["lingua-high"]
    print(f"dev set: {dev}  ({len(texts)} fragments)  expected={settings.expected_languages}")
    print("systems: plain = langdetect 1.0.9; ours = tasks.language.detect_many; lingua-high /")
    print("lingua-low = lingua-language-detector 2.1.1 restricted to az en ru tr uk kk")
    acc = accuracy_table(data, labels, keys)
    ours_errors(data, labels["ours"], keys, "held-out")

    failed: list[str] = []
    print()
    for half in HALVES:
        right = [
            i for i in range(len(texts)) if halves[i] == half and labels["plain"][i] == gold[i]
        ]
        changed = [i for i in right if labels["ours"][i] != labels["plain"][i]]
        share = 1 - len(changed) / len(right)
        pairs = ", ".join(f"{gold[i]}->{labels['ours'][i]}" for i in changed[:12])
        print(
            f"{half}: where plain langdetect is right ({len(right)}), ours equals it on "
            f"{len(right) - len(changed)} ({share:.2%})" + (f"; differs: {pairs}" if pairs else "")
        )
        if half == "held-out" and share < MIN_AGREEMENT:
            failed.append(f"agreement with plain {share:.2%} < {MIN_AGREEMENT:.1%}")

    systems = {
        "ours": ours_fn,
        "lingua-high (1 thread)": lambda ts: lingua_serial(high, ts),
        "lingua-high (parallel)": lambda ts: lingua_parallel(high, ts),
        "lingua-low (1 thread)": lambda ts: lingua_serial(low, ts),
        "lingua-low (parallel)": lambda ts: lingua_parallel(low, ts),
    }
    speed = timed_rounds(systems, texts, args.rounds)
    n = len(texts)
    print(f"\nthroughput on the same {n} fragments (median of {args.rounds} alternating rounds):")
    print(f"  {'':<26}{'items/s':>10}{'items/CPU-s':>13}")
    print(f"  {'plain langdetect 1.0.9':<26}{n / t_plain:>10.0f}{'':>13}  (one round)")
    for name, (wall, cpu) in speed.items():
        print(f"  {name:<26}{wall:>10.0f}{cpu:>13.0f}")
    ours_wall, ours_cpu = speed["ours"]
    one_wall, one_cpu = speed["lingua-high (1 thread)"]
    par_wall = speed["lingua-high (parallel)"][0]
    ratio = ours_cpu / one_cpu
    print(
        f"  ours / lingua-high: {ratio:.2f}x per CPU second, {ours_wall / one_wall:.2f}x its "
        f"one-thread loop, {ours_wall / par_wall:.2f}x its parallel call (wall clock); "
        f"{ours_wall * t_plain / n:.0f}x plain; one-off model load (ours + lingua) {t_load:.2f} s"
    )
    if ratio < MIN_SPEEDUP:
        failed.append(f"speed {ratio:.2f}x lingua-high per CPU second < {MIN_SPEEDUP}x")

    for (kind, lang, half), row in acc.items():
        if half != "held-out":
            continue
        floor = max(
            FLOORS[(kind, lang)], row["lingua-high"] if (kind, lang) != ("sentences", "uk") else 0
        )
        if row["ours"] < floor - 1e-9:
            failed.append(f"held-out {kind}/{lang} {row['ours']:.1%} < {floor:.1%}")

    rs = rs_langdetect(texts)
    same_label = sum(
        (p[0][0] if p else None) == (r[0][0] if r else None) for p, r in zip(plain, rs, strict=True)
    )
    same_probs = sum(p == r for p, r in zip(plain, rs, strict=True))
    print("\nlangdetect 1.0.9 vs langdetect-rs 0.1.0, seed 0, every fragment:")
    print(f"  top labels identical:            {same_label}/{n}")
    print(f"  full (lang, prob) lists equal:   {same_probs}/{n}  (exact float equality)")
    if same_probs != n:
        failed.append(f"langdetect-rs differs from langdetect on {n - same_probs} fragments")

    if args.check:
        if failed:
            print("\nCHECK FAILED: " + "; ".join(failed))
            return 1
        print("\nCHECK OK (held-out half)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
