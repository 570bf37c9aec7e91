"""How the flow talks to Prefect: submitting batch tasks, the discovery task, the run's name,
a killed run's state, the artifacts. The flow (``flows/process_articles.py``) is the recipe.

Task arguments are wrapped in ``quote()`` (``opaque``): otherwise Prefect walks every nested
object of every argument looking for futures (measured: 0.7 s per task for 500 articles, 0.02 s
quoted).
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import quote

from tasks.config import Settings
from tasks.ingest import Discovered, discover
from tasks.pipeline import MIN_BATCH
from tasks.workers import resolve_processes


def worker_processes(settings: Settings, n_files: int) -> int:
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


def mark_killed_run(killed: dict[str, Any]) -> None:
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


def name_run(n_files: int, logger) -> None:
    """Add the file count to the flow run's name once it is known: "articles raw -> out (6 files)"."""
    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return
    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(ctx.flow_run.id, name=f"{ctx.flow_run.name} ({n_files} files)")
    except Exception as exc:  # a cosmetic detail must never fail the run
        logger.warning("could not add the file count to the run name: %s", exc)


def opaque(value):
    """``quote(value)`` on the thread runner: Prefect then skips walking the batch for futures.

    Dask ships a quoted value as a plain tuple, so on other runners the value goes as is (their
    per-task cost dwarfs the walk anyway).
    """
    return quote(value) if on_threads() else value


def on_threads() -> bool:
    """Whether this flow run's tasks run on threads of this process."""
    ctx = FlowRunContext.get()
    return ctx is not None and isinstance(ctx.task_runner, ThreadPoolTaskRunner)


def stream(submit: Callable[[Any], Any], items: list, in_flight: int) -> Iterator[Any]:
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


def publish_artifacts(summary: dict[str, Any]) -> None:
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
