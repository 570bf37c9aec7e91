"""One run at a time per output directory; a killed run is recognised by the next one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tasks.runlock import LOCK_NAME, AlreadyRunning, run_lock

REPO = Path(__file__).resolve().parents[1]


def test_a_second_lock_on_the_same_output_fails_naming_the_first(tmp_path):
    with run_lock(tmp_path / "out") as first:
        first.describe({"pid": 4242, "started": "2026-11-24T01:00:00+00:00"})
        with pytest.raises(AlreadyRunning, match=r"another run \(pid 4242, started 2026-11-24"):
            run_lock(tmp_path / "out")
    # released: the next run takes it, and the previous one finished (nothing to report)
    with run_lock(tmp_path / "out") as again:
        assert again.killed is None
    assert (tmp_path / "out" / LOCK_NAME).read_bytes() == b""


def test_a_run_that_raised_is_not_taken_for_a_killed_one(tmp_path):
    with pytest.raises(ZeroDivisionError), run_lock(tmp_path) as lock:
        lock.describe({"pid": 1})
        1 / 0  # noqa: B018
    with run_lock(tmp_path) as lock:
        assert lock.killed is None


def test_a_killed_holder_frees_the_lock_and_leaves_its_details(tmp_path):
    """SIGKILL: the kernel drops the flock with the process; its details stay in the file."""
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from tasks.runlock import run_lock
        lock = run_lock({str(tmp_path)!r})
        lock.describe({{"pid": os.getpid(), "flow_run_id": "abc"}})
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(AlreadyRunning, match=f"pid {proc.pid}"):
            run_lock(tmp_path)
        proc.kill()
        proc.wait(timeout=10)
        lock = run_lock(tmp_path)
        assert lock.killed == {"pid": proc.pid, "flow_run_id": "abc"}
        lock.release()
    finally:
        proc.kill()


def test_a_flow_run_refuses_an_output_another_run_is_writing(prefect_api, tmp_path):
    from flows.process_articles import process_articles

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("Baku, 24 November. A short article about the weather.\n")
    out = tmp_path / "out"
    with run_lock(out) as held:
        held.describe({"pid": os.getpid(), "flow_run_name": "nightly"})
        (out / ".staging-other").mkdir()  # the other run's work in progress
        with pytest.raises(AlreadyRunning, match="flow_run_name nightly"):
            process_articles(raw_dir=str(raw), out_dir=str(out))
        assert (out / ".staging-other").is_dir()  # not taken for a leftover and removed
    summary = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert summary["balanced"] and not (out / ".staging-other").exists()
    assert json.loads((out / LOCK_NAME).read_text() or "null") is None  # finished: emptied
