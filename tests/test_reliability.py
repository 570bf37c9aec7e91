"""Nothing lost, nothing duplicated: incremental re-runs, SIGKILL in the write stage, recovery
of an interrupted commit, and any bytes as input (issue: reliability and scale)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.make_corpus import write_corpus
from tasks.config import Settings
from tasks.dataset import recover

ARTICLES = Path(sys.executable).parent / "articles"


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    monkeypatch.setenv("ARTICLES_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def dataset(out: Path) -> list[dict]:
    """The article rows, without the per-run timestamp, in a stable order."""
    rows = pq.read_table(out / "articles").drop_columns(["processed_at"]).to_pylist()
    return sorted(rows, key=lambda r: r["source_path"])


def quarantine(out: Path) -> list[tuple]:
    rows = pq.read_table(out / "quarantine").to_pylist()
    return sorted((r["source_path"], r["stage"], r["error_class"]) for r in rows)


def test_incremental_reruns_skip_replace_keep_and_prune(prefect_api, env):
    from flows.process_articles import process_articles

    raw, out = env / "raw", env / "out"
    counts = write_corpus(raw, 60, seed=3)
    first = process_articles(raw_dir=str(raw), out_dir=str(out), batch_size=16)
    assert first["balanced"]
    base = dataset(out)
    readable = sum(counts.get(kind, 0) for kind in ("good", "utf16", "crlf"))
    assert len(base) == first["articles_written"] == readable

    # unchanged corpus: nothing processed again, the same rows
    second = process_articles(raw_dir=str(raw), out_dir=str(out), batch_size=16)
    assert second["articles_written"] == 0
    assert second["unchanged"] == len(base)
    assert second["balanced"]
    assert dataset(out) == base

    # one file changed, one deleted, one added
    files = sorted(p for p in raw.rglob("*.txt") if p.stat().st_size > 500)
    changed, deleted = files[0], files[1]
    lines = changed.read_text().split("\n")
    longest = max(range(len(lines)), key=lambda i: len(lines[i]))  # a body paragraph
    lines[longest] += " The editors added this sentence."
    changed.write_text("\n".join(lines))
    deleted.unlink()
    shutil.copy(Path(__file__).parents[1] / "raw" / "003_day_az_ru_ekonomika.txt", raw / "new.txt")
    third = process_articles(raw_dir=str(raw), out_dir=str(out), batch_size=16)
    assert third["balanced"], third["accounting"]
    assert third["articles_written"] == 2  # the changed one and the new one
    assert third["kept_deleted"] == 1
    rows = {r["source_path"]: r for r in dataset(out)}
    rel = lambda p: p.relative_to(raw).as_posix()  # noqa: E731
    assert "new.txt" in rows and rel(deleted) in rows
    assert "The editors added this sentence." in rows[rel(changed)]["body"]
    assert len(rows) == len(base) + 1

    # --prune drops the row of the deleted file
    fourth = process_articles(raw_dir=str(raw), out_dir=str(out), batch_size=16, prune=True)
    assert fourth["pruned"] == 1 and fourth["articles_written"] == 0
    assert rel(deleted) not in {r["source_path"] for r in dataset(out)}

    # rows of files that did not change are carried over as they were
    unchanged_before = {r["source_path"]: r for r in base if r["source_path"] != rel(changed)}
    for row in dataset(out):
        if row["source_path"] in unchanged_before:
            assert row == unchanged_before[row["source_path"]]


def test_duplicate_rows_are_kept_while_their_file_and_first_copy_are_unchanged(prefect_api, env):
    """A duplicate's row names its first copy: kept as it was while both are unchanged, and
    re-decided when the first copy goes away (the duplicate becomes the article)."""
    from flows.process_articles import process_articles

    raw, out = env / "raw", env / "out"
    raw.mkdir()
    seed = (Path(__file__).parents[1] / "raw" / "003_day_az_ru_ekonomika.txt").read_bytes()
    hour_ago = time.time() - 3600
    for name in ("a.txt", "b.txt", "c.txt"):
        (raw / name).write_bytes(seed)
        os.utime(raw / name, (hour_ago, hour_ago))  # not "racily clean": size+mtime are trusted

    def rows(dataset):
        table = pq.read_table(out / dataset).to_pylist()
        return {r["source_path"]: r for r in table}

    first = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert (first["articles_written"], first["duplicates"]) == (1, 2), first["accounting"]
    dups = rows("quarantine")
    assert dups["b.txt"]["reason"] == "b.txt: same content as a.txt"
    assert dups["b.txt"]["duplicate_of"] == "a.txt" and dups["b.txt"]["source_mtime_ns"]
    part_names = sorted(p.name for p in (out / "quarantine").iterdir())

    # unchanged: the duplicate rows are carried over as they were, nothing is read again
    second = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert second["balanced"] and second["duplicates"] == 2 and second["unchanged"] == 1
    assert "duplicate" not in second["stage_counts"]["ingest"]
    assert second["stage_seconds"]["scan"] == 0  # decided by size+mtime: no file was read
    assert rows("quarantine") == dups  # same processed_at: carried, not rewritten
    # carried parts keep their names, run after run (they once grew a prefix per run)
    assert sorted(p.name for p in (out / "quarantine").iterdir()) == part_names

    # the first copy is gone: b is the article now, c a duplicate of b
    (raw / "a.txt").unlink()
    third = process_articles(raw_dir=str(raw), out_dir=str(out), prune=True)
    assert third["balanced"], third["accounting"]
    assert (third["articles_written"], third["duplicates"], third["pruned"]) == (1, 1, 1)
    assert set(rows("articles")) == {"b.txt"}
    assert {p: (r["reason"], r["duplicate_of"]) for p, r in rows("quarantine").items()} == {
        "c.txt": ("c.txt: same content as b.txt", "b.txt")
    }


def _run_cli(raw: Path, out: Path, env_vars: dict, **popen) -> subprocess.Popen:
    cmd = [str(ARTICLES), "run", str(raw), "--out", str(out), "-q", "--batch-size", "10"]
    return subprocess.Popen(
        cmd, env=env_vars, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen
    )


def test_sigkill_during_the_write_stage_then_rerun_equals_an_uninterrupted_run(prefect_api, env):
    prefect_server = prefect_api
    raw = env / "raw"
    write_corpus(raw, 240, seed=5)
    child_env = dict(os.environ, PREFECT_API_URL=prefect_server)

    # an earlier, complete dataset of part of the corpus, so the kill also hits an update
    first_half = env / "half"
    shutil.copytree(raw, first_half)
    for p in sorted(first_half.rglob("*.txt"))[::2]:
        p.unlink()
    reference, out = env / "reference", env / "out"
    for target in (reference, out):
        proc = _run_cli(first_half, target, child_env)
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    # the reference: the same second run, uninterrupted
    ref = _run_cli(raw, reference, child_env)
    assert ref.wait(timeout=300) == 0, ref.stderr.read()
    before = dataset(out)

    proc = _run_cli(raw, out, child_env)
    deadline = time.monotonic() + 300
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if any(out.glob(".staging-*/articles/part-*.parquet")):
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    proc.wait(timeout=60)
    assert killed, "the run finished before its first part was written"
    # readers still see the previous complete dataset, never a partial one
    assert dataset(out) == before
    assert list(out.glob(".staging-*"))

    killed_run = json.loads((out / ".run.lock").read_text())["flow_run_id"]
    rerun = _run_cli(raw, out, child_env)
    assert rerun.wait(timeout=300) == 0, rerun.stderr.read()
    # the killed run no longer shows as running in Prefect: the re-run marked it Crashed
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        state = client.read_flow_run(uuid.UUID(killed_run)).state
    assert state.is_crashed(), state
    assert not list(out.glob(".staging-*")) and not list(out.glob(".trash-*"))
    got, want = dataset(out), dataset(reference)
    assert [r["source_path"] for r in got] == [r["source_path"] for r in want]
    for a, b in zip(got, want, strict=True):
        assert a == b, {k: (a[k], b[k]) for k in a if a[k] != b[k]}
    assert quarantine(out) == quarantine(reference)


def test_recover_puts_back_a_dataset_moved_aside_by_an_interrupted_commit(tmp_path):
    out = tmp_path / "out"
    (out / ".trash-articles-.staging-x").mkdir(parents=True)
    (out / ".trash-articles-.staging-x" / "part-a.parquet").write_bytes(b"old")
    (out / "quarantine").mkdir()
    (out / ".staging-y" / "articles").mkdir(parents=True)
    (out / "quarantine" / ".part-b.parquet.tmp-123").write_bytes(b"partial")
    actions = recover(out)
    assert (out / "articles" / "part-a.parquet").read_bytes() == b"old"
    assert not list(out.glob(".staging-*")) and not list(out.glob(".trash-*"))
    assert not (out / "quarantine" / ".part-b.parquet.tmp-123").exists()
    assert any("restored articles/" in a for a in actions)


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(contents=st.lists(st.binary(max_size=2000), min_size=1, max_size=25))
def test_any_byte_strings_as_files_never_crash_the_flow(prefect_api, env, contents):
    from flows.process_articles import process_articles

    raw = env / f"any-{os.urandom(4).hex()}"
    raw.mkdir()
    for i, data in enumerate(contents):
        (raw / f"{i:03d}.txt").write_bytes(data)
    summary = process_articles(raw_dir=str(raw), out_dir=str(raw.with_suffix(".out")))
    assert summary["balanced"]
    assert summary["files_found"] == len(contents)


@settings(max_examples=150, deadline=None)
@given(
    contents=st.lists(
        st.binary(max_size=1500) | st.text(max_size=1500).map(str.encode), min_size=1, max_size=8
    )
)
def test_any_bytes_through_every_stage_without_prefect(tmp_path_factory, contents):
    """The same property over the pure stage functions, with many more examples."""
    from tasks.clean import count_lines, run_clean
    from tasks.ingest import discover, run_ingest
    from tasks.language import run_language
    from tasks.store import run_store, staging_dir
    from tasks.translate import run_translate

    root = tmp_path_factory.mktemp("stages")
    raw = root / "raw"
    raw.mkdir()
    for i, data in enumerate(contents):
        (raw / f"{i}.txt").write_bytes(data)
    cfg = Settings.load(argos_packages_dir=root / "argos", cache_dir=root / "cache")
    ing = run_ingest(discover(raw), raw, cfg)
    cln = run_clean(ing.items, count_lines(ing.items), cfg)
    lng = run_language(cln.items, cfg)
    trn = run_translate(lng.items, cfg)
    rejected = ing.quarantined + cln.quarantined + lng.quarantined + trn.quarantined
    assert len(trn.items) + len(rejected) == len(contents)
    written = run_store(trn.items, rejected, staging_dir(root, "p"), 0, "test")
    assert written["articles"] + written["quarantine"] == len(contents)
