"""Worker processes: the flow's results do not depend on them, and they never outlive a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import Future
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.make_corpus import write_corpus
from flows.orchestration import stream as _stream
from tasks.clean import LineCounts, is_repeated
from tasks.config import Settings
from tasks.ingest import Discovered
from tasks.pipeline import plan, repeated_only
from tasks.workers import run_in_worker, worker_pool
from tests.conftest import REPO


def _table(out: Path, dataset: str):
    t = pq.read_table(out / dataset)
    return t.drop_columns(["processed_at"]).sort_by("source_path")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    raw = tmp_path_factory.mktemp("workers") / "raw"
    write_corpus(raw, 320, seed=7)
    return raw


def test_worker_processes_write_the_same_dataset_as_one_process(
    prefect_api, corpus, tmp_path, monkeypatch
):
    from flows.process_articles import process_articles

    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos-packages"))
    monkeypatch.setenv("ARTICLES_CACHE_DIR", str(tmp_path / "cache"))
    one = process_articles(raw_dir=str(corpus), out_dir=str(tmp_path / "one"), processes=1)
    two = process_articles(raw_dir=str(corpus), out_dir=str(tmp_path / "two"), processes=2)

    assert one["processes"] == 1 and two["processes"] == 2
    assert two["batches"] >= 4  # a small corpus is cut so that both processes get work
    assert one["balanced"] and two["balanced"], (one["accounting"], two["accounting"])
    for key in ("accounting", "quarantine_by_class", "languages", "lines_removed_by_rule"):
        assert one[key] == two[key], key
    for dataset in ("articles", "quarantine"):
        assert _table(tmp_path / "one", dataset).equals(_table(tmp_path / "two", dataset))
    # the workers counted what they did: every stage reports time and records
    assert all(two["stage_seconds"][s] > 0 for s in ("ingest", "clean", "language", "store"))
    assert two["stage_counts"]["store"]["rows:articles"] == two["articles_written"]
    # a first run's pass 2 used the scan's reads for every batch (no second read and decode)
    assert two["stage_counts"]["ingest"]["spill:reused"] == two["batches"]
    assert not list((tmp_path / "two").glob(".staging-*"))  # spills went with the staging dir

    # an incremental re-run with one file changed uses the same path and changes one row
    changed = sorted(p for p in corpus.rglob("*.txt") if p.stat().st_size > 500)[0]
    original = changed.read_bytes()
    try:
        changed.write_bytes(original.replace(b"\n", b"\nAn added paragraph of news.\n", 1))
        again = process_articles(raw_dir=str(corpus), out_dir=str(tmp_path / "two"), processes=2)
    finally:
        changed.write_bytes(original)
    assert again["balanced"] and again["articles_written"] == 1
    # the refused files kept their quarantine rows without being ingested again
    assert again["quarantine_by_class"] == two["quarantine_by_class"]
    assert not any(k.startswith("quarantined:") for k in again["stage_counts"]["ingest"])
    assert (
        _table(tmp_path / "two", "quarantine")
        .drop_columns(["pipeline_version"])
        .equals(_table(tmp_path / "one", "quarantine").drop_columns(["pipeline_version"]))
    )


def test_work_runs_in_another_process_and_here_without_a_pool():
    with worker_pool(2) as token:
        assert token is not None
        assert run_in_worker(token, os.getpid) != os.getpid()
        # workers load the stages, not Prefect (~60 MB and ~1 s less per worker)
        assert run_in_worker(token, eval, "'prefect' in __import__('sys').modules") is False
        assert run_in_worker(token, eval, "'tasks.language' in __import__('sys').modules")
    with worker_pool(1) as token:
        assert token is None
        assert run_in_worker(token, os.getpid) == os.getpid()
    # an unknown token (a task running on a Dask worker) runs the work in place
    assert run_in_worker("not-a-pool-of-this-process", os.getpid) == os.getpid()


def test_workers_exit_when_the_run_is_killed(tmp_path):
    script = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path.insert(0, {str(REPO)!r})
        from tasks.workers import run_in_worker, worker_pool
        with worker_pool(2) as token:
            print(run_in_worker(token, os.getpid), flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        worker = int(proc.stdout.readline())
        os.kill(worker, 0)  # alive while the run is
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            pytest.fail(f"worker {worker} still alive after its run was killed")
    finally:
        proc.kill()


def _paths(n: int) -> list[Discovered]:
    return [Discovered(f"{i:06d}.txt") for i in range(n)]


@given(n=st.integers(0, 250_000), processes=st.integers(1, 8), batch_size=st.integers(1, 5000))
@settings(max_examples=60, deadline=None)
def test_plan_keeps_every_file_in_order(n, processes, batch_size):
    s = Settings(batch_size=batch_size)
    paths = _paths(n)
    batches = plan(paths, s, processes)
    assert [p for b in batches for p in b] == paths
    assert len(batches) <= max(s.max_batches, 2 * processes) or n == 0
    if batches:
        assert max(len(b) for b in batches) <= max(batch_size, -(-n // s.max_batches))


def test_plan_gives_every_process_work_on_small_corpora():
    s = Settings()
    assert [len(b) for b in plan(_paths(1000), s, 2)] == [250] * 4
    assert len(plan(_paths(10_000), s, 2)) == 10
    assert len(plan(_paths(100_000), s, 2)) == 100
    assert len(plan(_paths(250_000), s, 2)) == 100


def test_stream_yields_in_order_with_a_bounded_window():
    in_flight: list[Future] = []
    most = 0

    def submit(item):
        nonlocal most
        fut: Future = Future()
        fut.set_result(item * 10)
        in_flight.append(fut)
        most = max(most, sum(1 for f in in_flight if f not in seen))
        return fut

    seen: list[Future] = []
    out = []
    for value in _stream(submit, list(range(9)), in_flight=4):
        seen.append(in_flight[len(out)])
        out.append(value)
    assert out == [i * 10 for i in range(9)]
    # four in flight, plus the finished one being handed to the caller
    assert most == 4 + 1


@given(
    counts=st.dictionaries(st.integers(0, 40), st.integers(1, 30), max_size=40),
    docs=st.integers(1, 60),
    min_docs=st.integers(0, 5),
    share=st.floats(0.0, 1.0),
)
@settings(max_examples=150, deadline=None)
def test_repeated_only_answers_like_the_full_counts(counts, docs, min_docs, share):
    from collections import Counter

    from tasks.clean import _key_hash, norm_repeat

    s = Settings(repeated_line_min_docs=min_docs, repeated_line_min_share=share)
    lines = {"line " + "x" * k: c for k, c in counts.items()}
    full = LineCounts(
        docs=Counter({"site": docs}),
        lines={"site": Counter({_key_hash(norm_repeat(t)): c for t, c in lines.items()})},
    )
    small = repeated_only(full, s)
    for text in [*lines, "never counted"]:
        assert is_repeated(small, "site", text, s) == is_repeated(full, "site", text, s)


def test_a_script_without_a_main_guard_gets_a_clear_error(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, sys
            sys.path.insert(0, {str(REPO)!r})
            from tasks.workers import run_in_worker, worker_pool
            with worker_pool(2) as token:
                print(run_in_worker(token, os.getpid))
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "if __name__ == '__main__':" in proc.stderr
    assert "--processes 1" in proc.stderr


def test_site_hints_from_the_scan_give_the_same_articles(corpus):
    from tasks.clean import detect_site, load_profiles, run_clean, site_index
    from tasks.ingest import discover, run_ingest

    settings = Settings.load(raw_dir=corpus, translate=False)
    docs = run_ingest(discover(corpus)[:150], corpus, settings).items
    hints = {d.source_sha256[:16]: site_index(detect_site(d.text)) for d in docs}
    assert len(set(hints.values())) >= 3  # several sites and the generic profile
    plain = run_clean(docs, None, settings)
    hinted = run_clean(docs, None, settings, hints)
    assert hinted.items == plain.items and hinted.stats.counts == plain.stats.counts
    # the hint is what decides the profile: a wrong one changes the site
    profiles = load_profiles()
    wrong = {k: (v + 1) % len(profiles.sites) for k, v in hints.items()}
    assert run_clean(docs, None, settings, wrong).items != plain.items


def test_pass_two_reuses_the_scans_reads_only_for_the_same_files(corpus, tmp_path):
    from tasks.ingest import discover, read_all, run_ingest
    from tasks.pipeline import read_spill, write_spill

    settings = Settings.load(raw_dir=corpus, translate=False)
    paths = discover(corpus)[:120]
    spill = tmp_path / ".spill" / "00000.pkl"
    write_spill(spill, read_all(paths, corpus, settings))
    assert spill.stat().st_size < sum((corpus / p.rel_path).stat().st_size for p in paths)
    loaded = read_spill(spill, paths)
    assert loaded is not None and not spill.exists()  # used once, then deleted
    fresh = run_ingest(paths, corpus, settings)
    assert [d for d in loaded if d is not None and hasattr(d, "text")] == fresh.items
    # another batch's spill (or none) is not used: pass 2 reads the files itself
    write_spill(spill, read_all(paths[:60], corpus, settings))
    assert read_spill(spill, paths) is None
    assert read_spill(tmp_path / "missing.pkl", paths) is None
