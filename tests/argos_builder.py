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
import struct
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
    return spec


SIX_KEYS = ("package_version", "argos_version", "from_code", "from_name", "to_code", "to_name")
_NAMES = {"az": "Azerbaijani", "en": "English", "ru": "Russian", "tr": "Turkish", "uk": "Ukrainian"}


def metadata_for(from_code: str, to_code: str, version: str, **extra) -> dict:
    """The six-key ``metadata.json`` real index packages carry (no ``type``, no ``links``)."""
    meta = {
        "package_version": version,
        "argos_version": version,
        "from_code": from_code,
        "from_name": _NAMES.get(from_code, from_code.upper()),
        "to_code": to_code,
        "to_name": _NAMES.get(to_code, to_code.upper()),
    }
    meta.update({k: v for k, v in extra.items() if v not in (None, "")})
    return meta


def save_ct2_model(spec, model_dir: Path, vocab: list[str], *, layout: str, quantization: str):
    """Save a CTranslate2 TransformerSpec the way a converter of that time did.

    ``layout="ct2-3"``: CTranslate2 >= 3.0 (``model.bin`` binary version 6, ``config.json``,
    ``shared_vocabulary.json``). ``layout="ct2-2"``: CTranslate2 2.x, as in the Argos index's
    packages of 2021-2022 (``model.bin`` binary version 5 with spec revision 4, whose settings
    are variables of the model, no ``config.json``, ``shared_vocabulary.txt``).
    """
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    spec.optimize(quantization=quantization)
    model_dir.mkdir(parents=True, exist_ok=True)
    if layout == "ct2-3":
        spec.save(str(model_dir))
        return
    if layout != "ct2-2":
        raise ValueError(f"unknown layout {layout!r}")
    (model_dir / "shared_vocabulary.txt").write_text(
        "".join(t + "\n" for t in vocab), encoding="utf-8"
    )
    _serialize_v5(spec, model_dir / "model.bin")


# CTranslate2 2.x kept these at the top level (the 4.x loader aliases them for revision < 5).
_V2_TOP_LEVEL = {
    "encoder/num_heads": ("num_heads", np.int8),
    "encoder/pre_norm": ("pre_norm", np.int8),
    "encoder/activation": ("activation", np.int8),
    "encoder/embeddings_merge": ("embeddings_merge", np.int8),
    "decoder/alignment_layer": ("alignment_layer", np.int16),
    "decoder/alignment_heads": ("alignment_heads", np.int16),
}
_V2_DROPPED = {"decoder/num_heads", "decoder/pre_norm", "decoder/activation"}


def _serialize_v5(spec, path: Path) -> None:
    from ctranslate2.specs.model_spec import _dtype_to_type_id

    config = spec.config.to_dict()
    entries: list[tuple[str, tuple[int, ...], str, bytes]] = []
    aliases = []
    for name, value in spec.variables(ordered=True):
        if isinstance(value, str):
            aliases.append((name, value))
            continue
        if name in _V2_DROPPED:
            continue
        if name in _V2_TOP_LEVEL:
            top, dtype = _V2_TOP_LEVEL[name]
            raw = np.frombuffer(value.to_bytes(), dtype=value.dtype)
            arr = raw.astype(dtype).reshape(())
            entries.append((top, (), np.dtype(dtype).name, arr.tobytes()))
            continue
        entries.append((name, tuple(value.shape), value.dtype, value.to_bytes()))
    # 2.x stored the source/target flags as variables too; the defaults match config.json's
    flags = {"with_source_eos": config.get("add_source_eos", False)}
    flags["with_source_bos"] = config.get("add_source_bos", False)
    for flag, on in flags.items():
        entries.append((flag, (), "int8", np.int8(bool(on)).tobytes()))
    entries.sort(key=lambda e: e[0])

    def string(text: str) -> bytes:
        data = text.encode("utf-8")
        return struct.pack("H", len(data) + 1) + data + b"\0"

    with open(path, "wb") as out:
        out.write(struct.pack("I", 5))  # binary version of CTranslate2 2.x
        out.write(string(spec.name))
        out.write(struct.pack("I", 4))  # TransformerSpec revision in CTranslate2 2.x
        out.write(struct.pack("I", len(entries)))
        for name, shape, dtype, data in entries:
            out.write(string(name))
            out.write(struct.pack("B", len(shape)))
            for dim in shape:
                out.write(struct.pack("I", dim))
            out.write(struct.pack("B", _dtype_to_type_id(dtype)))
            out.write(struct.pack("I", len(data)))
            out.write(data)
        out.write(struct.pack("I", len(aliases)))
        for alias, target in aliases:
            out.write(string(alias))
            out.write(string(target))


