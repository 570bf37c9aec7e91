"""One batch through the stages, in one process: what a worker process runs (no Prefect).

``scan_files`` is pass 1 of a run (read, hash, and the per-site line keys for repeated-line
detection); ``process_files`` is pass 2 (ingest -> clean -> language -> translate -> store).
Both take file paths and return small reports: the documents stay inside the process that
made them (see ``tasks.workers``). Every stage is still its own pure function in its own
module; this module only chains them and sums their counts. Their Prefect tasks are in
``tasks/batch.py``.
"""

from __future__ import annotations

import math
import os
import pickle
import time
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from tasks.checkpoints import checkpoint
from tasks.clean import (
    LineCounts,
    _doc_line_hashes,
    _site_key,
    detect_site,
    load_profiles,
    run_clean,
    site_index,
)
from tasks.config import Settings
from tasks.ingest import Discovered, assemble_ingest, read_all, run_fingerprint, run_ingest
from tasks.language import _engine, run_language
from tasks.records import KEY_CHARS, Fingerprint, Quarantined, StageStats
from tasks.store import run_store
from tasks.translate import run_translate

PROCESS_STAGES = ("ingest", "clean", "language", "translate", "store")


def warm_up(lang_seed: int) -> None:
    """Load what every batch needs once per process: site profiles and the language engine."""
    load_profiles()
    _engine(lang_seed)


@dataclass(slots=True)
class Scanned:
    """Pass 1's view of one readable file."""

    path: str
    sha: str
    # content key prefix (KEY_CHARS), or the article id of an unchanged file's row; None for a
    # file the ingest stage refuses
    key: str | None
    site: str | None = None  # with line keys: the site profile the file was counted under
    # 64-bit hashes of its normalised lines (cc_net), packed as unsigned 64-bit integers: one
    # object to pickle and keep instead of one per line (``line_keys_of`` unpacks them)
    line_keys: bytes | None = None
    site_index: int | None = None  # ``tasks.clean.site_index`` of ``site``, a hint for pass 2


class ScanReport:
    """Pass 1's result for one batch.

    A plain class, not a dataclass, on purpose: Prefect links every object it finds inside a
    task's result to the task run's state (``FlowRunContext.run_results``) and keeps the links
    until the flow ends; it walks dataclasses and lists but not plain objects. As a dataclass
    this report left ~2 links per file in the flow process (14 MB at 100k files, measured
    with tracemalloc).
    """

    __slots__ = ("items", "stats")

    def __init__(self, items: list[Scanned], stats: StageStats) -> None:
        self.items = items
        self.stats = stats


def line_keys_of(doc: Scanned) -> array:
    """The line hashes packed in ``doc.line_keys``."""
    keys = array("Q")
    keys.frombytes(doc.line_keys or b"")
    return keys


def _with_line_keys(items: list, count: bool) -> list[Scanned]:
    out = []
    for doc in items:
        if isinstance(doc, Fingerprint):
            out.append(Scanned(doc.source_path, doc.source_sha256, doc.key))
            continue
        site = line_keys = index = None
        if count and doc.duplicate_of is None:
            profile = detect_site(doc.text)
            site, index = _site_key(profile, doc.text), site_index(profile)
            line_keys = array("Q", _doc_line_hashes(doc.text)).tobytes()
        out.append(
            Scanned(
                doc.source_path,
                doc.source_sha256,
                doc.content_key[:KEY_CHARS],
                site,
                line_keys,
                index,
            )
        )
    return out


def scan_files(
    paths: list[Discovered],
    raw_dir: Path,
    settings: Settings,
    known: dict | None = None,
    count: bool = True,
    duplicates: dict[str, str] | None = None,
    spill: Path | None = None,
) -> ScanReport:
    """Pass 1 over a batch of files.

    With ``known`` (a re-run: path -> ``tasks.dataset.Known`` of the existing rows) files with a
    row are only hashed (those ``discover`` found untouched by their stat are not given). Otherwise every file is read and, with ``count``, the
    keys of its lines are returned for the corpus-wide repeated-line counts. ``duplicates``
    (path -> first path) leaves known copies out. Unreadable files are left out: pass 2
    quarantines them with their reason. With ``spill``, what was read is also written there
    (zstd-compressed pickle) for pass 2 to use instead of reading and decoding every file again.
    """
    checkpoint("scan")  # a test hook (tasks/checkpoints.py)
    if known is not None:
        result = run_fingerprint(paths, raw_dir, settings, known)
    else:
        started = time.perf_counter()
        loaded = read_all(paths, raw_dir, settings)
        if spill is not None:
            write_spill(spill, loaded)
        result = assemble_ingest(paths, loaded, duplicates, started)
        result.stats.stage = "scan"
    started = time.perf_counter()
    items = _with_line_keys(result.items, count and known is None)
    result.stats.seconds += time.perf_counter() - started
    return ScanReport(items, result.stats)


