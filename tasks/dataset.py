"""Reading an existing output dataset: its index, carrying its rows over, recovery, settings.

What a run needs to know of the dataset it is about to replace (``tasks/store.py`` writes one):

* ``previous_index`` / ``previous_rejects``: per source path, what its article row / quarantine
  row says (hash, size, mtime, label, first copy), the input of ``tasks.incremental``;
* ``carry_over``: the rows a run keeps, brought into its staging directory (hard links for
  untouched parts);
* ``recover``: repair what a killed run left behind;
* ``config_fingerprint`` / ``previous_fingerprint``: whether the dataset was made under the same
  pipeline version, output-changing settings and translation models (else a run re-processes
  every file);
* ``read_articles`` / ``read_quarantine``: the whole dataset as Arrow tables.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.parquet as pq

from tasks.config import Settings
from tasks.store import ARTICLE_SCHEMA, QUARANTINE_SCHEMA, exact_path, write_table_atomic
from tasks.translate import decoding_options, list_packages


def _read_part(part: Path, columns: list[str] | None = None, present: bool = False) -> pa.Table:
    """One Parquet file (with ``present``: those of ``columns`` it has). ``pq.ParquetFile``,
    not ``pq.read_table``: the latter imports ``pyarrow.dataset``, which imports pandas
    (~0.5-1 s of every incremental run)."""
    file = pq.ParquetFile(part)
    if present and columns is not None:
        columns = [c for c in columns if c in file.schema_arrow.names]
    return file.read(columns=columns)


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in ``schema``: columns an older schema lacks are added as nulls."""
    columns = [
        table.column(f.name) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _read_parts(folder: Path, columns: list[str]) -> list[tuple[Path, pa.Table]]:
    """Every part in ``folder`` (in name order) with those of ``columns`` it has, read by a few
    threads: opening and decoding a part releases the GIL (100 parts: 0.07 s against 0.12 s
    one by one, measured)."""

    def read(part: Path) -> tuple[Path, pa.Table]:
        file = pq.ParquetFile(part)
        names = set(file.schema_arrow.names)
        return part, file.read(columns=[c for c in columns if c in names], use_threads=False)

    files = sorted(folder.glob("*.parquet"))
    if len(files) < 8:
        return [read(part) for part in files]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(read, files))


def _timestamp_us(column: pa.ChunkedArray) -> list[int]:
    """A timestamp[us] column as integers. A view, not ``cast`` (which imports pyarrow.compute:
    ~0.15 s of a re-run) nor ``to_pylist`` (tz-aware datetimes import pandas)."""
    return [v for chunk in column.chunks for v in chunk.view(pa.int64()).to_pylist()]


def _exact_paths(table: pa.Table, column: str = "source_path") -> list:
    """The exact paths of a table's rows: ``column``, or ``column``_bytes where that is set."""
    texts = _column_or_none(table, column)
    raw = f"{column}_bytes"
    if raw not in table.column_names or table.column(raw).null_count == table.num_rows:
        return texts
    return [exact_path(t, b) for t, b in zip(texts, table.column(raw).to_pylist(), strict=True)]


def _column_or_none(table: pa.Table, name: str) -> list:
    if name not in table.column_names:
        return [None] * table.num_rows
    return table.column(name).to_pylist()


class Known(NamedTuple):
    """What the existing dataset says about one source file (``previous_index``)."""

    sha256: str
    article_id: str
    size_bytes: int | None  # None in datasets written before these columns existed
    mtime_ns: int | None
    processed_us: int  # when its row was written (microseconds since the epoch)


# part file name -> the source_path of each of its rows, in order: filled by ``previous_index``
# and ``previous_rejects`` so that ``carry_over`` need not read the parts again
PartPaths = dict[str, list[str]]


