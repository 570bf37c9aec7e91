"""The two passes over the input, as the flow submits them: scan (then, on a re-run that cleans
anything, a line count over every unique file) and process. The decisions between them are
``tasks.incremental``'s; the batch tasks are ``tasks/batch.py``'s.
"""

from __future__ import annotations

import dataclasses
import uuid
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flows.orchestration import on_threads, opaque, stream, worker_processes
from tasks.batch import process_batch, scan_batch
from tasks.clean import LineCounts
from tasks.config import Settings
from tasks.incremental import DUPLICATE, Plan, Planner, in_path_order
from tasks.ingest import Discovered
from tasks.pipeline import MIN_BATCH, LineCounter, line_keys_of, plan, repeated_only
from tasks.report import Totals
from tasks.store import staging_dir

ProgressListener = Callable[[str, int, int], None]
_progress_listener: ProgressListener | None = None


def set_progress_listener(listener: ProgressListener | None) -> None:
    """The CLI registers a callback ``(phase, done, total)`` to draw its progress bar."""
    global _progress_listener
    _progress_listener = listener


def _progress(phase: str, done: int, total: int) -> None:
    if _progress_listener is not None:
        _progress_listener(phase, done, total)


@dataclass(slots=True)
class Run:
    """What every pass of this run shares."""

    settings: Settings
    work_settings: Settings  # translation threads shared out among the worker processes
    processes: int
    scan_batches: list[list[Discovered]]
    staging: Path
    count_now: bool  # nothing to reuse: count lines in the scan itself

    @property
    def spill_dir(self) -> Path:
        """A first run keeps the scan's reads, compressed, for pass 2 (deleted as used)."""
        return self.staging / ".spill"

    @classmethod
    def start(cls, settings: Settings, paths: list[Discovered], before, logger) -> Run:
        processes = worker_processes(settings, len(paths))
        scan_batches = plan(paths, settings, processes)
        logger.info(
            "%d files in %d batches under %s; %d articles already in %s; %d worker process(es)",
            len(paths),
            len(scan_batches),
            settings.raw_dir,
            len(before.previous),
            settings.out_dir,
            processes,
        )
        work_settings = settings
        if processes > 1:
            threads = max(1, settings.inter_threads // processes)
            work_settings = dataclasses.replace(settings, inter_threads=threads)
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        staging = staging_dir(settings.out_dir, run_id)
        return cls(settings, work_settings, processes, scan_batches, staging, not before.previous)


@dataclass(slots=True)
class Scan:
    """Pass 1's outcome: the decisions, the line counts and the site of every scanned file."""

    planner: Planner
    # lossy counting keeps memory flat: lines rarer than 1/30 of the boilerplate share go
    lines: LineCounter
    seconds: float = 0.0
    # per scan batch, the site each file was recognised as, packed (8 bytes of sha256 and a
    # small int per file): pass 2 of a first run has the same batches and skips detection
    site_hints: list[tuple[bytes, array]] = field(default_factory=list)


def scan_pass(run: Run, paths: list[Discovered], before, pool) -> Scan:
    """Pass 1, then every file decided in path order (``tasks.incremental``)."""
    settings = run.settings
    scan = Scan(
        Planner(before.previous, before.rejected),
        LineCounter(epsilon=settings.repeated_line_min_share / 30),
    )
    reports = _scanned_in_order(run, scan, before, [d for d in paths if not d.unchanged], pool)
    for seen in in_path_order(paths, reports, before.previous, before.rejected):
        decision = scan.planner.take(seen.item.rel_path, seen.sha, seen.key)
        report = seen.report
        first_copy = decision != DUPLICATE and seen.key is not None
        if first_copy and report is not None and report.line_keys is not None:
            scan.lines.add_doc(report.site, line_keys_of(report))
    return scan


def _scanned_in_order(run: Run, scan: Scan, before, changed, pool) -> Iterator:
    """The scan's reports in path order, batch after batch, with each batch's bookkeeping.

    A re-run scans only the files discovery could not vouch for (changed, new, refused or
    duplicate ones), in ten times larger batches, one at a time: hashing a few files each,
    threads would only fight over the GIL, and it is not worth starting the workers for.
    """
    count_now, settings = run.count_now, run.settings
    bigger = dataclasses.replace(settings, batch_size=10 * settings.batch_size)
    batches = run.scan_batches if count_now else plan(changed, bigger)

    def submit(item: tuple[int, list[Discovered]]):
        index, batch = item
        known = None
        if not count_now:  # threads share the index; another runner ships the batch's part
            known = before.previous
            if not on_threads():
                known = {d.rel_path: known[d.rel_path] for d in batch if d.rel_path in known}
        spill = run.spill_dir / f"{index:05d}.pkl" if count_now else None
        workers = pool if count_now else None
        args = (opaque(batch), settings.raw_dir, settings, opaque(known), count_now, None)
        return scan_batch.submit(*args, workers, index, spill)

    window = 2 * run.processes if count_now else 1
    for done, result in enumerate(stream(submit, list(enumerate(batches)), window), 1):
        scan.seconds += result.stats.seconds
        if count_now:
            shas, sites = bytearray(), array("h")
            for doc in result.items:
                if doc.site_index is not None:
                    shas += bytes.fromhex(doc.sha[:16])
                    sites.append(doc.site_index)
            scan.site_hints.append((bytes(shas), sites))
        yield from sorted(result.items, key=lambda d: d.path)
        scan.lines.end_batch()
        _progress("scan", done, len(batches))


def repeated_lines(run: Run, scan: Scan, decided: Plan, pool) -> LineCounts:
    """The line counts the cleaning needs. A re-run that cleans anything counts every unique
    file (unchanged ones too), so the files processed now are cleaned exactly as in a full run."""
    settings, lines = run.settings, scan.lines
    if decided.to_clean and not run.count_now:
        seen: set[str] = set()

        def submit(item: tuple[int, list[Discovered]]):
            index, batch = item
            dups = {
                p: decided.duplicates[p] for d in batch if (p := d.rel_path) in decided.duplicates
            }
            args = (opaque(batch), settings.raw_dir, settings, None, True, opaque(dups))
            return scan_batch.submit(*args, pool, index)

        batches = list(enumerate(run.scan_batches))
        for done, result in enumerate(stream(submit, batches, 2 * run.processes), 1):
            for doc in result.items:
                if doc.line_keys is not None and doc.key not in seen:
                    seen.add(doc.key)
                    lines.add_doc(doc.site, line_keys_of(doc))
            lines.end_batch()
            _progress("count", done, len(batches))
    repeated = repeated_only(lines.counts, settings)
    lines.counts = LineCounts()  # the full counts are no longer needed
    return repeated


def process_pass(run: Run, scan: Scan, decided: Plan, repeated: LineCounts, pool) -> Totals:
    """Pass 2: process and store what changed, batch by batch in the worker processes."""
    batches = plan(decided.todo, run.settings, run.processes)
    same_batches = run.count_now and [len(b) for b in batches] == [len(b) for b in run.scan_batches]
    # a few files to clean (an incremental run) are done sooner than workers start
    work_pool = pool if len(decided.to_clean) > MIN_BATCH else None
    duplicates = decided.duplicates

    def submit(item: tuple[int, list[Discovered]]):
        part, batch = item
        dups = {p: duplicates[p] for d in batch if (p := d.rel_path) in duplicates}
        hints = spill = None
        if same_batches and batch[0] is run.scan_batches[part][0]:
            shas, sites = scan.site_hints[part]
            hints = {shas[i * 8 : i * 8 + 8].hex(): s for i, s in enumerate(sites)}
            spill = run.spill_dir / f"{part:05d}.pkl"
        args = (opaque(batch), run.settings.raw_dir, run.work_settings, opaque(dups))
        args += (opaque(repeated), run.staging, part, work_pool, opaque(hints), spill)
        return process_batch.submit(*args)

    totals = Totals(batches=len(batches))
    for done, report in enumerate(stream(submit, list(enumerate(batches)), 2 * run.processes), 1):
        totals.add(report)
        _progress("process", done, len(batches))
    return totals
