"""SIGTERM and SIGINT at each phase of a run (scan, process, translate, commit): the run ends
within seconds, its worker processes are gone, the previous dataset is intact, the flow run is
Crashed or Cancelled in Prefect, and the exit code is 143 / 130 (issue 12).

The real CLI runs in a subprocess against the session's Prefect server. A phase is reached
deterministically with the test hook ``ARTICLES_TEST_HOLD=<phase>:<marker>``
(``tasks/checkpoints.py``): the first process to reach the phase writes the marker and waits
there; the test signals the run as soon as the marker exists.
"""

from __future__ import annotations

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

from benchmarks.make_corpus import write_corpus

ARTICLES = str(Path(sys.executable).parent / "articles")


@pytest.fixture(scope="module")
def corpus(prefect_server, tmp_path_factory):
    """A corpus big enough for worker processes (> 100 files), and a dataset of it."""
    base = tmp_path_factory.mktemp("signals")
    raw, out = base / "raw", base / "dataset"
    write_corpus(raw, 150, seed=11)
    env = _env(base, prefect_server)
    done = subprocess.run(_cmd(raw, out), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # a changed file, so that the interrupted run has work in every phase
    victim = sorted(raw.rglob("*.txt"))[0]
    victim.write_text(victim.read_text() + "\nOne more paragraph written for this test.\n")
    return raw, out


def _env(base: Path, api: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ, PREFECT_API_URL=api, ARGOS_PACKAGES_DIR=str(base / "argos"))
    env.update(ARTICLES_CACHE_DIR=str(base / "cache"), **extra)
    return env


def _cmd(raw: Path, out: Path, *more: str) -> list[str]:
    return [ARTICLES, "run", str(raw), "--out", str(out), "-q", "--processes", "2", *more]


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _rows(out: Path) -> list[dict]:
    rows = pq.read_table(out / "articles").to_pylist()
    return sorted(rows, key=lambda r: r["source_path"])


def _flow_run_state(api: str, name_part: str):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (
        temporary_settings(updates={PREFECT_API_URL: api}),
        get_client(sync_client=True) as client,
    ):
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=name_part))
        )
    assert len(runs) == 1, [r.name for r in runs]
    return runs[0].state


TERM, INT = signal.SIGTERM, signal.SIGINT
CASES = [
    # --full: every file is processed again, each phase's work runs in the worker processes
    ("scan", "--full", TERM),
    ("scan", "--full", INT),
    ("process", "--full", INT),
    ("translate", "--full", TERM),
    ("commit", "--full", TERM),  # the CLI's own process, before the renames
    # an incremental re-run hashes the changed files in a thread of the CLI's own process,
    # which no signal can interrupt: the watchdog ends the process (flows/signals.py)
    ("scan", None, INT),
]


@pytest.mark.parametrize(
    ("phase", "mode", "signum"),
    CASES,
    ids=[f"{p}-{'full' if m else 'rerun'}-{signal.Signals(n).name}" for p, m, n in CASES],
)
def test_a_signal_at_each_phase_ends_the_run_cleanly(
    corpus, prefect_server, tmp_path, phase, mode, signum
):
    raw, dataset = corpus
    out = tmp_path / f"out-{uuid.uuid4().hex[:10]}"
    shutil.copytree(dataset, out)
    before = _rows(out)
    marker = tmp_path / "reached"
    env = _env(tmp_path, prefect_server, ARTICLES_TEST_HOLD=f"{phase}:{marker}")
    proc = subprocess.Popen(
        _cmd(raw, out, *([mode] if mode else [])),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert marker.exists(), f"{phase} not reached: {proc.poll()} {proc.stderr.read()}"
        holder = int(marker.read_text() or 0)
        family = _descendants(proc.pid)
        in_workers = mode == "--full" and phase != "commit"
        assert (holder in family) == in_workers and (holder == proc.pid) != in_workers
        sent = time.monotonic()
        proc.send_signal(signum)
        code = proc.wait(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert code == 128 + signum, stderr
    assert f"interrupted by {signal.Signals(signum).name}" in stderr, stderr
    assert took < 15, f"{took:.1f} s after the signal"  # a hang fails, not a slow machine
    deadline = time.monotonic() + 5
    while _alive(family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(family), "worker processes outlived the run"
    assert _rows(out) == before  # the previous dataset, untouched
    state = _flow_run_state(prefect_server, out.name)
    assert state.is_crashed() or state.is_cancelled(), state
    print(f"{phase} {signal.Signals(signum).name}: exit {code} {took:.2f} s after the signal")


def test_a_signal_during_the_commit_takes_effect_after_it():
    """The commit's renames are not interrupted: the signal is handled right after them."""
    from flows import signals

    steps = []
    with pytest.raises(signals.Interrupted) as info, signals.guard(None, grace=None):
        with signals.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)  # a handler that raised would have raised here
            steps.append("renamed")
        steps.append("not reached")
    assert steps == ["renamed"] and info.value.signum == signal.SIGTERM
    assert signals.after_commit()
    assert signals.exit_code(info.value) == 143
