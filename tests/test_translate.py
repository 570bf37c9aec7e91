"""Translation stage and Argos package management, on tiny real packages built by argos_builder."""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from argos_builder import build_package, extract_to, sample_sentences  # noqa: E402
from argos_glossary import (  # noqa: E402
    AZ_EN,
    RU_EN,
    UK_RU,
    build_glossary_package,
    expected_english,
)

from tasks import translate as tr  # noqa: E402
from tasks.config import Settings  # noqa: E402
from tasks.records import Article, Fragment  # noqa: E402


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """Every package the tests need, built once per session."""
    d = tmp_path_factory.mktemp("argos-built")
    return {  # az_en in the layout the index serves today (CTranslate2 2.x, stanza/)
        "az_en": build_glossary_package(d, "az", "en", version="1.5", layout="ct2-2", stanza=True),
        "ru_en": build_glossary_package(d, "ru", "en", version="1.9", tokenizer="bpe"),
        "uk_ru": build_glossary_package(d, "uk", "ru", version="1.0"),
        "tr_en_loop": build_package(d, "tr", "en", version="1.0", looping=True),
    }


def gloss_sentences(glossary: dict[str, str], n: int, *, seed: int, words: int = 6) -> list[str]:
    """``n`` distinct sentences of glossary words (their English is known), each starting with
    a capitalised one (so the sentence splitter sees where they begin)."""
    rng = random.Random(seed)
    vocab = sorted(glossary)
    starts = [w for w in vocab if w[0].isupper()]
    out: list[str] = []
    while len(out) < n:
        k = rng.randint(max(2, words - 3), words + 3)
        body = [rng.choice(starts)] + [rng.choice(vocab) for _ in range(k - 1)]
        # Moses keeps a single letter and its full stop together (an initial): none at the end
        body[-1] = rng.choice([w for w in vocab if len(w) > 1])
        s = " ".join(body) + rng.choice(".!?")
        if s not in out:
            out.append(s)
    return out


@pytest.fixture()
def pdir(tmp_path) -> Path:
    return tmp_path / "packages"


def _settings(tmp_path: Path, pdir: Path, **kw) -> Settings:
    return Settings.load(argos_packages_dir=pdir, cache_dir=tmp_path / "cache", **kw)


def _article(aid: str, frags: list[tuple[int, str, str]]) -> Article:
    return Article(
        article_id=aid,
        source_path=f"{aid}.txt",
        source_sha256="0" * 64,
        encoding="utf-8",
        fragments=[
            Fragment(index=i, paragraph=p, text=text, lang=lang, lang_score=0.99)
            for i, (p, text, lang) in enumerate(frags)
        ],
    )


# --------------------------------------------------------------------------- package management


def test_build_is_deterministic(tmp_path):
    a = build_package(tmp_path / "a", "az", "en")
    b = build_package(tmp_path / "b", "az", "en")
    assert a.read_bytes() == b.read_bytes()


def test_install_list_remove(built, pdir):
    info = tr.install_package(built["az_en"], pdir)
    assert (info.id, info.version, info.from_code, info.to_code) == ("az_en", "1.5", "az", "en")
    assert (info.path / "model" / "model.bin").is_file()
    tr.install_package(built["ru_en"], pdir)
    assert [(p.id, p.version) for p in tr.list_packages(pdir)] == [
        ("az_en", "1.5"),
        ("ru_en", "1.9"),
    ]
    assert tr.remove_package("az", pdir) == "az_en@1.5"
    assert [p.id for p in tr.list_packages(pdir)] == ["ru_en"]
    assert sorted(x.name for x in pdir.iterdir()) == [
        info.path.name.replace("az_en-1_5", "ru_en-1_9")
    ]
    with pytest.raises(tr.PackageError, match="no such package"):
        tr.remove_package("az_en", pdir)


def test_reinstall_replaces_same_pair(built, pdir, tmp_path):
    tr.install_package(built["az_en"], pdir)
    newer = build_package(tmp_path / "new", "az", "en", version="1.6")
    tr.install_package(newer, pdir)
    assert [(p.id, p.version) for p in tr.list_packages(pdir)] == [("az_en", "1.6")]
    assert len(list(pdir.iterdir())) == 1


