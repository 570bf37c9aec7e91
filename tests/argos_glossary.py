"""Argos packages whose English is known by design: a real CTranslate2 Transformer that copies.

``build_glossary_package`` makes a package (any layout of ``argos_builder``, SentencePiece or
BPE) whose model translates token by token through a glossary:

* the encoder writes, for source position i, a position code (cosines and sines of 32 fixed
  frequencies) and a one-hot code of the source token; its layers add nothing;
* the decoder's only working part is one cross-attention head: its query is the code of the
  target step t, its keys the codes of the source positions, so it attends to source position
  t (the best wrong position scores at least ``_ATTENTION_MARGIN`` logits lower: a weight of
  e^-40); its value is the source token's one-hot code;
* the output projection maps each source token to its glossary token (30 logits above every
  other token); a token without a glossary entry maps to ``<unk>``, which CTranslate2's
  ``replace_unknowns`` (Argos' option) turns back into the source token: unknown words are
  copied, like names;
* the model adds ``</s>`` to the source (``add_source_eos``), and ``</s>`` maps to ``</s>``:
  the output stops after exactly as many tokens as the source has.

Every vector has a fixed norm and zero mean (each value also appears negated), so the layer
norms only rescale by a known constant, and every weight row holds one repeated magnitude, so
int8 quantisation represents it exactly. The margins are orders of magnitude above int8 rounding,
so the output is the same on every CPU (the expected English is computed from the glossary, not
observed). ``expected_english`` gives what the model must produce for a text.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import ctranslate2
import numpy as np
import sentencepiece as spm

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argos_builder import metadata_for, save_ct2_model, write_package  # noqa: E402

_N_FREQ = 32
_MAX_LEN = 1024
_ATTENTION_MARGIN = 40.0  # logits between the right source position and the best wrong one
_OUTPUT_MARGIN = 30.0  # logits between the glossary token and every other token
SPECIALS = ["<unk>", "<s>", "</s>"]
_ALPHABET = (
    "abcdefghijklmnopqrstuvwxyzçğıöşüəABCDEFGHIJKLMNOPQRSTUVWXYZÇĞİÖŞÜƏ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯІЄЇҐ"
    "0123456789.,!?;:-«»()\"'%"
)

# Glossaries in our own words: source word -> English word (whole tokens on both sides).
AZ_EN = {
    "Bakı": "Baku",
    "şəhərində": "city",
    "yeni": "new",
    "park": "park",
    "açılıb": "opened",
    "Prezident": "President",
    "nazir": "minister",
    "bu": "this",
    "gün": "day",
    "görüş": "meeting",
    "keçirib": "held",
    "neft": "oil",
    "qiyməti": "price",
    "artıb": "rose",
    "hökumət": "government",
    "layihə": "project",
    "və": "and",
    "su": "water",
    "məktəb": "school",
    "bank": "bank",
}
RU_EN = {
    "Москва": "Moscow",
    "сегодня": "today",
    "министр": "minister",
    "провел": "held",
    "встречу": "meeting",
    "цена": "price",
    "нефти": "oil",
    "выросла": "rose",
    "новый": "new",
    "парк": "park",
    "открыт": "opened",
    "и": "and",
    "правительство": "government",
    "проект": "project",
    "школа": "school",
}
UK_RU = {
    "Київ": "Москва",
    "сьогодні": "сегодня",
    "міністр": "министр",
    "провів": "провел",
    "зустріч": "встречу",
    "новий": "новый",
    "парк": "парк",
    "відкрито": "открыт",
    "і": "и",
}
GLOSSARIES = {("az", "en"): AZ_EN, ("ru", "en"): RU_EN, ("uk", "ru"): UK_RU}


def _position_codes() -> np.ndarray:
    """(max_len, 2 * _N_FREQ) cos/sin codes; code(t) . code(i) = sum_k cos(w_k (t - i))."""
    rng = np.random.default_rng(20240101)
    freqs = rng.uniform(0.05, np.pi - 0.05, size=_N_FREQ)
    pos = np.arange(_MAX_LEN, dtype=np.float64)[:, None] * freqs[None, :]
    codes = np.concatenate([np.cos(pos), np.sin(pos)], axis=1)
    gram = codes @ codes.T  # checked once per build: the right position wins by a margin
    np.fill_diagonal(gram, -np.inf)
    worst = float(gram.max())
    return codes.astype(np.float32), _N_FREQ - worst


def glossary_spec(vocab: list[str], mapping: dict[str, str]):
    """The copy-and-gloss TransformerSpec over ``vocab`` (see the module docstring)."""
    index = {t: i for i, t in enumerate(vocab)}
    n_vocab = len(vocab)
    codes, margin = _position_codes()
    if margin < 10:
        raise AssertionError(f"position codes too close (margin {margin:.2f})")
    p = codes.shape[1]  # dims [0:p] code, [p:2p] -code, [2p:2p+V] token, [2p+V:2p+2V] -token
    d = 2 * p + 2 * n_vocab
    d += (-d) % 16
    k = float(_N_FREQ)  # |code|^2
    spec = ctranslate2.specs.TransformerSpec.from_config((1, 1), 1)
    spec.config.add_source_eos = True
    z = np.zeros

    pe = z((_MAX_LEN, d), np.float32)
    pe[:, :p], pe[:, p : 2 * p] = codes, -codes
    spec.encoder.position_encodings.encodings = pe
    spec.decoder.position_encodings.encodings = pe.copy()
    # Token one-hot of magnitude sqrt(k): every encoder vector has |x|^2 = 4k, mean 0.
    emb = z((n_vocab, d), np.float32)
    rows = np.arange(n_vocab)
    emb[rows, 2 * p + rows] = np.sqrt(k) / np.sqrt(d)  # embeddings are scaled by sqrt(d)
    emb[rows, 2 * p + n_vocab + rows] = -np.sqrt(k) / np.sqrt(d)
    spec.encoder.embeddings[0].weight = emb
    spec.decoder.embeddings.weight = z((n_vocab, d), np.float32)  # decoder input: position only

    def norm(layer):
        layer.gamma, layer.beta = np.ones(d, np.float32), z(d, np.float32)

    def silence(attention, fused_rows: int):
        attention.linear[0].weight = z((fused_rows, d), np.float32)
        attention.linear[0].bias = z(fused_rows, np.float32)
        attention.linear[1].weight = z((d, d), np.float32)
        attention.linear[1].bias = z(d, np.float32)
        norm(attention.layer_norm)

    def no_ffn(ffn):
        ffn.linear_0.weight, ffn.linear_0.bias = z((16, d), np.float32), z(16, np.float32)
        ffn.linear_1.weight, ffn.linear_1.bias = z((d, 16), np.float32), z(d, np.float32)
        norm(ffn.layer_norm)

    enc, dec = spec.encoder.layer[0], spec.decoder.layer[0]
    silence(enc.self_attention, 3 * d)
    silence(dec.self_attention, 3 * d)
    no_ffn(enc.ffn)
    no_ffn(dec.ffn)
    norm(spec.encoder.layer_norm)
    norm(spec.decoder.layer_norm)

    # Cross-attention. After the layer norms: encoder vectors are c_enc * x (|x|^2 = 4k),
    # decoder queries c_dec * y (|y|^2 = 2k), with c = sqrt(d / |x|^2).
    c_enc, c_dec = np.sqrt(d / (4 * k)), np.sqrt(d / (2 * k))
    # score(t, i) = beta * c_dec * c_enc * sum_k cos(w_k (t - i)) / sqrt(d)
    beta = _ATTENTION_MARGIN * np.sqrt(d) / (c_dec * c_enc * margin)
    att = dec.attention
    q = z((d, d), np.float32)
    q[np.arange(p), np.arange(p)] = beta
    kv = z((2 * d, d), np.float32)
    kv[np.arange(p), np.arange(p)] = 1.0  # keys: the source position code
    tok = np.arange(2 * p, 2 * p + 2 * n_vocab)
    kv[d + tok, tok] = 1.0  # values: the source token code (both signs)
    out = z((d, d), np.float32)
    # write the token code back with magnitude sqrt(k): the decoder vector then has |y'|^2 = 4k
    out[tok, tok] = 1.0 / c_enc
    att.linear[0].weight, att.linear[0].bias = q, z(d, np.float32)
    att.linear[1].weight, att.linear[1].bias = kv, z(2 * d, np.float32)
    att.linear[2].weight, att.linear[2].bias = out, z(d, np.float32)
    norm(att.layer_norm)

    # Projection: logit(g(s)) = 2 * w * c * sqrt(k) = _OUTPUT_MARGIN, every other logit 0.
    c_out = np.sqrt(d / (4 * k))
    w = _OUTPUT_MARGIN / (2 * c_out * np.sqrt(k))
    proj = z((n_vocab, d), np.float32)
    unk = index["<unk>"]
    for s, src in enumerate(vocab):
        target = index["</s>"] if src == "</s>" else index.get(mapping.get(src, ""), unk)
        proj[target, 2 * p + s] = w
        proj[target, 2 * p + n_vocab + s] = -w
    spec.decoder.projection.weight = proj
    spec.decoder.projection.bias = z(n_vocab, np.float32)
    return spec


# --------------------------------------------------------------------------- tokenizers


def _sp_model(words: list[str], dest: Path) -> bytes:
    """A SentencePiece unigram model in which every glossary word is one piece (checked)."""
    corpus = [" ".join(_ALPHABET)]  # every letter is a piece: no unknown characters
    for rep in range(40):
        shift = rep % len(words)
        corpus.append(" ".join(words[shift:] + words[:shift]) + " . , ! ?")
    model = dest / "sentencepiece.model"
    with open(model, "wb") as out:
        spm.SentencePieceTrainer.train(  # BPE merges until every (frequent) word is whole
            sentence_iterator=iter(corpus),
            model_writer=out,
            vocab_size=4000,
            hard_vocab_limit=False,
            model_type="bpe",
            character_coverage=1.0,
            num_threads=1,
            minloglevel=2,
        )
    sp = spm.SentencePieceProcessor(model_file=str(model))
    split = [w for w in words if sp.encode(w, out_type=str) != ["\u2581" + w]]
    if split:
        raise AssertionError(f"glossary words not single pieces: {split[:5]}")
    return model.read_bytes()


def _bpe_codes(words: list[str]) -> str:
    """subword-nmt codes (v0.2) that merge every glossary word into one token: each word's
    left-to-right chain of merges, then, while some word still comes out split (another
    word's merge got there first), a merge of its first two symbols."""
    import io

    from argostranslate.apply_bpe import BPE

    merges: list[str] = []
    for w in words:
        parts = list(w)
        if len(parts) < 2:
            continue
        parts[-1] += "</w>"
        left = parts[0]
        for right in parts[1:]:
            merges.append(f"{left} {right}")
            left += right.removesuffix("</w>")
    merges = list(dict.fromkeys(merges))
    for _ in range(200):
        bpe = BPE(io.StringIO("#version: 0.2\n" + "".join(m + "\n" for m in merges)))
        split = [(w, bpe.segment_tokens([w])) for w in words]
        split = [(w, p) for w, p in split if len(p) > 1]
        if not split:
            break
        for _w, pieces in split:
            first, second = pieces[0].removesuffix("@@"), pieces[1].removesuffix("@@")
            if len(pieces) == 2:
                second += "</w>"
            merges.append(f"{first} {second}")
        merges = list(dict.fromkeys(merges))
    return "#version: 0.2\n" + "".join(m + "\n" for m in merges)


def _bpe_vocab(words: list[str], codes_path: Path, from_code: str, to_code: str) -> list[str]:
    from tasks.translate import BPETokenizer  # Argos' BPE pipeline

    tok = BPETokenizer(codes_path, from_code, to_code)
    vocab: dict[str, None] = dict.fromkeys(SPECIALS)
    for w in words:
        pieces = tok.bpe.segment_tokens([w])
        if pieces != [w] and len(w) > 1:
            raise AssertionError(f"BPE splits glossary word {w!r}: {pieces}")
        vocab.update(dict.fromkeys(pieces))
    for ch in _ALPHABET:
        vocab.update(dict.fromkeys([ch, ch + "@@"]))
    return list(vocab)


# --------------------------------------------------------------------------- packages


def build_glossary_package(
    dest_dir: str | Path,
    from_code: str,
    to_code: str,
    *,
    version: str = "1.0",
    glossary: dict[str, str] | None = None,
    tokenizer: str = "sentencepiece",
    layout: str = "ct2-3",
    stanza: bool = False,
    dir_entries: bool = True,
    quantization: str = "int8",
    name: str | None = None,
) -> Path:
    """Build ``translate-<from>_<to>-<version>.argosmodel`` whose model is the glossary
    transformer (see the module docstring). Deterministic: same arguments, same bytes."""
    glossary = dict(glossary if glossary is not None else GLOSSARIES[(from_code, to_code)])
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    name = name or f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    words = list(dict.fromkeys([*glossary, *glossary.values()]))
    with tempfile.TemporaryDirectory(dir=dest_dir) as tmp:
        if tokenizer == "sentencepiece":
            files = {"sentencepiece.model": _sp_model(words, Path(tmp))}
            sp = spm.SentencePieceProcessor(model_proto=files["sentencepiece.model"])
            vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
            mapping = {"\u2581" + s: "\u2581" + t for s, t in glossary.items()}
        elif tokenizer == "bpe":
            codes = _bpe_codes(words)
            codes_path = Path(tmp) / "bpe.model"
            codes_path.write_text(codes, encoding="utf-8")
            files = {"bpe.model": codes.encode("utf-8")}
            vocab = _bpe_vocab(words, codes_path, from_code, to_code)
            mapping = dict(glossary)
        else:
            raise ValueError(f"unknown tokenizer {tokenizer!r}")

        def build_model(model_dir: Path) -> None:
            spec = glossary_spec(vocab, mapping)
            save_ct2_model(spec, model_dir, vocab, layout=layout, quantization=quantization)

        return write_package(
            dest_dir,
            name,
            metadata=metadata_for(from_code, to_code, version),
            build_model=build_model,
            files=files,
            stanza=stanza,
            dir_entries=dir_entries,
            readme=f"Glossary test package {from_code}->{to_code} ({tokenizer}, {layout}).\n",
        )


def expected_english(text: str, glossary: dict[str, str]) -> str:
    """What a glossary package must output for one sentence of glossary words, spaces and
    ``.,!?``: every glossary word replaced, everything else as it is (whitespace folded)."""
    out = []
    for word in text.split():
        core = word.rstrip(".,!?")
        out.append(glossary.get(core, core) + word[len(core) :])
    return " ".join(out)


__all__ = [
    "AZ_EN",
    "GLOSSARIES",
    "RU_EN",
    "UK_RU",
    "build_glossary_package",
    "expected_english",
    "glossary_spec",
]