def write_spill(path: Path, loaded: list) -> None:
    """Keep a batch's reads (``tasks.ingest.read_all``) on disk for pass 2 of the same run."""
    raw = pickle.dumps(loaded, protocol=5)
    data = pa.compress(raw, codec="zstd", asbytes=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(len(raw).to_bytes(8, "big") + data)
    os.replace(tmp, path)


def read_spill(path: Path, paths: list[Discovered]) -> list | None:
    """The reads ``write_spill`` kept for exactly ``paths`` (then deleted), else None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    size = int.from_bytes(raw[:8], "big")
    loaded = pickle.loads(
        pa.decompress(raw[8:], decompressed_size=size, codec="zstd", asbytes=True)
    )
    path.unlink(missing_ok=True)
    if len(loaded) != len(paths) or any(
        r is not None and r.source_path != p.rel_path for r, p in zip(loaded, paths, strict=True)
    ):
        return None
    return loaded


def plan(paths: list[Discovered], settings: Settings, processes: int = 1) -> list[list[Discovered]]:
    """Split the files into batches of ``batch_size`` (more per batch past ``max_batches``).

    A small corpus is cut into at least two batches per worker process (of at least
    ``MIN_BATCH`` files), so every process has work.
    """
    if not paths:
        return []
    size = min(settings.batch_size, max(MIN_BATCH, math.ceil(len(paths) / (2 * processes))))
    size = max(size, math.ceil(len(paths) / settings.max_batches))
    return [paths[i : i + size] for i in range(0, len(paths), size)]


MIN_BATCH = 100  # files; below this a batch costs more in task overhead than it saves


class LineCounter:
    """Counts, per site, the documents holding each line key, as scan reports come in.

    Lossy counting (``LineCounts.prune``) keeps memory flat on large corpora.
    """

    def __init__(self, epsilon: float) -> None:
        self.counts = LineCounts()
        self.epsilon = epsilon
        self.pruned = 0
        self._since_prune = 0

    def add_doc(self, site: str, keys: Iterable[int]) -> None:
        self.counts.docs[site] += 1
        lines = self.counts.lines.get(site)
        if lines is None:
            lines = self.counts.lines[site] = Counter()
        lines.update(keys)
        self._since_prune += 1

    def end_batch(self) -> None:
        if self._since_prune:
            self.pruned += self.counts.prune(self.epsilon)
            self._since_prune = 0


def repeated_only(counts: LineCounts, settings: Settings) -> LineCounts:
    """The part of ``counts`` that can make a line "repeated" (``tasks.clean.is_repeated``).

    Lines below the thresholds answer "not repeated" whether they are counted or not, so the
    cleaning of every batch sees the same answers from this much smaller object.
    """
    min_docs = max(settings.repeated_line_min_docs, 1)
    out = LineCounts(docs=Counter(counts.docs))
    for site, lines in counts.lines.items():
        total = counts.docs.get(site, 0)
        if total <= 0:
            continue
        kept = Counter(
            {
                k: c
                for k, c in lines.items()
                if c >= min_docs and c / total >= settings.repeated_line_min_share
            }
        )
        if kept:
            out.lines[site] = kept
    return out


@dataclass(slots=True)
class BatchReport:
    """What pass 2 did with one batch: per-stage stats, rows written, outcome counts."""

    stats: dict[str, StageStats]
    written: Counter[str] = field(default_factory=Counter)
    quarantine_counts: Counter[str] = field(default_factory=Counter)
    per_language: dict[str, Counter[str]] = field(default_factory=dict)


def process_files(
    paths: list[Discovered],
    raw_dir: Path,
    settings: Settings,
    duplicates: dict[str, str],
    line_counts: LineCounts,
    staging: Path,
    part: int,
    site_hints: dict[str, int] | None = None,
    spill: Path | None = None,
) -> BatchReport:
    """Pass 2 over a batch: ingest -> clean -> language -> translate -> store (part ``part``).

    ``site_hints``: the scan pass' site per file (see ``tasks.clean.run_clean``); ``spill``: the
    scan pass' reads of this same batch (``scan_files``), used instead of reading again when
    they are there and match ``paths``."""
    checkpoint("process")
    started = time.perf_counter()
    loaded = read_spill(spill, paths) if spill is not None else None
    if loaded is None:
        ingested = run_ingest(paths, raw_dir, settings, duplicates)
    else:
        ingested = assemble_ingest(paths, loaded, duplicates, started)
        ingested.stats.counts["spill:reused"] += 1
    cleaned = run_clean(ingested.items, line_counts, settings, site_hints)
    del ingested.items[:]
    languaged = run_language(cleaned.items, settings)
    checkpoint("translate")
    translated = run_translate(languaged.items, settings)
    rejected: list[Quarantined] = [
        *ingested.quarantined,
        *cleaned.quarantined,
        *languaged.quarantined,
        *translated.quarantined,
    ]
    report = BatchReport(
        stats={r.stats.stage: r.stats for r in (ingested, cleaned, languaged, translated)}
    )
    for q in rejected:
        report.quarantine_counts[f"{q.stage}:{q.error_class}"] += 1
    articles = translated.items
    for a in articles:
        lang_counts = report.per_language.setdefault(a.language or "und", Counter())
        lang_counts["articles"] += 1
        for frag in a.fragments:
            frag_counts = report.per_language.setdefault(frag.lang, Counter())
            frag_counts["fragments"] += 1
            frag_counts[f"status:{frag.translation_status}"] += 1
    started = time.perf_counter()
    written = run_store(articles, rejected, staging, part, settings.pipeline_version)
    store = StageStats(
        "store",
        records_in=len(articles) + len(rejected),
        records_out=written["articles"] + written["quarantine"],
        counts=Counter({f"rows:{k}": v for k, v in written.items()}),
        seconds=time.perf_counter() - started,
    )
    report.stats["store"] = store
    report.written.update(written)
    return report