def previous_index(out_dir: Path, parts: PartPaths | None = None) -> dict[str, Known]:
    """``source_path -> Known(sha256, article_id, size, mtime, processed)`` of the articles
    already in ``out_dir`` (and, into ``parts``, the paths of each part's rows)."""
    columns = ["source_path", "source_sha256", "article_id", "processed_at"]
    columns += ["source_size_bytes", "source_mtime_ns"]  # absent from datasets before 0.2.0
    columns += ["source_path_bytes"]  # absent before 0.4.0
    index: dict[str, Known] = {}
    for part, table in _read_parts(Path(out_dir) / "articles", columns):
        paths = _exact_paths(table)
        if parts is not None:
            parts[part.name] = paths
        index.update(
            zip(
                paths,
                map(
                    Known,
                    table.column("source_sha256").to_pylist(),
                    table.column("article_id").to_pylist(),
                    _column_or_none(table, "source_size_bytes"),
                    _column_or_none(table, "source_mtime_ns"),
                    _timestamp_us(table.column("processed_at")),
                ),
                strict=True,
            )
        )
    return index


def carry_over(
    out_dir: Path,
    staging: Path,
    drop: set[str],
    dataset: str = "articles",
    only: set[str] | None = None,
    parts: PartPaths | None = None,
) -> int:
    """Bring the previous run's rows of ``dataset`` into staging, except those whose
    ``source_path`` is in ``drop`` (and, with ``only``, except those not in ``only``).

    A part none of whose rows is dropped is hard-linked (no copy, no rewrite); a part with
    dropped rows is rewritten without them. ``parts`` (from ``previous_index`` or
    ``previous_rejects`` of the same dataset) saves reading each part's paths again. Returns
    the number of rows carried over.
    """
    schema = ARTICLE_SCHEMA if dataset == "articles" else QUARANTINE_SCHEMA
    previous = Path(out_dir) / dataset
    target = Path(staging) / dataset
    carried = 0
    for part in sorted(previous.glob("*.parquet")):
        paths = (parts or {}).get(part.name)
        if paths is None:
            paths = _exact_paths(_read_part(part, ["source_path", "source_path_bytes"], True))
        if not paths:
            continue
        if only is None and drop.isdisjoint(paths):
            keep = None  # every row
        else:
            keep = [p not in drop and (only is None or p in only) for p in paths]
            if not any(keep):
                continue
        target.mkdir(parents=True, exist_ok=True)
        # a part keeps its name run after run (the run id in it is unique to the run that
        # wrote it); versions up to 0.2.0 prefixed carried quarantine parts with "carried-"
        # once per run, until the name was too long for the file system: undone here
        name = part.name
        while name.startswith("carried-"):
            name = name.removeprefix("carried-")
        current = pq.read_schema(part).names == schema.names
        if current and (keep is None or all(keep)):
            os.link(part, target / name)
            carried += len(paths)
        else:  # rows dropped, or a part of an older schema: rewritten in the current one
            table = _conform(_read_part(part), schema)
            if keep is not None:
                table = table.filter(pa.array(keep))
            write_table_atomic(table, target / name)
            carried += table.num_rows
    return carried


class Rejected(NamedTuple):
    """What the existing dataset's quarantine says about one source file (``previous_rejects``)."""

    sha256: str
    label: str  # "stage:error_class"
    reason: str
    size_bytes: int | None = None
    mtime_ns: int | None = None  # None in datasets written before 0.3.0
    processed_us: int = 0
    duplicate_of: str | None = None

    @property
    def stage(self) -> str:
        return self.label.split(":", 1)[0]

    @property
    def keyless(self) -> bool:
        """Whether the flow can decide this file from the row alone, without its content key,
        when its size and mtime say it is untouched: a refusal by its bytes (no key at all) or a
        duplicate (its key is its first copy's article id). A clean-stage reject's key is
        needed to find later copies of it: such files are hashed."""
        return self.stage == "ingest" or (self.stage == "dedupe" and bool(self.duplicate_of))


