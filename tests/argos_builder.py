"""Build tiny but structurally real Argos Translate packages (.argosmodel) for tests and benchmarks.

A package built here is what ``argospm`` would install: a zip with one top-level directory holding
``metadata.json``, ``sentencepiece.model`` and ``model/`` (a CTranslate2 Transformer: ``model.bin``,
``config.json``, ``shared_vocabulary.json``). Nothing is mocked: CTranslate2 loads and runs it.

The weights are random (seeded from the language pair and version, so every build is identical)
except for a few hand-set pathways that make the model behave like a translator:

* the decoder only emits pieces seen in English text (the projection bias masks the others), so
  its output is "English words";
* a clock: position 0 of every embedding is a ramp over the token position, layers never write
  it, and one cross-attention head averages the encoder's ramp, i.e. sees the source length; the
  end-of-sentence logit reads "target position - 1.1 x source length", so outputs stop after about
  as many tokens as the source has;
* the other attention heads are random, so the output depends on the source words.

``looping=True`` builds a broken package whose decoder repeats one piece and never stops, which
the quality guards of ``tasks.translate`` must flag as suspect.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
import zipfile
from pathlib import Path

import ctranslate2
import numpy as np
import sentencepiece as spm

# Letters each language's generated words are made of (consonants, vowels).
_LETTERS = {
    "en": ("bcdfghklmnprstvw", "aeiou"),
    "az": ("bcçdfgğhxjklmnprsştvyz", "aəeıioöuü"),
    "tr": ("bcçdfgğhjklmnprsştvyz", "aeıioöuü"),
    "ru": ("бвгджзклмнпрстфхцчшщ", "аеиоуыэюя"),
    "uk": ("бвгджзклмнпрстфхцчшщ", "аеиіїоуєюя"),
    "de": ("bcdfghklmnprstvwz", "aeiouäöü"),
}
_ENGLISH_WORDS = """
the a of to in and for on with by from at as is was were be been has have had will would
said says government minister president country city people year years new first last two
three million percent week month today report reports official officials state national
international economic economy market markets price prices oil gas bank energy trade
security police court law election elections party parliament meeting talks agreement
foreign military region regional local public health school water project projects company
companies work workers development plan plans support decision statement news agency
""".split()


def _words(lang: str, rng: random.Random, n: int) -> list[str]:
    cons, vows = _LETTERS.get(lang, _LETTERS["en"])
    out = []
    for _ in range(n):
        syllables = rng.randint(1, 4)
        out.append("".join(rng.choice(cons) + rng.choice(vows) for _ in range(syllables)))
    return out


def sample_sentences(
    lang: str, n: int, *, seed: int = 0, words: int = 12, lexicon_size: int = 400
) -> list[str]:
    """``n`` deterministic sentence-like lines in ``lang`` (real English words for "en")."""
    rng = random.Random(f"{lang}:{seed}")
    lexicon = _ENGLISH_WORDS if lang == "en" else _words(lang, random.Random(lang), lexicon_size)
    lines = []
    for _ in range(n):
        k = rng.randint(max(3, words - 5), words + 5)
        ws = [rng.choice(lexicon) for _ in range(k)]
        ws[0] = ws[0].capitalize()
        lines.append(" ".join(ws) + rng.choice([".", ".", ".", "?", "!"]))
    return lines


def _train_sentencepiece(
    dest: Path, from_code: str, to_code: str, vocab_size: int, lines_per_lang: int, lexicon: int
) -> spm.SentencePieceProcessor:
    corpus = sample_sentences(
        from_code, lines_per_lang, seed=1, lexicon_size=lexicon
    ) + sample_sentences(to_code, lines_per_lang, seed=1, lexicon_size=lexicon)
    model = dest / "sentencepiece.model"
    with open(model, "wb") as out:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(corpus),
            model_writer=out,
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            model_type="unigram",
            character_coverage=1.0,
            num_threads=1,
            minloglevel=2,
        )
    return spm.SentencePieceProcessor(model_file=str(model))


def _fill_random(spec, rng: np.random.Generator, d_model: int, ffn: int, vocab: int) -> None:
    """Give every required variable still unset a seeded random value of the right shape."""

    def shape(name: str) -> tuple[int, ...]:
        parts = name.split("/")
        leaf, owner = parts[-1], parts[-2]
        if owner == "layer_norm" or owner.endswith("layer_norm"):
            return (d_model,)
        if "embeddings" in owner:
            return (vocab, d_model)
        if owner == "projection":
            return (vocab, d_model) if leaf == "weight" else (vocab,)
        if owner == "linear_0" and "ffn" in parts:
            return (ffn, d_model) if leaf == "weight" else (ffn,)
        if owner == "linear_1" and "ffn" in parts:
            return (d_model, ffn) if leaf == "weight" else (d_model,)
        if "self_attention" in parts:
            rows = 3 * d_model if owner == "linear_0" else d_model
        elif "attention" in parts:
            rows = 2 * d_model if owner == "linear_1" else d_model
        else:
            raise ValueError(f"no shape rule for {name}")
        return (rows, d_model) if leaf == "weight" else (rows,)

    def fill(layer, name, value):
        if value is not None:
            return
        leaf = name.split("/")[-1]
        if leaf == "gamma":
            arr = np.ones(shape(name), dtype=np.float32)
        elif leaf == "beta":
            arr = np.zeros(shape(name), dtype=np.float32)
        else:
            dims = shape(name)
            arr = rng.normal(0.0, 1.0 / np.sqrt(dims[-1]), size=dims).astype(np.float32)
        setattr(layer, leaf, arr)

    ctranslate2.specs.model_spec.visit_spec(spec, fill)


def _sinusoid(length: int, d_model: int) -> np.ndarray:
    pos = np.arange(length, dtype=np.float32)[:, None]
    half = d_model // 2
    freq = np.exp(-np.log(10000.0) * np.arange(half, dtype=np.float32) / max(1, half - 1))
    return np.concatenate([np.sin(pos * freq), np.cos(pos * freq)], axis=1).astype(np.float32)


def _build_spec(
    sp: spm.SentencePieceProcessor,
    target_pieces: set[int],
    *,
    seed: int,
    layers: tuple[int, int],
    d_model: int,
    heads: int,
    ffn: int,
    looping: bool,
):
    rng = np.random.default_rng(seed)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    n_vocab = len(vocab)
    spec = ctranslate2.specs.TransformerSpec.from_config(layers, heads)
    max_len = 1024
    clock = 0.04  # ramp per position in dimension 0 (and source ramp in dimension 0 too)
    pe = _sinusoid(max_len, d_model) * 2.0
    # Dimensions 0-3 are reserved for the clock: [t, source length, -t, -source length] (the
    # mirrored pair makes the difference immune to the layer norms' mean subtraction).
    pe[:, :4] = 0.0
    pe[:, 0] = clock * np.arange(max_len)
    pe[:, 2] = -clock * np.arange(max_len)
    spec.encoder.position_encodings.encodings = pe
    pe_dec = pe.copy()
    # Decoder positions: a random vector per position, so consecutive steps differ (no loops).
    pe_dec[:, 4:] = rng.normal(0.0, 1.0, size=(max_len, d_model - 4))
    spec.decoder.position_encodings.encodings = pe_dec
    _fill_random(spec, rng, d_model, ffn, n_vocab)

    # Embeddings (scaled by sqrt(d_model) at run time) never touch the clock dimensions.
    scale = 1.0 / np.sqrt(d_model)
    for emb, gain in ((spec.encoder.embeddings[0], 1.0), (spec.decoder.embeddings, 0.3)):
        emb.weight = rng.normal(0.0, gain * scale, size=(n_vocab, d_model)).astype(np.float32)
        emb.weight[:, :4] = 0.0
    # No layer writes the clock dimensions.
    for layer in [*spec.encoder.layer, *spec.decoder.layer]:
        layer.self_attention.linear[-1].weight[:4, :] = 0.0
        layer.ffn.linear_1.weight[:4, :] = 0.0
    head_dim = d_model // heads
    n_dec = len(spec.decoder.layer)
    for layer in spec.decoder.layer:
        att = layer.attention
        att.linear[-1].weight *= 3.0
        att.linear[-1].weight[:4, :] = 0.0
        # Head 0 of the cross-attention: zero queries/keys -> uniform weights over the source;
        # its first value dimension reads the encoder clock, i.e. the mean source position.
        att.linear[0].weight[:head_dim, :] = 0.0
        att.linear[1].weight[:head_dim, :] = 0.0
        att.linear[1].weight[d_model : d_model + head_dim, :] = 0.0
        att.linear[1].weight[d_model, 0] = 1.0
        att.linear[1].weight[d_model, 2] = -1.0
        att.linear[-1].weight[:, :head_dim] = 0.0
        att.linear[-1].weight[1, 0] = 1.0 / n_dec
        att.linear[-1].weight[3, 0] = -1.0 / n_dec

    proj = rng.normal(0.0, 1.0 / np.sqrt(d_model), size=(n_vocab, d_model)).astype(np.float32)
    proj[:, :4] = 0.0
    proj /= np.linalg.norm(proj, axis=1, keepdims=True)
    proj *= 3.0
    bias = np.zeros(n_vocab, dtype=np.float32)
    mask = np.full(n_vocab, -40.0, dtype=np.float32)
    mask[sorted(target_pieces)] = 0.0
    bias += mask
    eos = sp.eos_id()
    if looping:
        repeat = sp.piece_to_id("\u2581the")
        if repeat == sp.unk_id() or repeat not in target_pieces:
            repeat = max(target_pieces - {eos}, key=lambda i: (len(sp.id_to_piece(i)), -i))
        bias[repeat] = 60.0
        bias[eos] = -80.0
    else:
        # EOS logit ~ k * (target position - ratio * mean source position), after the final norm.
        k0 = 20.0
        k1 = -16.0
        proj[eos, :] = 0.0
        proj[eos, 0], proj[eos, 2] = k0, -k0
        proj[eos, 1], proj[eos, 3] = k1, -k1
        bias[eos] = 0.0
    spec.decoder.projection.weight = proj
    spec.decoder.projection.bias = bias
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    return spec


def build_package(
    dest_dir: str | Path,
    from_code: str,
    to_code: str,
    *,
    version: str = "1.0",
    looping: bool = False,
    layers: tuple[int, int] = (1, 1),
    d_model: int = 64,
    heads: int = 4,
    ffn: int = 128,
    vocab_size: int = 400,
    lines_per_lang: int = 300,
    lexicon_size: int = 400,
    quantization: str = "int8",
    target_prefix: str = "",
    name: str | None = None,
) -> Path:
    """Build ``translate-<from>_<to>-<version>.argosmodel`` in ``dest_dir`` and return its path.

    Deterministic: the same arguments give byte-identical models. About a second for the
    default size; ``layers=(6, 6), d_model=512, heads=8, ffn=2048, vocab_size=8000`` gives a
    transformer-base-sized package (for benchmarks).
    """
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    if looping:
        name += "-looping"
    seed = int.from_bytes(
        hashlib.sha256(f"{from_code}|{to_code}|{version}|{looping}".encode()).digest()[:4], "big"
    )
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        root = Path(tmp) / name
        (root / "model").mkdir(parents=True)
        sp = _train_sentencepiece(
            root, from_code, to_code, vocab_size, lines_per_lang, lexicon_size
        )
        target_pieces = {sp.eos_id()}
        for line in sample_sentences(to_code, lines_per_lang, seed=1):
            target_pieces.update(sp.encode(line))
        target_pieces.discard(sp.unk_id())
        spec = _build_spec(
            sp,
            target_pieces,
            seed=seed,
            layers=layers,
            d_model=d_model,
            heads=heads,
            ffn=ffn,
            looping=looping,
        )
        spec.validate()
        spec.optimize(quantization=quantization)
        spec.save(str(root / "model"))
        metadata = {
            "package_version": version,
            "argos_version": "1.11.0",
            "from_code": from_code,
            "from_name": from_code.upper(),
            "to_code": to_code,
            "to_name": to_code.upper(),
            "type": "translate",
            "target_prefix": target_prefix,
            "links": [],
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
        (root / "README.md").write_text(
            f"Synthetic {from_code}->{to_code} test package (random weights), built by "
            "tests/argos_builder.py.\n"
        )
        out = dest_dir / f"{name}.argosmodel"
        _zip_dir(root, out)
    return out


def _zip_dir(root: Path, out: Path) -> None:
    """Zip ``root`` as the single top-level directory, with fixed timestamps (reproducible)."""
    tmp = out.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            arc = path.relative_to(root.parent).as_posix()
            if path.is_dir():
                arc += "/"
            info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))
            if path.is_dir():
                info.external_attr = 0o40755 << 16
                zf.writestr(info, b"")
            else:
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())
    tmp.replace(out)


def extract_to(package: Path, dest: Path) -> Path:
    """Unzip a built package into ``dest`` and return its top-level directory (helper for tests)."""
    with zipfile.ZipFile(package) as zf:
        zf.extractall(dest)
        top = zf.namelist()[0].split("/")[0]
    return dest / top


__all__ = ["build_package", "extract_to", "sample_sentences"]
