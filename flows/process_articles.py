"""The Prefect flow ``process-articles``: plan batches -> ingest -> clean -> language -> translate -> store.

The flow only composes the batch tasks of ``tasks/*``. It works in two passes over the input:

1. scan (task ``scan-batch``): every batch is read and hashed and the keys of its lines are
   counted per site (for repeated-line detection); only content keys and lossy line counts are
   kept, so memory does not grow with the corpus.
2. process (task ``process-batch``): each batch goes through ingest -> clean -> language ->
   translate -> store, and only a report comes back. On a first run the batches are those of
   the scan, which kept its reads (zstd, in the staging directory) and its site detection for
   them, so no file is read or recognised twice.

The batch tasks run on the thread runner and hand their batch to one of ``Settings.processes``
worker processes (``tasks.workers``): the stages are CPU-bound Python, so this is what uses
more than one core. At most two batches per worker are in flight. Arguments are wrapped in
``quote()`` (``_opaque``): otherwise Prefect walks every nested object of every argument
looking for futures (measured: 0.7 s per task for 500 articles, 0.02 s quoted).

Every discovered file ends as an article row, a duplicate row or a quarantine row; the run
summary reconciles the three against the number of files found.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import time
import uuid
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from flows import signals
from tasks.batch import process_batch, scan_batch
from tasks.checkpoints import checkpoint
from tasks.clean import LineCounts
from tasks.config import Settings
from tasks.ingest import Discovered, discover, duplicate_reason
from tasks.pipeline import PROCESS_STAGES, Scanned, line_keys_of, repeated_only
from tasks.records import StageStats
from tasks.runlock import run_lock
from tasks.store import (
    PartPaths,
    carry_over,
    commit_staging,
    previous_index,
    previous_rejects,
    recover,
    staging_dir,
)
from tasks.translate import list_packages, missing_model_hint
from tasks.workers import resolve_processes, worker_pool

STAGES = PROCESS_STAGES

ProgressListener = Callable[[str, int, int], None]
_progress_listener: ProgressListener | None = None


def set_progress_listener(listener: ProgressListener | None) -> None:
    """The CLI registers a callback ``(phase, done, total)`` to draw its progress bar."""
    global _progress_listener
    _progress_listener = listener


def _progress(phase: str, done: int, total: int) -> None:
    if _progress_listener is not None:
        _progress_listener(phase, done, total)


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


def _processes(settings: Settings, n_files: int) -> int:
    """Worker processes for this run: ``settings.processes`` (0: one per core), but none for a
    corpus that fits one batch (starting workers costs ~1-2 s) or off the thread runner (a
    Dask worker is already a process of its own)."""
    ctx = FlowRunContext.get()
    if ctx is not None and not isinstance(ctx.task_runner, ThreadPoolTaskRunner):
        return 1
    if n_files <= MIN_BATCH:
        return 1
    return resolve_processes(settings.processes)


class Found:
    """``discover-files``' result: the files found, in an object Prefect does not walk.

    Prefect links every item it finds inside a task's result (lists, tuples, dataclasses) to
    the task run's state; for a list of 100k files that walk cost ~0.8 s of every run
    (measured with cProfile). A plain class with slots is passed through as one object.
    """

    __slots__ = ("paths",)

    def __init__(self, paths: list[Discovered]) -> None:
        self.paths = paths


@task(name="discover-files", cache_policy=NO_CACHE)
def discover_files(raw_dir: Path, known: dict | None = None) -> Found:
    return Found(discover(raw_dir, known))


def _run_name() -> str:
    from prefect.runtime import flow_run

    params = flow_run.parameters or {}
    raw = Path(str(params.get("raw_dir", "raw")))
    return f"articles {raw.name or raw} -> {Path(str(params.get('out_dir', 'processed'))).name}"


@flow(
    name="process-articles",
    flow_run_name=_run_name,
    task_runner=ThreadPoolTaskRunner(max_workers=4),
    log_prints=False,
    persist_result=False,
)
def process_articles(
    raw_dir: str = "raw",
    out_dir: str = "processed",
    translate: bool | None = None,
    batch_size: int | None = None,
    full: bool = False,
    prune: bool = False,
    processes: int | None = None,
) -> dict[str, Any]:
    """Process the raw files under ``raw_dir`` into the Parquet dataset under ``out_dir``.

    Incremental: a file whose path and bytes are unchanged since the dataset in ``out_dir`` was
    written keeps its row and is not processed again (``full`` re-processes everything); a
    changed file replaces its row; the row of a file that no longer exists is kept unless
    ``prune``.
    """
    # absolute paths: Dask workers elsewhere resolve relative ones against their own cwd
    settings = Settings.load(
        raw_dir=Path(raw_dir).resolve(),
        out_dir=Path(out_dir).resolve(),
        translate=translate,
        batch_size=batch_size,
        processes=processes,
    )
    # one run at a time per output directory (a second one fails at once, naming the first)
    with run_lock(settings.out_dir) as lock:
        ctx = FlowRunContext.get()
        run = ctx.flow_run if ctx is not None else None
        lock.describe(
            {
                "pid": os.getpid(),
                "started": datetime.now(UTC).isoformat(timespec="seconds"),
                "flow_run_id": str(run.id) if run else None,
                "flow_run_name": run.name if run else None,
            }
        )
        if lock.killed is not None:
            _mark_killed_run(lock.killed)
        with signals.guard(run.id if run else None):  # SIGTERM/SIGINT: end within seconds
            return run_pipeline(settings, full=full, prune=prune)


def _mark_killed_run(killed: dict[str, Any]) -> None:
    """The previous run on this output was killed (its lock file was never emptied): say so,
    and mark its flow run Crashed in Prefect if it still shows as running there."""
    logger = get_run_logger()
    logger.warning(
        "the previous run on this output (pid %s, started %s, flow run %s) was killed before "
        "it finished; its leftovers are removed now",
        killed.get("pid"),
        killed.get("started"),
        killed.get("flow_run_name") or killed.get("flow_run_id"),
    )
    run_id = killed.get("flow_run_id")
    if not run_id:
        return
    try:
        from prefect.states import Crashed

        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uuid.UUID(run_id))
            if run.state is not None and not run.state.is_final():
                message = "the process was killed; the next run on its output recovered it"
                client.set_flow_run_state(run.id, Crashed(message=message), force=True)
    except Exception as exc:  # e.g. recorded by another (temporary) API: a detail, not an error
        logger.warning("could not mark the killed flow run %s as crashed: %s", run_id, exc)


class _LineCounter:
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


def run_pipeline(settings: Settings, *, full: bool = False, prune: bool = False) -> dict[str, Any]:
    """The body of the flow (needs a flow run context for its tasks)."""
    logger = get_run_logger()
    started = time.perf_counter()
    raw_dir, out_dir = settings.raw_dir, settings.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    for action in recover(out_dir):
        logger.warning("recovered from an interrupted run: %s", action)
    fingerprint = config_fingerprint(settings)
    if not full and previous_fingerprint(out_dir) not in (None, fingerprint):
        logger.warning(
            "settings, pipeline version or translation models changed since the dataset in %s "
            "was written: re-processing every file",
            out_dir,
        )
        full = True
    # the paths of each part's rows, so that carrying rows over reads no part again
    article_parts: PartPaths = {}
    reject_parts: PartPaths = {}
    previous = {} if full else previous_index(out_dir, article_parts)
    rejected_before = {} if full else previous_rejects(out_dir, reject_parts)
    # a re-run: discovery also tells the files whose stat matches their row (not read again):
    # articles, and the quarantine rows the flow can decide without reading the file
    known = None
    if (previous or rejected_before) and settings.trust_mtime:
        known = {path: row for path, row in rejected_before.items() if row.keyless}
        known.update(previous)
    paths = discover_files(raw_dir, _opaque(known)).paths
    if known:
        _read_duplicates_of_changed_files(paths, previous, rejected_before)
    _name_run(len(paths), logger)
    processes = _processes(settings, len(paths))
    scan_batches = plan(paths, settings, processes)
    logger.info(
        "%d files in %d batches under %s; %d articles already in %s; %d worker process(es)",
        len(paths),
        len(scan_batches),
        raw_dir,
        len(previous),
        out_dir,
        processes,
    )
    # translation threads are shared out among the worker processes
    work_settings = settings
    if processes > 1:
        work_settings = dataclasses.replace(
            settings, inter_threads=max(1, settings.inter_threads // processes)
        )
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    staging = staging_dir(out_dir, run_id)
    # a first run keeps the scan's reads, compressed, for pass 2 (deleted as they are used)
    spill_dir = staging / ".spill"
    with worker_pool(processes, settings.lang_seed) as pool:
        # ---- pass 1: read and hash every file: duplicates, unchanged files, line counts
        first_by_key: dict[str, str] = {}
        duplicates: dict[str, str] = {}
        readable: set[str] = set()  # files the scan could read
        unchanged: set[str] = set()  # same bytes as their row in the existing dataset
        # same bytes as when the ingest or clean stage set them aside: path -> stage:class
        unchanged_rejects: dict[str, str] = {}
        # lossy counting keeps memory flat: lines rarer than 1/30 of the boilerplate share go
        lines = _LineCounter(epsilon=settings.repeated_line_min_share / 30)
        count_now = not previous  # nothing to reuse: count lines in this same pass
        scan_seconds = 0.0
        # per scan batch, the site each file was recognised as, packed (8 bytes of sha256 and
        # a small int per file): pass 2 of a first run has the same batches and skips detection
        site_hints: list[tuple[bytes, array]] = []

        def submit_scan(item: tuple[int, list[Discovered]]):
            index, batch = item
            known = None
            if not count_now:  # re-run: hash what discovery could not rule out
                # threads share the index; another runner ships only the batch's part of it
                known = previous
                if not _on_threads():
                    known = {
                        d.rel_path: previous[d.rel_path] for d in batch if d.rel_path in previous
                    }
            # a re-run's scan hashes a few files: not worth starting the workers for
            return scan_batch.submit(
                _opaque(batch),
                raw_dir,
                settings,
                _opaque(known),
                count_now,
                None,
                pool if count_now else None,
                index,
                spill_dir / f"{index:05d}.pkl" if count_now else None,
            )

        # a re-run scans only the files discovery could not rule out by their stat (changed,
        # new, refused or duplicate ones), in ten times larger batches: fewer task runs
        first_pass = (
            scan_batches
            if count_now
            else plan(
                [d for d in paths if not d.unchanged],
                dataclasses.replace(settings, batch_size=10 * settings.batch_size),
            )
        )
        # hashing a few files each: threads would only fight over the GIL (measured when these
        # batches still stat-ed every file: 4 threads 3x slower than 1), so one at a time
        window = 2 * processes if count_now else 1

        def take(path: str, sha: str, key: str | None, site=None, line_keys=None) -> None:
            """Decide what one scanned file is: duplicate, unchanged, unchanged reject or to do.
            Called in path order: the first file seen with a content key is its first copy."""
            if key is None:  # refused by ingest: unchanged if its bytes are
                before = rejected_before.get(path)
                if before is not None and before.sha256 == sha:
                    unchanged_rejects[path] = before.label
                return
            readable.add(path)
            first = first_by_key.setdefault(key, path)
            if first != path:
                duplicates[path] = first
                # same bytes, duplicate of the same file as when its row was written
                before = rejected_before.get(path)
                if (
                    before is not None
                    and before.sha256 == sha
                    and before.reason == duplicate_reason(path, first)
                ):
                    unchanged_rejects[path] = before.label
                return
            if line_keys is not None:
                lines.add_doc(site, line_keys)
            if (row := previous.get(path)) is not None and row.sha256 == sha:
                unchanged.add(path)
            elif (
                (before := rejected_before.get(path)) is not None
                and before.sha256 == sha
                and before.stage != "dedupe"  # it was a duplicate: now it is the first copy
            ):
                unchanged_rejects[path] = before.label

        def scanned_in_order() -> Iterator[Scanned]:
            """The scan's items in path order, batch after batch, with each batch's bookkeeping."""
            nonlocal scan_seconds
            for done, result in enumerate(
                _stream(submit_scan, list(enumerate(first_pass)), window), 1
            ):
                scan_seconds += result.stats.seconds
                if count_now:
                    shas, sites = bytearray(), array("h")
                    for doc in result.items:
                        if doc.site_index is not None:
                            shas += bytes.fromhex(doc.sha[:16])
                            sites.append(doc.site_index)
                    site_hints.append((bytes(shas), sites))
                yield from sorted(result.items, key=lambda d: d.path)
                lines.end_batch()
                _progress("scan", done, len(first_pass))

        # every file in path order: scanned, or found untouched by discovery (its row says what
        # it is); both sequences are sorted by path, so this is a merge
        docs = scanned_in_order()
        doc = next(docs, None)
        for item in paths:
            path = item.rel_path
            if item.unchanged:
                row = previous.get(path)
                if row is not None:
                    take(path, row.sha256, row.article_id)
                else:  # refused for its bytes, or a duplicate: its quarantine row says what
                    reject = rejected_before[path]
                    first = reject.duplicate_of
                    take(path, reject.sha256, previous[first].article_id if first else None)
                continue
            while doc is not None and doc.path < path:
                doc = next(docs, None)
            if doc is not None and doc.path == path:
                keys = line_keys_of(doc) if doc.line_keys is not None else None
                take(path, doc.sha, doc.key, doc.site, keys)
                doc = next(docs, None)
        for _ in docs:  # whatever bookkeeping is left after the last item
            pass
        todo = [
            d for d in paths if d.rel_path not in unchanged and d.rel_path not in unchanged_rejects
        ]
        found = {d.rel_path for d in paths}
        deleted = sorted(set(previous) - found)
        logger.info(
            "scan: %d duplicates, %d unchanged, %d to process, %d gone from the input",
            len(duplicates),
            len(unchanged),
            len(todo),
            len(deleted),
        )

        # Files to clean now (readable, not duplicates): only they need the corpus' line counts.
        to_clean = [d for d in todo if d.rel_path in readable and d.rel_path not in duplicates]
        if to_clean and not count_now:
            # Line counts over every unique file (unchanged ones too), so the files processed
            # now are cleaned exactly as in a full run.
            seen: set[str] = set()

            def submit_count(item: tuple[int, list[Discovered]]):
                index, batch = item
                dups = {
                    d.rel_path: duplicates[d.rel_path] for d in batch if d.rel_path in duplicates
                }
                return scan_batch.submit(
                    _opaque(batch), raw_dir, settings, None, True, _opaque(dups), pool, index
                )

            for done, result in enumerate(
                _stream(submit_count, list(enumerate(scan_batches)), 2 * processes), 1
            ):
                for doc in result.items:
                    if doc.line_keys is not None and doc.key not in seen:
                        seen.add(doc.key)
                        lines.add_doc(doc.site, line_keys_of(doc))
                lines.end_batch()
                _progress("count", done, len(scan_batches))
        repeated = repeated_only(lines.counts, settings)
        first_by_key.clear()  # the full counts and keys are no longer needed
        lines.counts = LineCounts()

        # ---- pass 2: process and store what changed, batch by batch in the worker processes
        batches = plan(todo, settings, processes)
        same_batches = count_now and [len(b) for b in batches] == [len(b) for b in scan_batches]
        totals = {stage: StageStats(stage) for stage in STAGES}
        quarantine_counts: Counter[str] = Counter()
        written: Counter[str] = Counter()
        per_language: dict[str, Counter[str]] = {}

        # a few files to clean (an incremental run) are done sooner than workers start
        work_pool = pool if len(to_clean) > MIN_BATCH else None

        def submit_process(item: tuple[int, list[Discovered]]):
            part, batch = item
            dups = {d.rel_path: duplicates[d.rel_path] for d in batch if d.rel_path in duplicates}
            hints = spill = None
            if same_batches and batch[0] is scan_batches[part][0]:
                shas, sites = site_hints[part]
                hints = {shas[i * 8 : i * 8 + 8].hex(): s for i, s in enumerate(sites)}
                spill = spill_dir / f"{part:05d}.pkl"
            return process_batch.submit(
                _opaque(batch),
                raw_dir,
                work_settings,
                _opaque(dups),
                _opaque(repeated),
                staging,
                part,
                work_pool,
                _opaque(hints),
                spill,
            )

        for done, report in enumerate(
            _stream(submit_process, list(enumerate(batches)), 2 * processes), 1
        ):
            for stage, stats in report.stats.items():
                totals[stage].merge(stats)
            quarantine_counts.update(report.quarantine_counts)
            written.update(report.written)
            for lang, counts in report.per_language.items():
                per_language.setdefault(lang, Counter()).update(counts)
            _progress("process", done, len(batches))

    checkpoint("commit")  # a test hook (tasks/checkpoints.py)
    drop = {d.rel_path for d in todo} | (set(deleted) if prune else set())
    carried = carry_over(out_dir, staging, drop, parts=article_parts)
    carried_rejects = carry_over(
        out_dir,
        staging,
        set(),
        dataset="quarantine",
        only=set(unchanged_rejects),
        parts=reject_parts,
    )
    if carried_rejects != len(unchanged_rejects):  # each one has exactly one row to carry
        raise RuntimeError(
            f"carried {carried_rejects} quarantine rows for {len(unchanged_rejects)} unchanged files"
        )
    quarantine_counts.update(Counter(unchanged_rejects.values()))
    summary = _summary(
        settings,
        fingerprint=fingerprint,
        n_files=len(paths),
        n_batches=len(batches),
        processes=processes,
        duplicates=len(duplicates),
        unchanged=len(unchanged),
        kept_deleted=0 if prune else len(deleted),
        pruned=len(deleted) if prune else 0,
        carried=carried,
        written=written,
        quarantine_counts=quarantine_counts,
        totals=totals,
        per_language=per_language,
        scan_seconds=scan_seconds,
        seconds=time.perf_counter() - started,
    )
    if not summary["balanced"]:
        raise RuntimeError(f"accounting does not balance: {summary['accounting']}")
    with signals.deferred():  # a signal during the renames takes effect after them
        commit_staging(staging, out_dir, summary)
    _artifacts(summary)
    logger.info("%s", summary["accounting"])
    return summary


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
            settings.beam_size,
            settings.compute_type,
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


def _read_duplicates_of_changed_files(
    paths: list[Discovered], previous: dict, rejected_before: dict
) -> None:
    """An untouched duplicate is decided from its row only while its first copy is an untouched
    article too (its content key is that article's id); otherwise it is read again."""
    untouched = None
    for item in paths:
        if not item.unchanged or item.rel_path in previous:
            continue
        first = rejected_before[item.rel_path].duplicate_of
        if first is None:
            continue
        if untouched is None:
            untouched = {d.rel_path for d in paths if d.unchanged}
        if first not in previous or first not in untouched:
            item.unchanged = False


def _name_run(n_files: int, logger) -> None:
    """Add the file count to the flow run's name once it is known: "articles raw -> out (6 files)"."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(ctx.flow_run.id, name=f"{ctx.flow_run.name} ({n_files} files)")
    except Exception as exc:  # a cosmetic detail must never fail the run
        logger.warning("could not add the file count to the run name: %s", exc)


def _opaque(value):
    """``quote(value)`` on the thread runner: Prefect then skips walking the batch for futures.

    Dask ships a quoted value as a plain tuple, so on other runners the value goes as is (their
    per-task cost dwarfs the walk anyway).
    """
    return quote(value) if _on_threads() else value


def _on_threads() -> bool:
    """Whether this flow run's tasks run on threads of this process."""
    ctx = FlowRunContext.get()
    return ctx is not None and isinstance(ctx.task_runner, ThreadPoolTaskRunner)


def _stream(submit: Callable[[Any], Any], items: list, in_flight: int) -> Iterator[Any]:
    """Submit a task per item and yield the results in order, with at most ``in_flight``
    submitted and not yet handed over, so memory does not grow with the run."""
    window = max(1, in_flight)
    pending: deque = deque()
    it = iter(items)
    for item in it:
        pending.append(submit(item))
        if len(pending) >= window:
            break
    while pending:
        result = pending.popleft().result()
        nxt = next(it, _END)
        if nxt is not _END:
            pending.append(submit(nxt))
        yield result


_END = object()


def _summary(
    settings: Settings,
    *,
    fingerprint: str,
    n_files: int,
    n_batches: int,
    processes: int,
    duplicates: int,
    unchanged: int,
    kept_deleted: int,
    pruned: int,
    carried: int,
    written: Counter,
    quarantine_counts: Counter,
    totals: dict[str, StageStats],
    per_language: dict[str, Counter],
    scan_seconds: float,
    seconds: float,
) -> dict[str, Any]:
    dup_rows = sum(v for k, v in quarantine_counts.items() if k.endswith(":duplicate"))
    quarantined = sum(quarantine_counts.values()) - dup_rows
    articles = written.get("articles", 0)
    accounted = articles + unchanged + dup_rows + quarantined
    removed_by_rule = {
        k.split(":", 1)[1]: v
        for k, v in sorted(totals["clean"].counts.items())
        if k.startswith("removed:")
    }
    status_counts: Counter[str] = Counter()
    for counts in per_language.values():
        for k, v in counts.items():
            if k.startswith("status:"):
                status_counts[k.split(":", 1)[1]] += v
    missing = sorted(
        k.split(":", 1)[1] for k in totals["translate"].counts if k.startswith("missing_model:")
    )
    return {
        "raw_dir": str(settings.raw_dir),
        "out_dir": str(settings.out_dir),
        "files_found": n_files,
        "batches": n_batches,
        "processes": processes,
        "articles_written": articles,
        "unchanged": unchanged,
        "duplicates": dup_rows,
        "quarantined": quarantined,
        "quarantine_by_class": dict(sorted(quarantine_counts.items())),
        "kept_deleted": kept_deleted,
        "pruned": pruned,
        "dataset_rows": articles + carried,
        "accounting": (
            f"{n_files} files = {articles} articles + {unchanged} unchanged"
            f" + {dup_rows} duplicates + {quarantined} quarantined"
        ),
        "balanced": (
            accounted == n_files and dup_rows == duplicates and carried == unchanged + kept_deleted
        ),
        "languages": {k: dict(sorted(v.items())) for k, v in sorted(per_language.items())},
        "translation_status": dict(sorted(status_counts.items())),
        "missing_models": {lang: missing_model_hint(lang) for lang in missing},
        "lines_in": totals["clean"].counts.get("lines:in", 0),
        "lines_removed": totals["clean"].counts.get("lines:removed", 0),
        "lines_removed_by_rule": removed_by_rule,
        "stage_seconds": {
            "scan": round(scan_seconds, 3),
            **{s: round(t.seconds, 3) for s, t in totals.items()},
        },
        "stage_counts": {s: dict(sorted(t.counts.items())) for s, t in totals.items()},
        "seconds": round(seconds, 3),
        "articles_per_second": round(articles / seconds, 1) if seconds > 0 else None,
        "pipeline_version": settings.pipeline_version,
        "config_fingerprint": fingerprint,
    }


def _artifacts(summary: dict[str, Any]) -> None:
    rows = []
    for lang, counts in summary["languages"].items():
        untranslated = {
            k.split(":", 1)[1]: v
            for k, v in counts.items()
            if k.startswith("status:") and k not in ("status:translated", "status:cached")
        }
        rows.append(
            {
                "language": lang,
                "articles": counts.get("articles", 0),
                "fragments": counts.get("fragments", 0),
                "translated": counts.get("status:translated", 0) + counts.get("status:cached", 0),
                "untranslated": ", ".join(f"{k}={v}" for k, v in sorted(untranslated.items())),
            }
        )
    create_table_artifact(
        key="articles-by-language",
        table=rows,
        description="Articles, fragments and translation outcome per language",
    )
    lines = [
        "# process-articles run",
        "",
        f"**{summary['accounting']}** (balanced: {summary['balanced']})",
        "",
        f"- input: `{summary['raw_dir']}`, output: `{summary['out_dir']}`",
        f"- wall time: {summary['seconds']} s, {summary['articles_per_second']} articles/s",
        "",
        "## Quarantine",
        "",
        "| stage:class | files |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in summary["quarantine_by_class"].items()],
        "",
        "## Lines removed by rule",
        "",
        f"{summary['lines_removed']} of {summary['lines_in']} lines removed.",
        "",
        "| rule | lines |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in summary["lines_removed_by_rule"].items()],
        "",
        "## Seconds per stage (summed over batches)",
        "",
        "| stage | seconds |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in summary["stage_seconds"].items()],
    ]
    if summary["missing_models"]:
        lines += ["", "## Missing translation models", ""]
        lines += [f"- `{lang}`: {hint}" for lang, hint in summary["missing_models"].items()]
    create_markdown_artifact(
        key="run-report", markdown="\n".join(lines), description="process-articles run report"
    )
