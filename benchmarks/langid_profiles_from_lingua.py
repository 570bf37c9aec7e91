"""Issue #14's other option, measured: langdetect-format profiles built from lingua's n-grams.

    .venv/bin/python benchmarks/langid_profiles_from_lingua.py [--dev DIR]

lingua-language-detector 2.1.1 ships its models only compiled into its extension module, as
brotli-compressed JSON files embedded by Rust's include_dir (no API returns frequencies). This
script finds them through the module's ELF relocations (pyelftools), decompresses them
(brotli), turns lingua's 1-3-gram models of az, tr, ru, uk, kk and en into langdetect profiles
(joint probabilities by the chain rule: lingua stores P(a), P(b | a), P(c | ab); grams with a
space, which lingua never counts, left out of all of them alike) and runs ``detect_many`` with
every question that would go to lingua answered instead by a langdetect-rs walk restricted to
the same candidates, over these profiles (the letters' overrides as in lingua's path). Prints
accuracy per half and items per CPU second next to the lingua path, in one run.

Measured (README, "Language detection"): on the held-out half the lingua path wins 5 cells
(word pairs az, ru, tr, uk, kk), these profiles 3 (sentences ru, tr; word pairs en), 4 tie;
these profiles are ~1.7x faster. Only a measurement: nothing here is used by the pipeline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

LINGUA_NAMES = {
    "az": "AZERBAIJANI",
    "tr": "TURKISH",
    "ru": "RUSSIAN",
    "uk": "UKRAINIAN",
    "kk": "KAZAKH",
    "en": "ENGLISH",
}
MODEL_FILES = ("unigrams.json.br", "bigrams.json.br", "trigrams.json.br")
R_X86_64_RELATIVE = 8


def lingua_models() -> dict[str, dict[str, dict[str, str]]]:
    """{LANGUAGE: {file name: {fraction: "space-separated n-grams"}}} of the 6 languages."""
    import brotli
    import lingua
    from elftools.elf.elffile import ELFFile
    from elftools.elf.relocation import RelocationSection

    path = next(Path(lingua.__file__).parent.glob("lingua*.so"))
    data = path.read_bytes()
    with path.open("rb") as fh:
        elf = ELFFile(fh)
        segments = [
            (s["p_vaddr"], s["p_offset"], s["p_filesz"])
            for s in elf.iter_segments()
            if s["p_type"] == "PT_LOAD"
        ]
        relocated = {
            r["r_offset"]: r["r_addend"]
            for sec in elf.iter_sections()
            if isinstance(sec, RelocationSection)
            for r in sec.iter_relocations()
            if r["r_info_type"] == R_X86_64_RELATIVE
        }

    def at(vaddr: int) -> int | None:
        for start, offset, size in segments:
            if start <= vaddr < start + size:
                return offset + vaddr - start
        return None

    def word(vaddr: int) -> int | None:
        offset = at(vaddr)
        return None if offset is None else struct.unpack("<Q", data[offset : offset + 8])[0]

    out: dict[str, dict[str, dict[str, str]]] = {}
    for slot, target in relocated.items():  # include_dir's File {path: &str, contents: &[u8]}
        name_at, name_len = at(target), word(slot + 8)
        if name_at is None or name_len is None or not 5 < name_len < 200:
            continue
        name = data[name_at : name_at + name_len]
        if name.decode("latin-1") not in MODEL_FILES or slot + 16 not in relocated:
            continue
        body_at, body_len = at(relocated[slot + 16]), word(slot + 24)
        if body_at is None or body_len is None:
            continue
        try:
            model = json.loads(brotli.decompress(data[body_at : body_at + body_len]))
        except (brotli.error, ValueError):
            continue
        if model.get("language") in LINGUA_NAMES.values():
            out.setdefault(model["language"], {})[name.decode()] = model["ngrams"]
    return out


def _probs(table: dict[str, str]) -> dict[str, float]:
    out = {}
    for fraction, grams in table.items():
        num, den = fraction.split("/")
        for gram in grams.split(" "):
            out[gram] = int(num) / int(den)
    return out


def profile(lang: str, models, scale: int = 10_000_000) -> dict:
    """A langdetect profile of ``lang`` from lingua's 1-3-gram models."""
    from langdetect.utils.ngram import NGram

    model = models[LINGUA_NAMES[lang]]
    p1 = _probs(model["unigrams.json.br"])
    p2 = {g: p1.get(g[0], 0.0) * p for g, p in _probs(model["bigrams.json.br"]).items()}
    p3 = {g: p2.get(g[:2], 0.0) * p for g, p in _probs(model["trigrams.json.br"]).items()}
    freq: dict[str, int] = {}
    for joint in (p1, p2, p3):
        total = sum(joint.values())
        for gram, p in joint.items():
            gram = "".join(NGram.normalize(ch) for ch in gram)
            count = round(p / total * scale)
            if count > 0 and " " not in gram:
                freq[gram] = freq.get(gram, 0) + count
    return {"name": lang, "freq": freq, "n_words": [scale, scale, scale]}


def accuracy(data, labels: list[str]) -> dict[str, str]:
    rows: dict[str, list[str]] = {}
    start = 0
    for (kind, lang, half), lines in data.items():
        part = labels[start : start + len(lines)]
        rows.setdefault(half, []).append(f"{kind[0]}{lang}:{part.count(lang) / len(part):6.1%}")
        start += len(lines)
    return {half: " ".join(cells) for half, cells in rows.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    from langdetect_rs import DetectorFactory

    import tasks.language as language
    from benchmarks.langid_eval import find_dev, load
    from tasks.config import Settings

    models = lingua_models()
    profiles = {
        lang: json.dumps(profile(lang, models), ensure_ascii=False) for lang in LINGUA_NAMES
    }
    engine = language._engine(0)
    factories: dict[tuple[str, ...], object] = {}

    def ask_profiles(langs, texts, prefer):
        if langs not in factories:
            factory = DetectorFactory()
            factory.load_json_profile([profiles[x] for x in langs])
            factory.set_seed(0)
            factories[langs] = factory
        out = []
        for probs, want in zip(engine.batch(factories[langs], texts), prefer, strict=True):
            if not probs:
                out.append((want, 0.5) if want else (language.UND, 0.0))
            elif want and want != probs[0][0]:
                out.append((want, round(dict(probs).get(want, 0.0), 6)))
            else:
                out.append((probs[0][0], round(float(probs[0][1]), 6)))
        return out

    data = load(find_dev(args.dev))
    texts = [t for lines in data.values() for t in lines]
    settings = Settings()
    lingua_path = engine.ask_lingua
    paths = {"lingua path (ours)": lingua_path, "profiles from lingua": ask_profiles}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    for name, ask in paths.items():
        engine.ask_lingua = ask  # type: ignore[method-assign]
        labels = [lab for lab, _ in language.detect_many(texts, settings)]
        for half, row in accuracy(data, labels).items():
            print(f"{name:<22}{half:<9} {row}")
    for r in range(args.rounds):
        for name in list(paths) if r % 2 == 0 else list(reversed(paths)):
            engine.ask_lingua = paths[name]  # type: ignore[method-assign]
            c0 = time.process_time()
            language.detect_many(texts, settings)
            cpu[name].append(time.process_time() - c0)
    engine.ask_lingua = lingua_path  # type: ignore[method-assign]
    for name, times in cpu.items():
        print(f"{name:<22}{len(texts) / statistics.median(times):>8.0f} items per CPU second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