def _rezip(src: Path, dest: Path, *, drop: str | None = None, flat: bool = False) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            name = info.filename
            if drop and name.endswith(drop):
                continue
            if flat:
                name = name.split("/", 1)[1]
                if not name:
                    continue
            zout.writestr(name, zin.read(info.filename))
    return dest


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("flat", "flat archive"),
        ("no_metadata", "no metadata.json"),
        ("no_model", "missing model/model.bin"),
        ("not_zip", "not a zip archive"),
        ("truncated", "not a zip archive|corrupt"),
        ("bad_json", "not valid JSON"),
    ],
)
def test_bad_package_rejected_and_nothing_installed(built, pdir, tmp_path, kind, message):
    tr.install_package(built["ru_en"], pdir)  # an existing package must survive
    before = sorted(p.name for p in pdir.iterdir())
    bad = tmp_path / f"{kind}.argosmodel"
    src = built["az_en"]
    if kind == "flat":
        _rezip(src, bad, flat=True)
    elif kind == "no_metadata":
        _rezip(src, bad, drop="metadata.json")
    elif kind == "no_model":
        _rezip(src, bad, drop="model.bin")
    elif kind == "not_zip":
        bad.write_text("this is not a package")
    elif kind == "truncated":
        bad.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    elif kind == "bad_json":
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename.endswith("metadata.json"):
                    data = b"{not json"
                zout.writestr(info, data)
    with pytest.raises(tr.PackageError, match=message) as err:
        tr.install_package(bad, pdir)
    assert str(bad) in str(err.value)
    assert sorted(p.name for p in pdir.iterdir()) == before
    assert [p.id for p in tr.list_packages(pdir)] == ["ru_en"]


def test_list_skips_broken_directory(built, pdir):
    tr.install_package(built["az_en"], pdir)
    (pdir / "junk").mkdir()
    (pdir / "junk" / "model.bin").write_bytes(b"x")
    assert [p.id for p in tr.list_packages(pdir)] == ["az_en"]


def test_install_by_code_offline_fails_fast(pdir):
    # The test session blocks the network: the index host cannot even be resolved.
    with pytest.raises(tr.PackageError, match=r"translate-az_en\.argosmodel"):
        tr.install_package("az", pdir)
    assert not pdir.exists() or not any(pdir.iterdir())


def test_install_unknown_source(pdir):
    with pytest.raises(tr.PackageError, match="no such file"):
        tr.install_package("does/not/exist.argosmodel", pdir)


def test_missing_model_hint():
    assert tr.missing_model_hint("az") == "argospm install translate-az_en"


# --------------------------------------------------------------------------- translation


def test_run_translate_statuses_and_cache(built, pdir, tmp_path):
    tr.install_package(built["az_en"], pdir)
    settings = _settings(tmp_path, pdir)
    az = gloss_sentences(AZ_EN, 4, seed=7)
    en = [expected_english(x, AZ_EN) for x in az]
    arts = [
        _article(
            "a1",
            [
                (0, "Washington said on Monday that the talks went well.", "en"),
                (0, az[0] + " " + az[1], "az"),
                (1, "2024 — 15:30", "und"),
                (2, "Какой-то текст на другом языке.", "kk"),
            ],
        ),
        _article("a2", [(0, az[2], "az"), (1, az[0] + " " + az[1], "az")]),
    ]
    res = tr.run_translate(arts, settings)
    assert res.stats.records_in == res.stats.records_out == 2
    f = arts[0].fragments
    assert [x.translation_status for x in f] == ["not_needed", "translated", "und", "no_model"]
    assert f[0].text_en == f[0].text and f[2].text_en == f[2].text
    assert f[1].text_en == en[0] + " " + en[1]
    assert f[1].translation_model == "az_en@1.5"
    assert f[3].text_en is None and f[3].translation_model is None
    assert [x.text_en for x in arts[1].fragments] == [en[2], en[0] + " " + en[1]]
    counts = res.stats.counts
    assert counts["status:az:translated"] == 3
    assert counts["status:en:not_needed"] == 1
    assert counts["missing_model:kk"] == 1
    assert counts["model:az_en@1.5"] == 3
    assert counts["sentences:translated"] == 3  # unique sentences: az[0], az[1], az[2]
    assert arts[0].body_en.split("\n\n") == [
        f[0].text + " " + en[0] + " " + en[1],
        "2024 — 15:30",
        "[untranslated:kk] Какой-то текст на другом языке.",
    ]

    # second run: everything from the persistent cache, same English
    again = [_article("a2", [(0, az[2], "az"), (1, az[0] + " " + az[1], "az")])]
    res2 = tr.run_translate(again, settings)
    assert [x.translation_status for x in again[0].fragments] == ["cached", "cached"]
    assert [x.text_en for x in again[0].fragments] == [en[2], en[0] + " " + en[1]]
    assert res2.stats.counts["sentences:translated"] == 0
    assert res2.stats.counts["sentences:cached"] == 3
    db = tmp_path / "cache" / "translations.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM outputs").fetchone()[0] == 3

    # every decoding option is part of the key: each change translates again
    for change in (
        {"beam_size": 1},
        {"length_penalty": 1.0},
        {"max_decoding_length": 200},
        {"compute_type": "float32"},
    ):
        arts3 = [_article("a3", [(0, az[2], "az")])]
        tr.run_translate(arts3, _settings(tmp_path, pdir, **change))
        assert arts3[0].fragments[0].translation_status == "translated", change
        assert arts3[0].fragments[0].text_en == en[2], change
    tr.clear_model_cache()


