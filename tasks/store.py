"""THE Arrow schema of the output, with a description of every field, and the atomic Parquet writer.

Layout of an output directory::

    OUT_DIR/articles/part-00000.parquet ...   one row per article (ARTICLE_SCHEMA)
    OUT_DIR/quarantine/part-00000.parquet      one row per rejected or duplicate file (QUARANTINE_SCHEMA)
    OUT_DIR/run_summary.json                   counts of the last run

A run writes its parts into ``OUT_DIR/.staging-<run>/`` (each part to a temporary name, then
renamed) and only then swaps the finished directories into place, so readers never see a
partial dataset. Reading an existing dataset (its index, carrying rows over, recovery) is
``tasks/dataset.py``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tasks.records import Article, Quarantined, path_text

# 1: first release; 2 (pipeline 0.2.0): articles source_size_bytes, source_mtime_ns;
# 3 (pipeline 0.3.0): quarantine source_mtime_ns, duplicate_of;
# 4 (pipeline 0.4.0): source_path_bytes (both), duplicate_of_bytes: file names that are not UTF-8
SCHEMA_VERSION = "4"

SOURCE_PATH_DOC = (
    "Path of the raw file, relative to the input directory, '/'-separated. A name that is not "
    "valid UTF-8 shows each such byte as \\xNN (Python's backslashreplace); its exact bytes are "
    "then in source_path_bytes"
)
SOURCE_PATH_BYTES_DOC = (
    "The exact bytes of source_path when the file name is not valid UTF-8; null when "
    "source_path is the exact name"
)

FRAGMENT_TYPE = pa.struct(
    [
        pa.field("index", pa.int32(), nullable=False),
        pa.field("paragraph", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("lang", pa.string(), nullable=False),
        pa.field("lang_score", pa.float32(), nullable=False),
        pa.field("text_en", pa.string()),
        pa.field("translation_status", pa.string(), nullable=False),
        pa.field("translation_model", pa.string()),
    ]
)
REMOVED_TYPE = pa.struct(
    [
        pa.field("line_no", pa.int32(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("rule", pa.string(), nullable=False),
    ]
)

# (name, type, nullable, description): the single source of truth for the columns.
ARTICLE_FIELDS: list[tuple[str, pa.DataType, bool, str]] = [
    (
        "article_id",
        pa.string(),
        False,
        "Stable id: first 16 hex digits of the SHA-256 of the whitespace-folded text",
    ),
    ("source_path", pa.string(), False, SOURCE_PATH_DOC),
    ("source_path_bytes", pa.binary(), True, SOURCE_PATH_BYTES_DOC),
    ("source_sha256", pa.string(), False, "SHA-256 of the raw file's bytes"),
    ("source_size_bytes", pa.int64(), True, "Size of the raw file in bytes when it was read"),
    (
        "source_mtime_ns",
        pa.int64(),
        True,
        "Modification time of the raw file when it was read (ns since the epoch); incremental "
        "runs skip a file whose size and mtime are unchanged without reading it",
    ),
    (
        "source_encoding",
        pa.string(),
        False,
        "How the raw bytes were decoded (utf-8, utf-8-sig, utf-16, cp1251)",
    ),
    (
        "site",
        pa.string(),
        True,
        "Site profile that recognised the page (e.g. trend.az), null if none",
    ),
    ("title", pa.string(), True, "Headline; null when the page does not state one"),
    ("author", pa.string(), True, "Author as written on the page; null when absent"),
    (
        "category",
        pa.string(),
        True,
        "Section/category of the page (e.g. Politics); null when absent",
    ),
    (
        "published_at",
        pa.timestamp("us", tz="UTC"),
        True,
        "Publication instant in UTC, when the page gives a time",
    ),
    (
        "published_utc_offset_minutes",
        pa.int16(),
        True,
        "UTC offset of the page's local time in minutes (+240 for UTC+04:00)",
    ),
    (
        "published_date",
        pa.date32(),
        True,
        "Local publication date (from the page, else the scraper's header line)",
    ),
    ("dateline", pa.string(), True, "Dateline opening the text, e.g. 'BAKU, Azerbaijan, April 22'"),
    ("tags", pa.list_(pa.string()), False, "Tags listed on the page (empty list when none)"),
    (
        "language",
        pa.string(),
        False,
        "Dominant language of the body by characters (ISO 639-1, 'und' if unknown)",
    ),
    (
        "body",
        pa.string(),
        False,
        "Clean text in the original languages; paragraphs separated by a blank line",
    ),
    (
        "body_en",
        pa.string(),
        False,
        "English text: English fragments as they are, others translated; untranslated ones "
        "marked '[untranslated:xx] <source text>', and fragments whose translation is suspect "
        "marked '[suspect:xx] <source text>' (the suspect output is kept in fragments.text_en)",
    ),
    (
        "fragments",
        pa.list_(FRAGMENT_TYPE),
        False,
        "Body fragments (paragraphs, or same-language sentence runs of mixed paragraphs) with language, score, English text, translation status and model",
    ),
    (
        "removed",
        pa.list_(REMOVED_TYPE),
        False,
        "Every line cleaning removed: 1-based line number, text, rule name",
    ),
    (
        "header_text",
        pa.string(),
        True,
        "Text of the scraper's ' date YYYY-MM-DD <text>' line, if any",
    ),
    (
        "header_role",
        pa.string(),
        True,
        "What that header text was: banner, title, lead, byline, noise, none",
    ),
    ("word_count", pa.int32(), False, "Words in body"),
    (
        "processed_at",
        pa.timestamp("us", tz="UTC"),
        False,
        "When the run processed the article (UTC)",
    ),
    ("pipeline_version", pa.string(), False, "Version of the pipeline that produced the row"),
]

QUARANTINE_FIELDS: list[tuple[str, pa.DataType, bool, str]] = [
    ("source_path", pa.string(), False, SOURCE_PATH_DOC),
    ("source_path_bytes", pa.binary(), True, SOURCE_PATH_BYTES_DOC),
    (
        "stage",
        pa.string(),
        False,
        "Stage that set it aside: ingest, dedupe, clean, language, translate",
    ),
    (
        "error_class",
        pa.string(),
        False,
        "Machine-readable class: empty, binary, undecodable, too_large, unreadable, vanished, not_regular, symlink, symlink_outside, symlink_dir, duplicate, no_content, failed",
    ),
    ("reason", pa.string(), False, "Human-readable reason naming the file and the problem"),
    ("size_bytes", pa.int64(), True, "Size of the raw file in bytes, when known"),
    ("source_sha256", pa.string(), True, "SHA-256 of the raw bytes, when read"),
    (
        "source_mtime_ns",
        pa.int64(),
        True,
        "Modification time of the raw file when read (ns since the epoch), when read",
    ),
    (
        "duplicate_of",
        pa.string(),
        True,
        "For a duplicate (error_class duplicate): the file with the same content whose article"
        " row holds it (shown as source_path is)",
    ),
    (
        "duplicate_of_bytes",
        pa.binary(),
        True,
        "The exact bytes of duplicate_of when that name is not valid UTF-8, else null",
    ),
    ("processed_at", pa.timestamp("us", tz="UTC"), False, "When the run saw the file (UTC)"),
    ("pipeline_version", pa.string(), False, "Version of the pipeline"),
]


def _schema(spec: list[tuple[str, pa.DataType, bool, str]], kind: str) -> pa.Schema:
    fields = [
        pa.field(name, typ, nullable=nullable, metadata={"description": doc})
        for name, typ, nullable, doc in spec
    ]
    meta = {
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "field_descriptions": json.dumps({name: doc for name, _, _, doc in spec}),
    }
    return pa.schema(fields, metadata=meta)


ARTICLE_SCHEMA = _schema(ARTICLE_FIELDS, "articles")
QUARANTINE_SCHEMA = _schema(QUARANTINE_FIELDS, "quarantine")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DATE = date(1970, 1, 1)


def _us(value: datetime | None) -> int | None:
    """Microseconds since the epoch. Handing pyarrow integers instead of datetime/date objects
    avoids its one-off ~1.5 s import of pandas for the conversion in every worker process."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: timestamps must be timezone-aware")
    return (value - _EPOCH) // timedelta(microseconds=1)


