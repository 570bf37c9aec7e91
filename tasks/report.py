"""The run summary: the counts of every stage and outcome, and the reconciliation of files.

``Totals`` adds up the process pass' batch reports; ``summarise`` makes the summary the CLI
prints, ``run_summary.json`` holds and the flow's artifacts show. Pure (no Prefect, no I/O).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tasks.config import Settings
from tasks.pipeline import PROCESS_STAGES
from tasks.records import StageStats
from tasks.translate import missing_model_hint


@dataclass(slots=True)
class Totals:
    """What the process pass' batches did, added up."""

    batches: int = 0
    stats: dict[str, StageStats] = field(
        default_factory=lambda: {stage: StageStats(stage) for stage in PROCESS_STAGES}
    )
    quarantine_counts: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)
    per_language: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, report) -> None:
        """One ``tasks.pipeline.BatchReport``."""
        for stage, stats in report.stats.items():
            self.stats[stage].merge(stats)
        self.quarantine_counts.update(report.quarantine_counts)
        self.written.update(report.written)
        for lang, counts in report.per_language.items():
            self.per_language.setdefault(lang, Counter()).update(counts)


def summarise(
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