def previous_rejects(out_dir: Path, parts: PartPaths | None = None) -> dict[str, Rejected]:
    """``source_path -> Rejected(sha256, "stage:error_class", reason, ...)`` of the quarantine
    rows in ``out_dir`` that an unchanged file keeps instead of being processed again.

    Clean-stage rejects: their outcome depends on the whole corpus' line counts, so an unchanged
    one keeps its row rather than being cleaned again without them. Ingest rejects whose reason
    lies in the bytes alone (``tasks.ingest.STABLE_REJECTS``: empty, binary, undecodable): the
    same bytes give the same row. Duplicates: kept when the flow finds the same bytes duplicating
    the same first file (``duplicate_of``). Transient ones (vanished, unreadable) are always
    retried. ``parts``: as in ``previous_index``.
    """
    from tasks.ingest import STABLE_REJECTS

    index: dict[str, Rejected] = {}
    columns = ["source_path", "stage", "error_class", "source_sha256", "reason", "size_bytes"]
    columns += ["source_mtime_ns", "duplicate_of", "processed_at"]
    columns += ["source_path_bytes", "duplicate_of_bytes"]
    for part, table in _read_parts(Path(out_dir) / "quarantine", columns):
        paths = _exact_paths(table)
        if parts is not None:
            parts[part.name] = paths
        rows = zip(
            paths,
            table.column("stage").to_pylist(),
            table.column("error_class").to_pylist(),
            table.column("source_sha256").to_pylist(),
            table.column("reason").to_pylist(),
            _column_or_none(table, "size_bytes"),
            _column_or_none(table, "source_mtime_ns"),
            _timestamp_us(table.column("processed_at")),
            _exact_paths(table, "duplicate_of"),
            strict=True,
        )
        for path, stage, cls, sha, reason, size, mtime, processed, first in rows:
            if sha and (
                stage in ("clean", "dedupe") or (stage == "ingest" and cls in STABLE_REJECTS)
            ):
                index[path] = Rejected(sha, f"{stage}:{cls}", reason, size, mtime, processed, first)
    return index


def recover(out_dir: Path) -> list[str]:
    """Repair what a killed run can leave behind; returns what was done.

    - ``articles``/``quarantine`` missing but a ``.trash-*`` copy present (killed between the
      two renames of a commit): the previous dataset is put back.
    - stale ``.staging-*`` directories, ``.trash-*`` copies and ``.*.tmp-*`` files are removed.
    """
    out_dir = Path(out_dir)
    actions: list[str] = []
    if not out_dir.is_dir():
        return actions
    for name in ("articles", "quarantine"):
        final = out_dir / name
        trashes = sorted(out_dir.glob(f".trash-{name}-*"))
        if not final.exists() and trashes:
            os.replace(trashes[-1], final)
            actions.append(f"restored {name}/ from {trashes[-1].name}")
    for leftover in sorted(out_dir.glob(".trash-*")) + sorted(out_dir.glob(".staging-*")):
        shutil.rmtree(leftover, ignore_errors=True)
        actions.append(f"removed {leftover.name}")
    for tmp in out_dir.rglob(".*.tmp-*"):
        tmp.unlink(missing_ok=True)
        actions.append(f"removed {tmp.relative_to(out_dir)}")
    return actions


def read_articles(out_dir: Path) -> pa.Table:
    return pq.read_table(Path(out_dir) / "articles", schema=ARTICLE_SCHEMA)


def read_quarantine(out_dir: Path) -> pa.Table:
    return pq.read_table(Path(out_dir) / "quarantine", schema=QUARANTINE_SCHEMA)


def config_fingerprint(settings: Settings) -> str:
    """What decides an article's row besides its file: pipeline version, the settings that
    change outputs, and the installed translation models. A re-run with another fingerprint
    re-processes every file instead of keeping rows made under the old one."""
    parts = {
        "version": settings.pipeline_version,
        "expected_languages": list(settings.expected_languages),
        "lang_seed": settings.lang_seed,
        "repeated": [settings.repeated_line_min_docs, settings.repeated_line_min_share],
        "max_file_bytes": settings.max_file_bytes,
        "translate": settings.translate,
    }
    if settings.translate:
        parts["translation"] = [
            settings.target_language,
            decoding_options(settings),  # every option that changes the decoder's output
            sorted(p.model_id for p in list_packages(settings.argos_packages_dir)),
        ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def previous_fingerprint(out_dir: Path) -> str | None:
    """The fingerprint recorded by the last run in ``out_dir`` ("" when it has none)."""
    summary = Path(out_dir) / "run_summary.json"
    if not summary.is_file():
        return None
    try:
        return str(json.loads(summary.read_text()).get("config_fingerprint", ""))
    except (OSError, ValueError):
        return ""