def write_package(
    dest_dir: Path,
    name: str,
    *,
    metadata: dict,
    build_model,
    files: dict[str, bytes],
    stanza: bool = False,
    dir_entries: bool = True,
    readme: str = "",
) -> Path:
    """Assemble ``<name>.argosmodel``: one top-level folder ``name`` with ``metadata.json``, the
    tokenizer files, ``model/`` (written by ``build_model(model_dir)``), optionally a
    ``stanza/`` folder as older index packages carry, zipped with or without directory
    entries (the index has both)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        root = Path(tmp) / name
        root.mkdir()
        build_model(root / "model")
        for rel, data in files.items():
            (root / rel).write_bytes(data)
        if stanza:  # stand-in files in the folder structure of a packaged stanza tokenizer
            lang = metadata["from_code"]
            (root / "stanza" / lang / "tokenize").mkdir(parents=True)
            (root / "stanza" / "resources.json").write_text('{"note": "written by tests"}\n')
            (root / "stanza" / lang / "tokenize" / "default.pt").write_bytes(b"not a model")
        (root / "metadata.json").write_text(json.dumps(metadata, indent=4) + "\n")
        (root / "README.md").write_text(readme or f"Test package {name}, built by tests.\n")
        out = dest_dir / f"{name}.argosmodel"
        _zip_dir(root, out, dir_entries=dir_entries)
    return out


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
    layout: str = "ct2-3",
    stanza: bool = False,
    dir_entries: bool = True,
) -> Path:
    """Build ``translate-<from>_<to>-<version>.argosmodel`` with RANDOM weights (benchmarks, the
    looping guard test) in ``dest_dir`` and return its path. Tests that check the English use
    ``argos_glossary.build_glossary_package`` instead.

    Deterministic: the same arguments give byte-identical files. About a second for the
    default size; ``layers=(6, 6), d_model=512, heads=8, ffn=2048, vocab_size=8000`` gives a
    transformer-base-sized package (for benchmarks).
    """
    dest_dir = Path(dest_dir)
    name = name or f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    if looping:
        name += "-looping"
    seed = int.from_bytes(
        hashlib.sha256(f"{from_code}|{to_code}|{version}|{looping}".encode()).digest()[:4], "big"
    )
    with tempfile.TemporaryDirectory(dir=dest_dir if dest_dir.exists() else None) as spdir:
        sp = _train_sentencepiece(
            Path(spdir), from_code, to_code, vocab_size, lines_per_lang, lexicon_size
        )
        sp_bytes = (Path(spdir) / "sentencepiece.model").read_bytes()
    target_pieces = {sp.eos_id()}
    for line in sample_sentences(to_code, lines_per_lang, seed=1):
        target_pieces.update(sp.encode(line))
    target_pieces.discard(sp.unk_id())
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]

    def build_model(model_dir: Path) -> None:
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
        save_ct2_model(spec, model_dir, vocab, layout=layout, quantization=quantization)

    return write_package(
        dest_dir,
        name,
        metadata=metadata_for(from_code, to_code, version, target_prefix=target_prefix),
        build_model=build_model,
        files={"sentencepiece.model": sp_bytes},
        stanza=stanza,
        dir_entries=dir_entries,
        readme=f"Synthetic {from_code}->{to_code} test package (random weights).\n",
    )


def _zip_dir(root: Path, out: Path, *, dir_entries: bool = True) -> None:
    """Zip ``root`` as the single top-level directory, with fixed timestamps (reproducible)."""
    tmp = out.with_suffix(".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            arc = path.relative_to(root.parent).as_posix()
            if path.is_dir():
                if not dir_entries:
                    continue
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


__all__ = [
    "build_package",
    "extract_to",
    "metadata_for",
    "sample_sentences",
    "save_ct2_model",
    "write_package",
]
