"""End to end: the real Prefect flow against a real local server, output read back with
pandas, polars and DuckDB; the CLI as a user runs it; exact accounting on a bad-input corpus."""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest

from tests.conftest import RAW, REPO, SEED_000

SAMPLE_FILES = sorted(p.name for p in RAW.iterdir() if p.suffix == ".txt")


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No Argos packages installed, a private translation cache."""
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos-packages"))
    monkeypatch.setenv("ARTICLES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_sample_corpus_end_to_end(prefect_api, isolated):
    from flows.process_articles import process_articles

    out = isolated / "out"
    summary = process_articles(raw_dir=str(RAW), out_dir=str(out))

    assert summary["balanced"], summary["accounting"]
    assert summary["files_found"] == len(SAMPLE_FILES)
    assert summary["articles_written"] == len(SAMPLE_FILES)
    assert summary["quarantined"] == 0 and summary["duplicates"] == 0
    assert summary["lines_removed"] > 0 and summary["lines_removed_by_rule"]
    # no Argos package installed: every non-English fragment is no_model, with the fix named
    assert summary["translation_status"].get("no_model", 0) > 0
    assert "argospm install translate-az_en" in summary["missing_models"]["az"]
    assert "argospm install translate-ru_en" in summary["missing_models"]["ru"]

    articles = out / "articles"
    df = pd.read_parquet(articles)
    pl_df = pl.read_parquet(articles / "*.parquet")
    con = duckdb.connect()
    n_duck = con.execute(f"select count(*) from read_parquet('{articles}/*.parquet')").fetchone()[0]
    assert len(df) == pl_df.height == n_duck == len(SAMPLE_FILES)
    assert str(df["published_at"].dtype) == "datetime64[us, UTC]"
    assert pl_df.schema["published_date"] == pl.Date
    assert pl_df.schema["fragments"].inner.fields[0].name == "index"

    seed = df.set_index("source_path").loc[SEED_000.name]
    assert seed["title"] == (
        "Azerbaijan-China interests form wide base for enhancing mutual co-op - political analyst"
    )
    assert seed["author"] == "Ali Gasimov"
    assert seed["category"] == "Politics"
    assert seed["published_at"] == pd.Timestamp(datetime(2025, 4, 22, 16, 20, tzinfo=UTC))
    assert seed["published_utc_offset_minutes"] == 240
    assert seed["published_date"] == date(2025, 4, 22)
    assert seed["body"].startswith("BAKU, Azerbaijan, April 22.")
    assert "Xarı bülbül" not in seed["body"]
    assert any("Xarı bülbül" in r["text"] for r in seed["removed"])
    assert seed["language"] == "en"
    assert all(f["translation_status"] == "not_needed" for f in seed["fragments"])
    assert seed["body_en"] == seed["body"]

    by_path = {r["source_path"]: r for r in pl_df.to_dicts()}
    assert by_path["001_79f51291709821a0.txt"]["title"] is None
    assert by_path["002_trend_az_energetika.txt"]["language"] == "az"
    assert by_path["003_day_az_ru_ekonomika.txt"]["language"] == "ru"
    assert by_path["005_azertac_ru_cp1251.txt"]["source_encoding"] == "cp1251"
    assert by_path["005_azertac_ru_cp1251.txt"]["language"] == "ru"
    mixed = by_path["004_report_az_en_mixed.txt"]
    assert mixed["language"] == "en"
    langs = {f["lang"] for f in mixed["fragments"]}
    assert {"en", "az"} <= langs, mixed["fragments"]
    az_frag = next(f for f in mixed["fragments"] if f["lang"] == "az")
    assert az_frag["translation_status"] == "no_model" and az_frag["text_en"] is None
    assert "[untranslated:az]" in mixed["body_en"]

    # DuckDB reads the nested columns too
    rules = con.execute(
        f"select r.rule, count(*) from read_parquet('{articles}/*.parquet'), "
        "unnest(removed) as t(r) group by 1"
    ).fetchall()
    assert dict(rules) and all(isinstance(k, str) for k, _ in rules)
    stored = json.loads((out / "run_summary.json").read_text())
    assert stored["accounting"] == summary["accounting"]


def _bad_corpus(root: Path, outside: Path) -> dict[str, str]:
    """Write one file of every kind of bad input; return path -> expected outcome."""
    root.mkdir()
    outside.mkdir()
    seed = SEED_000.read_bytes()
    files = {
        "good/seed.txt": seed,
        "good/copy_of_seed": seed.replace(b"\n", b"\r\n"),  # same article, CRLF, no extension
        "good/utf16.txt": codecs.BOM_UTF16_LE
        + SEED_000.read_text().replace("April 22", "April 23").encode("utf-16-le"),
        "good/bad_date.txt": b" date 2025-13-45 Some banner\nBAKU, Azerbaijan, May 5. The ministry said the talks went well and will continue next week.\n",
        "good/lone_cr.txt": b"BAKU, Azerbaijan, May 6. First paragraph of the story here.\rSecond paragraph of the story here.\r",
        "bad/empty.txt": b"",
        "bad/blank.txt": b"   \n\n\t  \r\n",
        "bad/nul.txt": b"\x00\x01\x02\x03" * 500,
        "bad/image.txt": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4,
        "bad/latin_garbage.txt": bytes(range(128, 256)) * 8,
        "bad/huge.txt": b"A" * 70_000,  # over ARTICLES_MAX_FILE_BYTES set below
        "bad/all_boilerplate.txt": b"Follow Trend on\nRead more\nTags:\nLatest\n",
        "ignored.json": b"{}",
    }
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    (outside / "secret.txt").write_text("not yours")
    os.symlink(outside / "secret.txt", root / "bad" / "link_out.txt")
    os.symlink(root, root / "good" / "loop")
    return {
        "good/seed.txt": "dedupe:duplicate",  # same content as copy_of_seed, which sorts first
        "good/copy_of_seed": "article",
        "good/utf16.txt": "article",
        "good/bad_date.txt": "article",
        "good/lone_cr.txt": "article",
        "bad/empty.txt": "ingest:empty",
        "bad/blank.txt": "ingest:empty",
        "bad/nul.txt": "ingest:binary",
        "bad/image.txt": "ingest:binary",
        "bad/latin_garbage.txt": "ingest:undecodable",
        "bad/huge.txt": "ingest:too_large",
        "bad/all_boilerplate.txt": "clean:no_content",
        "bad/link_out.txt": "ingest:symlink_outside",
        "good/loop": "ingest:symlink_dir",
    }


def test_bad_input_corpus_reconciles_exactly(prefect_api, isolated, monkeypatch):
    from flows.process_articles import process_articles
    from tasks.dataset import read_articles, read_quarantine

    monkeypatch.setenv("ARTICLES_MAX_FILE_BYTES", "65536")
    raw = isolated / "raw"
    expected = _bad_corpus(raw, isolated / "outside")
    out = isolated / "out"
    summary = process_articles(raw_dir=str(raw), out_dir=str(out), batch_size=3)

    articles = read_articles(out).to_pylist()
    quarantine = read_quarantine(out).to_pylist()
    outcome = {a["source_path"]: "article" for a in articles}
    outcome |= {q["source_path"]: f"{q['stage']}:{q['error_class']}" for q in quarantine}
    assert outcome == expected
    assert summary["balanced"]
    assert summary["files_found"] == len(expected)
    assert summary["articles_written"] == 4
    assert summary["duplicates"] == 1
    assert summary["quarantined"] == len(expected) - 5
    for q in quarantine:
        assert q["source_path"] in q["reason"], q
    by_path = {a["source_path"]: a for a in articles}
    assert by_path["good/utf16.txt"]["source_encoding"] == "utf-16"
    assert by_path["good/bad_date.txt"]["published_date"] is None
    assert "\r" not in by_path["good/lone_cr.txt"]["body"]

    # a re-run of the unchanged corpus: nothing cleaned again, the same outcome for every file
    again = process_articles(raw_dir=str(raw), out_dir=str(out), batch_size=3)
    assert again["balanced"], again["accounting"]
    assert again["articles_written"] == 0 and again["unchanged"] == 4
    assert again["stage_counts"]["clean"].get("lines:in", 0) == 0
    outcome_again = {a["source_path"]: "article" for a in read_articles(out).to_pylist()}
    outcome_again |= {
        q["source_path"]: f"{q['stage']}:{q['error_class']}"
        for q in read_quarantine(out).to_pylist()
    }
    assert outcome_again == expected


def test_cli_run_prints_summary_and_is_recorded_with_artifacts(prefect_api, tmp_path):
    """The CLI's run is in the session's server (the in-process client below talks to it too:
    ``prefect_api``), under a name no other run has."""
    prefect_server = prefect_api
    env = dict(os.environ)
    env.update(
        PREFECT_API_URL=prefect_server,
        ARGOS_PACKAGES_DIR=str(tmp_path / "argos"),
        ARTICLES_CACHE_DIR=str(tmp_path / "cache"),
    )
    dump = f"dump-{uuid.uuid4().hex[:8]}"
    raw = tmp_path / dump
    shutil.copytree(RAW, raw)
    out = tmp_path / "out"
    articles_exe = Path(sys.executable).parent / "articles"
    proc = subprocess.run(
        [str(articles_exe), "run", str(raw), "--out", str(out), "--json", "-q"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["balanced"] and summary["articles_written"] == len(SAMPLE_FILES)
    assert (out / "articles").is_dir()

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=dump))
        )
        assert len(runs) == 1, "the CLI's flow run is not in the API"
        run = runs[0]
        assert run.state.is_completed()
        assert run.name == f"articles {dump} -> out ({len(SAMPLE_FILES)} files)"
        artifacts = client.read_artifacts()
        keys = {a.key for a in artifacts if a.flow_run_id == run.id}
        assert {"run-report", "articles-by-language"} <= keys


def test_cli_fails_clearly_on_a_missing_directory(tmp_path):
    from flows.cli import main

    assert main(["run", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2


def test_models_cli_then_flow_translates_and_caches(prefect_api, isolated, capsys):
    """An Argos package installed with `articles models install` is used by the flow
    (installing it makes the next incremental run re-process the files); a re-run answers from
    the translation cache. The package is the glossary transformer, so the English is known."""
    from flows.cli import main
    from flows.process_articles import process_articles
    from tests.argos_glossary import AZ_EN, build_glossary_package, expected_english

    raw = isolated / "raw"
    raw.mkdir()
    paragraphs = [
        "Bakı şəhərində yeni park açılıb.",
        "Prezident bu gün nazir və hökumət görüş keçirib.",
    ]
    (raw / "az.txt").write_text(
        "The latest news from Baku for our readers\n\n" + "\n\n".join(paragraphs) + "\n"
    )
    out = isolated / "out"
    before = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert before["translation_status"].get("translated", 0) == 0
    assert "az" in before["missing_models"]

    package = build_glossary_package(isolated / "built", "az", "en", version="1.5")
    assert main(["models", "install", str(package)]) == 0
    assert main(["models", "list"]) == 0
    assert "az_en" in capsys.readouterr().out

    first = process_articles(raw_dir=str(raw), out_dir=str(out))  # not --full: models changed
    assert first["balanced"] and first["unchanged"] == 0
    assert first["translation_status"]["translated"] == 2
    assert "az" not in first["missing_models"]
    df = pl.read_parquet(out / "articles" / "*.parquet")
    az = df.row(0, named=True)
    az_frags = [f for f in az["fragments"] if f["lang"] == "az"]
    assert [f["text"] for f in az_frags] == paragraphs
    assert all(f["translation_model"] == "az_en@1.5" for f in az_frags)
    assert all(f["translation_status"] == "translated" for f in az_frags)
    assert [f["text_en"] for f in az_frags] == [expected_english(t, AZ_EN) for t in paragraphs]
    assert (
        az["body_en"]
        == "Baku city new park opened.\n\nPresident this day minister and government meeting held."
    )

    # --full re-processes everything: every az sentence now comes from the cache
    second = process_articles(raw_dir=str(raw), out_dir=str(out), full=True)
    assert second["translation_status"].get("translated", 0) == 0
    assert second["translation_status"]["cached"] == 2
    again = pl.read_parquet(out / "articles" / "*.parquet")
    assert again["body_en"].to_list() == df["body_en"].to_list()