def test_batches_in_any_order_give_the_same_english(built, pdir, tmp_path):
    tr.install_package(built["az_en"], pdir)
    pkg = tr.list_packages(pdir)[0]
    texts = gloss_sentences(AZ_EN, 40, seed=11, words=8)
    expected = [expected_english(t, AZ_EN) for t in texts]
    for order, batch_tokens in ((texts, 1024), (list(reversed(texts)), 16)):
        settings = _settings(tmp_path, pdir, max_batch_tokens=batch_tokens)
        outs = tr.translate_texts(pkg, order, settings)
        got = dict(zip(order, (o.text for o in outs), strict=True))
        assert [got[t] for t in texts] == expected
        assert not any(o.truncated for o in outs)
    assert all(
        tr.assess_translation(t, e, "az") is None for t, e in zip(texts, expected, strict=True)
    )


def test_long_input_is_cut_into_pieces(built, pdir, tmp_path):
    """A sentence of over 1,000 tokens (over MAX_SOURCE_TOKENS, Argos' max decoding length and
    CTranslate2's max input length) is translated in pieces that join into the whole English."""
    tr.install_package(built["az_en"], pdir)
    words = sorted(AZ_EN)
    long = " ".join(f"{words[i % len(words)]} {i}" for i in range(300)) + "."
    arts = [_article("long", [(0, long, "az")])]
    res = tr.run_translate(arts, _settings(tmp_path, pdir))
    f = arts[0].fragments[0]
    assert f.translation_status == "translated", dict(res.stats.counts)
    assert f.text_en == expected_english(long, AZ_EN)


def test_pivot(built, pdir, tmp_path):
    tr.install_package(built["uk_ru"], pdir)
    tr.install_package(built["ru_en"], pdir)  # a BPE package as the second hop
    settings = _settings(tmp_path, pdir)
    uk = gloss_sentences(UK_RU, 2, seed=3)
    arts = [_article("p", [(0, uk[0], "uk"), (0, uk[1], "uk")])]
    res = tr.run_translate(arts, settings)
    f = arts[0].fragments
    assert [x.translation_model for x in f] == ["uk_ru@1.0+ru_en@1.9"] * 2
    assert [x.translation_status for x in f] == ["translated"] * 2, dict(res.stats.counts)
    ru = [expected_english(x, UK_RU) for x in uk]
    assert [x.text_en for x in f] == [expected_english(x, RU_EN) for x in ru]
    assert res.stats.counts["model:uk_ru@1.0+ru_en@1.9"] == 2
    tr.clear_model_cache()


def test_suspect_fragment_is_marked_in_body_en(built, pdir, tmp_path):
    tr.install_package(built["tr_en_loop"], pdir)
    tr.install_package(built["az_en"], pdir)
    text = sample_sentences("tr", 1, seed=2)[0]
    az = gloss_sentences(AZ_EN, 1, seed=5)[0]
    arts = [_article("s", [(0, az, "az"), (0, text, "tr"), (1, "Hello.", "en")])]
    tr.run_translate(arts, _settings(tmp_path, pdir))
    f = arts[0].fragments
    assert [x.translation_status for x in f] == ["translated", "suspect", "not_needed"]
    assert f[1].text_en  # the suspect output is kept in fragments
    assert arts[0].body_en == (f"{expected_english(az, AZ_EN)} [suspect:tr] {text}\n\nHello.")
    tr.clear_model_cache()


def test_no_model_and_translate_disabled(built, pdir, tmp_path):
    arts = [_article("n", [(0, "Bir cümlə burada yazılıb və davam edir.", "az"), (0, "Hi.", "en")])]
    res = tr.run_translate(arts, _settings(tmp_path, pdir))
    assert arts[0].fragments[0].translation_status == "no_model"
    assert res.stats.counts["missing_model:az"] == 1
    assert arts[0].body_en == "[untranslated:az] Bir cümlə burada yazılıb və davam edir. Hi."

    tr.install_package(built["az_en"], pdir)
    arts = [_article("n", [(0, "Bir cümlə burada yazılıb.", "az")])]
    res = tr.run_translate(arts, _settings(tmp_path, pdir, translate=False))
    assert arts[0].fragments[0].translation_status == "skipped"
    assert res.stats.counts["status:az:skipped"] == 1
    assert "skipped" in tr.STATUSES