def _days(value: date | None) -> int | None:
    return None if value is None else (value - _EPOCH_DATE).days


def path_bytes(path: str | None) -> bytes | None:
    """The exact bytes of a name ``path_text`` had to escape, else None."""
    if path is None or path.isascii():
        return None
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return None


def exact_path(text: str | None, raw: bytes | None) -> str | None:
    """The path as the file system names it (``os.fsdecode``), from the two columns."""
    return os.fsdecode(raw) if raw is not None else text


def _text(value: str | None) -> str | None:
    """A reason that may quote a name that is not UTF-8, as valid UTF-8 text."""
    return value if value is None else path_text(value)


def _article_row(a: Article, processed_at: datetime, version: str) -> dict:
    return {
        "article_id": a.article_id,
        "source_path": path_text(a.source_path),
        "source_path_bytes": path_bytes(a.source_path),
        "source_sha256": a.source_sha256,
        "source_size_bytes": a.source_size_bytes,
        "source_mtime_ns": a.source_mtime_ns,
        "source_encoding": a.encoding,
        "site": a.site,
        "title": a.title,
        "author": a.author,
        "category": a.category,
        "published_at": _us(a.published_at),
        "published_utc_offset_minutes": a.published_utc_offset_minutes,
        "published_date": _days(a.published_date),
        "dateline": a.dateline,
        "tags": list(a.tags),
        "language": a.language or "und",
        "body": a.body,
        "body_en": a.body_en if a.body_en is not None else "",
        "fragments": [
            {
                "index": f.index,
                "paragraph": f.paragraph,
                "text": f.text,
                "lang": f.lang,
                "lang_score": f.lang_score,
                "text_en": f.text_en,
                "translation_status": f.translation_status,
                "translation_model": f.translation_model,
            }
            for f in a.fragments
        ],
        "removed": [{"line_no": r.line_no, "text": r.text, "rule": r.rule} for r in a.removed],
        "header_text": a.header_text,
        "header_role": a.header_role,
        "word_count": a.word_count,
        "processed_at": _us(processed_at),
        "pipeline_version": version,
    }


