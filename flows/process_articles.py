"""The Prefect flow ``process-articles``, as a recipe: what the dataset there says -> discover ->
plan -> scan -> plan again -> (count lines) -> process -> commit -> report.

Each step is a few lines here; what it does lives in ``tasks/`` (``tasks.incremental`` decides
what happens to each file, ``tasks.dataset`` reads the dataset being replaced, ``tasks.report``
adds up the counts) and ``flows/orchestration.py`` (how tasks are submitted to Prefect). The
input is read in two passes:

1. scan (task ``scan-batch``): every batch is read and hashed and the keys of its lines are
   counted per site (for repeated-line detection); only content keys and lossy line counts are
   kept, so memory does not grow with the corpus. A re-run scans only the files discovery could
   not vouch for by their size and mtime, and counts the lines of every unique file afterwards
   if anything is to be cleaned.
2. process (task ``process-batch``): each batch goes through ingest -> clean -> language ->
   translate -> store, and only a report comes back. On a first run the batches are those of
   the scan, which kept its reads (zstd, in the staging directory) and its site detection for
   them, so no file is read or recognised twice.

The batch tasks run on the thread runner and hand their batch to one of ``Settings.processes``
worker processes (``tasks.workers``): the stages are CPU-bound Python, so this is what uses
more than one core. At most two batches per worker are in flight.

Every discovered file ends as an article row, a duplicate row or a quarantine row; the run
summary reconciles the three against the number of files found.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner

from flows import signals
from flows.orchestration import (
    discover_files,
    mark_killed_run,
    name_run,
    opaque,
    publish_artifacts,
)
from flows.passes import Run, process_pass, repeated_lines, scan_pass, set_progress_listener
from tasks.checkpoints import checkpoint
from tasks.config import Settings
from tasks.dataset import (
    PartPaths,
    carry_over,
    config_fingerprint,
    previous_fingerprint,
    previous_index,
    previous_rejects,
    recover,
)
from tasks.incremental import (
    Plan,
    known_for_discovery,
    settle_untouched,
)
from tasks.ingest import Discovered
from tasks.pipeline import MIN_BATCH, PROCESS_STAGES, plan
from tasks.report import Totals, summarise
from tasks.runlock import run_lock
from tasks.store import commit_staging
from tasks.workers import worker_pool

STAGES = PROCESS_STAGES
__all__ = [
    "MIN_BATCH",
    "STAGES",
    "plan",
    "process_articles",
    "run_pipeline",
    "set_progress_listener",
]


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
            mark_killed_run(lock.killed)
        with signals.guard(run.id if run else None):  # SIGTERM/SIGINT: end within seconds
            return run_pipeline(settings, full=full, prune=prune)


def run_pipeline(settings: Settings, *, full: bool = False, prune: bool = False) -> dict[str, Any]:
    """The body of the flow (needs a flow run context for its tasks): the recipe."""
    logger = get_run_logger()
    started = time.perf_counter()
    before = _dataset_there(settings, full, logger)
    paths = _discover(settings, before, logger)
    run = Run.start(settings, paths, before, logger)
    with worker_pool(run.processes, settings.lang_seed) as pool:
        scan = scan_pass(run, paths, before, pool)
        decided = scan.planner.finish(paths)
        logger.info(
            "scan: %d duplicates, %d unchanged, %d to process, %d gone from the input",
            *(len(x) for x in (decided.duplicates, decided.unchanged, decided.todo, decided.gone)),
        )
        repeated = repeated_lines(run, scan, decided, pool)
        totals = process_pass(run, scan, decided, repeated, pool)
    summary = _commit(run, before, decided, totals, scan, prune, started)
    publish_artifacts(summary)
    logger.info("%s", summary["accounting"])
    return summary


@dataclass(slots=True)
class _Before:
    """The dataset the run replaces: its fingerprint and what its rows say per source path."""

    full: bool
    fingerprint: str
    previous: dict = field(default_factory=dict)  # path -> tasks.dataset.Known
    rejected: dict = field(default_factory=dict)  # path -> tasks.dataset.Rejected
    # the paths of each part's rows, so that carrying rows over reads no part again
    article_parts: PartPaths = field(default_factory=dict)
    reject_parts: PartPaths = field(default_factory=dict)


def _dataset_there(settings: Settings, full: bool, logger) -> _Before:
    """Recover from a killed run, then read the index of the dataset in ``out_dir``."""
    out_dir = settings.out_dir
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
    before = _Before(full, fingerprint)
    if not full:
        before.previous = previous_index(out_dir, before.article_parts)
        before.rejected = previous_rejects(out_dir, before.reject_parts)
    return before


def _discover(settings: Settings, before: _Before, logger) -> list[Discovered]:
    """Find the files; on a re-run, discovery also vouches for the untouched ones by their stat."""
    known = known_for_discovery(before.previous, before.rejected, settings.trust_mtime)
    paths = discover_files(settings.raw_dir, opaque(known)).paths
    if known:
        settle_untouched(paths, before.previous, before.rejected)
    name_run(len(paths), logger)
    return paths


def _commit(run, before, decided: Plan, totals: Totals, scan, prune, started) -> dict[str, Any]:
    """Carry the kept rows over, reconcile the counts, swap the staging directory in."""
    checkpoint("commit")  # a test hook (tasks/checkpoints.py)
    settings, staging = run.settings, run.staging
    out_dir = settings.out_dir
    carried = carry_over(out_dir, staging, decided.drop(prune), parts=before.article_parts)
    kept = set(decided.unchanged_rejects)
    carried_rejects = carry_over(
        out_dir, staging, set(), dataset="quarantine", only=kept, parts=before.reject_parts
    )
    if carried_rejects != len(kept):  # each one has exactly one row to carry
        raise RuntimeError(
            f"carried {carried_rejects} quarantine rows for {len(kept)} unchanged files"
        )
    totals.quarantine_counts.update(Counter(decided.unchanged_rejects.values()))
    n_gone = len(decided.gone)
    summary = summarise(
        settings,
        fingerprint=before.fingerprint,
        n_files=decided.files,
        n_batches=totals.batches,
        processes=run.processes,
        duplicates=len(decided.duplicates),
        unchanged=len(decided.unchanged),
        kept_deleted=0 if prune else n_gone,
        pruned=n_gone if prune else 0,
        carried=carried,
        written=totals.written,
        quarantine_counts=totals.quarantine_counts,
        totals=totals.stats,
        per_language=totals.per_language,
        scan_seconds=scan.seconds,
        seconds=time.perf_counter() - started,
    )
    if not summary["balanced"]:
        raise RuntimeError(f"accounting does not balance: {summary['accounting']}")
    with signals.deferred():  # a signal during the renames takes effect after them
        commit_staging(staging, out_dir, summary)
    return summary