def test_looping_package_is_suspect(built, pdir, tmp_path):
    tr.install_package(built["tr_en_loop"], pdir)
    text = sample_sentences("tr", 1, seed=2)[0]
    arts = [_article("l", [(0, text, "tr")])]
    res = tr.run_translate(arts, _settings(tmp_path, pdir))
    f = arts[0].fragments[0]
    assert f.translation_status == "suspect"
    assert f.text == text and f.text_en  # both texts kept
    assert res.stats.counts["status:tr:suspect"] == 1
    assert res.stats.counts["suspect:no_end"] == 1


def test_broken_installed_model_fails_without_dropping(built, pdir, tmp_path):
    info = tr.install_package(built["az_en"], pdir)
    (info.path / "model" / "model.bin").write_bytes(b"garbage")
    tr.clear_model_cache()
    arts = [_article("b", [(0, "Bir cümlə burada yazılıb.", "az"), (1, "Hello there.", "en")])]
    res = tr.run_translate(arts, _settings(tmp_path, pdir))
    assert [f.translation_status for f in arts[0].fragments] == ["failed", "not_needed"]
    assert res.stats.records_out == 1
    assert any(k.startswith("error:") for k in res.stats.counts)
    assert arts[0].body_en.startswith("[untranslated:az] ")
    tr.clear_model_cache()


@pytest.mark.parametrize(
    ("source", "output", "lang", "reason"),
    [
        ("Bu gün hava yaxşıdır və günəşlidir.", "the the the the the", "az", "loop"),
        ("Bu gün hava yaxşıdır.", "of the of the of the", "az", "loop"),
        ("Bu gün hava yaxşıdır.", "x " * 200, "az", "loop"),
        (
            "Bu.",
            "This is a long long text that goes on and on far beyond the source " * 3,
            "az",
            "too_long",
        ),
        ("Bu gün hava çox yaxşıdır və günəşlidir, hamı çöldədir.", "Ok", "az", "too_short"),
        ("Bu gün hava çox yaxşıdır.", "Bu gün hava çox yaxşıdır.", "az", "unchanged"),
        (
            "Сегодня в Москве прошла встреча министров.",
            "Сегодня в Москве прошла встреча.",
            "ru",
            "source_language",
        ),
        ("Bu gün hava çox yaxşıdır.", "", "az", "empty"),
        ("Bu gün hava çox yaxşıdır.", "The weather is very good today.", "az", None),
        ("NATO", "NATO", "az", None),
    ],
)
def test_assess_translation(source, output, lang, reason):
    assert tr.assess_translation(source, output, lang) == reason


def test_extracted_package_has_argos_layout(built, tmp_path):
    root = extract_to(built["az_en"], tmp_path / "x")
    meta = json.loads((root / "metadata.json").read_text())
    assert meta["from_code"] == "az" and meta["to_code"] == "en"
    for name in ("sentencepiece.model", "model/model.bin", "model/shared_vocabulary.txt"):
        assert (root / name).is_file()
    assert not (root / "model" / "config.json").exists()  # CTranslate2 2.x layout
    assert (root / "stanza").is_dir()
    root = extract_to(built["ru_en"], tmp_path / "y")
    for name in ("bpe.model", "model/model.bin", "model/config.json"):
        assert (root / name).is_file()
    assert (root / "model" / "shared_vocabulary.json").is_file()


def test_argos_batches_follow_ctranslate2_rebatching():
    # longest first; a batch grows while (size + 1) x its longest length <= 32 tokens
    assert tr.argos_batches([10, 12, 30, 5, 40, 16, 16]) == [[4], [2], [5, 6], [1, 0], [3]]
    assert tr.argos_batches([8, 8, 8, 8, 8]) == [[0, 1, 2, 3], [4]]
    assert tr.argos_batches([]) == []


def test_every_piece_is_decoded_once_padded_as_argos_pads_it():
    lengths = [10, 12, 30, 5, 40, 16, 16, 300, 7]
    pieces, owner, first = [], [], []
    for i, n in enumerate(lengths):
        first.append(len(pieces))
        for start in range(0, n, tr.MAX_SOURCE_TOKENS):
            pieces.append(["x"] * min(tr.MAX_SOURCE_TOKENS, n - start))
            owner.append(i)
    calls = tr._plan_calls(pieces, owner, first, [[0, 1, 2, 3], [4, 5, 6, 7, 6]])
    flat = sorted(k for ks in calls for k in ks)
    assert flat == list(range(len(pieces)))
    # the only padded call is Argos' [12, 10] batch; every other call has one length
    mixed = [ks for ks in calls if len({len(pieces[k]) for k in ks}) > 1]
    assert mixed == [[first[1], first[0]]]