def _quarantine_row(q: Quarantined, processed_at: datetime, version: str) -> dict:
    return {
        "source_path": path_text(q.source_path),
        "source_path_bytes": path_bytes(q.source_path),
        "stage": q.stage,
        "error_class": q.error_class,
        "reason": _text(q.reason),
        "size_bytes": q.size_bytes,
        "source_sha256": q.source_sha256,
        "source_mtime_ns": q.mtime_ns,
        "duplicate_of": _text(q.duplicate_of),
        "duplicate_of_bytes": path_bytes(q.duplicate_of),
        "processed_at": _us(processed_at),
        "pipeline_version": version,
    }


def article_table(articles: Sequence[Article], processed_at: datetime, version: str) -> pa.Table:
    rows = [_article_row(a, processed_at, version) for a in articles]
    return pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)


def quarantine_table(rows: Sequence[Quarantined], processed_at: datetime, version: str) -> pa.Table:
    return pa.Table.from_pylist(
        [_quarantine_row(q, processed_at, version) for q in rows], schema=QUARANTINE_SCHEMA
    )


def write_table_atomic(table: pa.Table, path: Path) -> Path:
    """Write one Parquet file (zstd) to a temporary name in the same directory, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd", compression_level=3, write_statistics=True)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def staging_dir(out_dir: Path, run_id: str) -> Path:
    return Path(out_dir) / f".staging-{run_id}"


def _part_name(staging: Path, part: int) -> str:
    return f"part-{Path(staging).name.removeprefix('.staging-')}-{part:05d}.parquet"


def run_store(
    articles: Sequence[Article],
    quarantined: Sequence[Quarantined],
    staging: Path,
    part: int,
    version: str,
    processed_at: datetime | None = None,
) -> dict[str, int]:
    """Write one batch's articles and quarantine rows as parts of the staged dataset."""
    processed_at = processed_at or datetime.now(UTC)
    written = {"articles": 0, "quarantine": 0}
    name = _part_name(staging, part)
    if articles:
        table = article_table(articles, processed_at, version)
        write_table_atomic(table, Path(staging) / "articles" / name)
        written["articles"] = table.num_rows
    if quarantined:
        table = quarantine_table(quarantined, processed_at, version)
        write_table_atomic(table, Path(staging) / "quarantine" / name)
        written["quarantine"] = table.num_rows
    return written


def commit_staging(staging: Path, out_dir: Path, summary: dict) -> None:
    """Swap the staged ``articles/`` and ``quarantine/`` into ``out_dir`` and write the summary.

    Each directory is replaced by two renames (old out of the way, new in); ``recover`` repairs
    a crash between them, and a crash before them leaves the previous dataset untouched.
    """
    out_dir = Path(out_dir)
    staging = Path(staging)
    for name, schema in (("articles", ARTICLE_SCHEMA), ("quarantine", QUARANTINE_SCHEMA)):
        new = staging / name
        if not new.exists():
            write_table_atomic(schema.empty_table(), new / _part_name(staging, 0))
        final = out_dir / name
        trash = out_dir / f".trash-{name}-{staging.name}"
        if final.exists():
            os.replace(final, trash)
        os.replace(new, final)
        shutil.rmtree(trash, ignore_errors=True)
    tmp = out_dir / ".run_summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, default=str, ensure_ascii=False) + "\n")
    os.replace(tmp, out_dir / "run_summary.json")
    shutil.rmtree(staging, ignore_errors=True)
