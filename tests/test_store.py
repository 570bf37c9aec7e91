"""Store: the one Arrow schema, its field documentation, and atomic staged writes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow.parquet as pq
import pytest

from tasks.dataset import read_articles, read_quarantine
from tasks.records import Article, Fragment, Quarantined, RemovedLine
from tasks.store import (
    ARTICLE_FIELDS,
    ARTICLE_SCHEMA,
    QUARANTINE_SCHEMA,
    commit_staging,
    run_store,
    staging_dir,
)

REQUIRED = """article_id source_path source_sha256 site title author category published_at
published_utc_offset_minutes published_date dateline tags language body body_en fragments removed
word_count processed_at pipeline_version""".split()


def _article(n: int) -> Article:
    return Article(
        article_id=f"{n:016x}",
        source_path=f"a/{n}.txt",
        source_sha256="0" * 64,
        encoding="utf-8",
        site="trend.az",
        title=f"Title {n}",
        published_at=datetime(2025, 4, 22, 16, 20, tzinfo=UTC),
        published_utc_offset_minutes=240,
        published_date=date(2025, 4, 22),
        tags=["x", "y"],
        body="Bakı. Salam dünya.\n\nHello.",
        removed=[RemovedLine(1, "Follow Trend on", "follow_trend")],
        language="az",
        fragments=[
            Fragment(0, 0, "Bakı. Salam dünya.", "az", 0.99, None, "no_model", None),
            Fragment(1, 1, "Hello.", "en", 0.98, "Hello.", "not_needed", None),
        ],
        body_en="[untranslated:az] Bakı. Salam dünya.\n\nHello.",
        word_count=4,
    )


def test_schema_has_every_required_column_documented():
    names = ARTICLE_SCHEMA.names
    assert set(REQUIRED) <= set(names)
    for field in ARTICLE_SCHEMA:
        assert field.metadata[b"description"].decode().strip()
    docs = json.loads(ARTICLE_SCHEMA.metadata[b"field_descriptions"])
    assert set(docs) == {name for name, *_ in ARTICLE_FIELDS}


def test_staged_parts_become_visible_only_on_commit(tmp_path):
    out = tmp_path / "out"
    staging = staging_dir(out, "r1")
    run_store([_article(1), _article(2)], [], staging, 0, "0.1.0")
    run_store(
        [_article(3)],
        [Quarantined("bad.txt", "ingest", "empty", "bad.txt: file is empty", 0)],
        staging,
        1,
        "0.1.0",
    )
    assert not (out / "articles").exists()
    assert not list(staging.rglob(".*tmp*"))
    commit_staging(staging, out, {"balanced": True})
    table = read_articles(out)
    assert table.num_rows == 3
    assert table.schema.equals(ARTICLE_SCHEMA, check_metadata=False)
    row = table.to_pylist()[0]
    assert row["published_at"] == datetime(2025, 4, 22, 16, 20, tzinfo=UTC)
    assert row["fragments"][0]["translation_status"] == "no_model"
    assert row["removed"] == [{"line_no": 1, "text": "Follow Trend on", "rule": "follow_trend"}]
    quarantine = read_quarantine(out)
    assert quarantine.column("error_class").to_pylist() == ["empty"]
    assert json.loads((out / "run_summary.json").read_text()) == {"balanced": True}
    assert not staging.exists()
    meta = pq.read_schema(next((out / "articles").glob("*.parquet")))
    assert b"field_descriptions" in meta.metadata


def test_a_second_commit_replaces_the_dataset_without_leftovers(tmp_path):
    out = tmp_path / "out"
    for run, n in (("r1", 3), ("r2", 1)):
        staging = staging_dir(out, run)
        run_store([_article(i) for i in range(n)], [], staging, 0, "0.1.0")
        commit_staging(staging, out, {})
    assert read_articles(out).num_rows == 1
    assert read_quarantine(out).num_rows == 0  # an empty, typed quarantine table
    assert sorted(p.name for p in out.iterdir()) == ["articles", "quarantine", "run_summary.json"]


def test_schema_rejects_a_wrongly_typed_value(tmp_path):
    bad = _article(1)
    bad.word_count = "many"  # type: ignore[assignment]
    with pytest.raises((TypeError, ValueError)):
        run_store([bad], [], staging_dir(tmp_path, "x"), 0, "0.1.0")


def test_quarantine_schema_documents_its_columns():
    assert all(f.metadata and f.metadata.get(b"description") for f in QUARANTINE_SCHEMA)


def test_every_decoding_option_changes_the_fingerprint(tmp_path):
    """A re-run after changing any decoding option re-translates instead of keeping old rows."""
    from tasks.config import Settings
    from tasks.dataset import config_fingerprint

    base = Settings.load(argos_packages_dir=tmp_path)
    seen = {config_fingerprint(base)}
    for change in (
        {"beam_size": 2},
        {"length_penalty": 1.0},
        {"max_decoding_length": 64},
        {"compute_type": "int8"},
    ):
        seen.add(config_fingerprint(Settings.load(argos_packages_dir=tmp_path, **change)))
    assert len(seen) == 5
