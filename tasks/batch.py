"""The Prefect tasks of a run: ``scan-batch`` and ``process-batch``.

Each hands one batch of file paths to a worker process (``tasks.workers``) that runs the pure
stage functions on it (``tasks.pipeline``), and logs what each stage did. The stages are
chained inside the worker, not as one task each, so that a batch's documents never travel
between processes: Prefect's own ``ProcessPoolTaskRunner`` costs ~115 ms per task run
(measured, against ~7 ms on threads) and would ship every stage's output back to the flow.
"""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.clean import LineCounts
from tasks.config import Settings
from tasks.ingest import Discovered
from tasks.pipeline import BatchReport, ScanReport, process_files, scan_files
from tasks.records import StageStats
from tasks.workers import run_in_worker


def _stage_line(stats: StageStats) -> str:
    return f"{stats.stage} {stats.records_in}->{stats.records_out} in {stats.seconds:.2f} s"


@task(name="scan-batch", task_run_name="scan-batch-{index}", cache_policy=NO_CACHE, retries=0)
def scan_batch(
    paths: list[Discovered],
    raw_dir: Path,
    settings: Settings,
    known: dict | None = None,
    count: bool = True,
    duplicates: dict[str, str] | None = None,
    pool: str | None = None,
    index: int = 0,
    spill: Path | None = None,
) -> ScanReport:
    report = run_in_worker(
        pool, scan_files, paths, raw_dir, settings, known, count, duplicates, spill
    )
    get_run_logger().info("%d files: %s", len(paths), _stage_line(report.stats))
    return report


@task(name="process-batch", task_run_name="process-batch-{part}", cache_policy=NO_CACHE, retries=0)
def process_batch(
    paths: list[Discovered],
    raw_dir: Path,
    settings: Settings,
    duplicates: dict[str, str],
    line_counts: LineCounts,
    staging: Path,
    part: int,
    pool: str | None = None,
    site_hints: dict[str, int] | None = None,
    spill: Path | None = None,
) -> BatchReport:
    report = run_in_worker(
        pool,
        process_files,
        paths,
        raw_dir,
        settings,
        duplicates,
        line_counts,
        staging,
        part,
        site_hints,
        spill,
    )
    get_run_logger().info(
        "%d files: %s; quarantined %s",
        len(paths),
        ", ".join(_stage_line(s) for s in report.stats.values()),
        dict(report.quarantine_counts) or "none",
    )
    return report
