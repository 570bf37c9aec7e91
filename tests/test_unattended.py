"""Unattended runs (issue 12): any input tree (FIFOs, names that are not UTF-8), files that
change while read, and the server commands a script expects."""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tasks.store import exact_path

SEED = Path(__file__).parents[1] / "raw" / "003_day_az_ru_ekonomika.txt"
OTHER = Path(__file__).parents[1] / "raw" / "002_trend_az_energetika.txt"
ARTICLES = str(Path(sys.executable).parent / "articles")


def _rows(out: Path, dataset: str) -> dict[str, dict]:
    """Rows by their exact path (the file system's name, as ``os.fsdecode`` gives it)."""
    table = pq.read_table(out / dataset).to_pylist()
    return {exact_path(r["source_path"], r["source_path_bytes"]): r for r in table}


def test_file_names_that_are_not_utf8_become_ordinary_rows_and_round_trip(prefect_api, tmp_path):
    from flows.process_articles import process_articles

    raw, out = tmp_path / "raw", tmp_path / "out"
    (raw / "cp1251").mkdir(parents=True)
    braw = os.fsencode(raw)
    names = {
        b"caf\xff.txt": SEED.read_bytes(),  # Latin-1 / Windows
        b"cp1251/\xcd\xee\xe2\xee\xf1\xf2\xe8.txt": OTHER.read_bytes(),  # "Новости" in cp1251
        b"copy-\xfe.txt": SEED.read_bytes(),  # a duplicate of caf\xff.txt, named as badly
        b"caf\\xff.txt": b"",  # a real backslash: the same text as the first one's escaped form
    }
    hour_ago = time.time() - 3600
    for name, data in names.items():
        path = os.path.join(braw, name)
        with open(path, "wb") as fh:
            fh.write(data)
        os.utime(path, (hour_ago, hour_ago))  # not "racily clean": size+mtime are trusted
    first = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert first["balanced"], first["accounting"]
    assert (first["articles_written"], first["duplicates"], first["quarantined"]) == (2, 1, 1)

    articles, rejects = _rows(out, "articles"), _rows(out, "quarantine")
    assert set(articles) | set(rejects) == {os.fsdecode(n) for n in names}
    latin = articles[os.fsdecode(b"caf\xff.txt")]
    assert latin["source_path"] == "caf\\xff.txt"  # the documented escaped form
    assert latin["source_path_bytes"] == b"caf\xff.txt"  # the exact name
    cyr = articles[os.fsdecode(b"cp1251/\xcd\xee\xe2\xee\xf1\xf2\xe8.txt")]
    assert cyr["source_path"] == "cp1251/\\xcd\\xee\\xe2\\xee\\xf1\\xf2\\xe8.txt"
    # every exact path opens the file it names
    for path in [*articles, *rejects]:
        assert os.path.isfile(os.path.join(braw, os.fsencode(path)))
    dup = rejects[os.fsdecode(b"copy-\xfe.txt")]
    assert dup["reason"] == "copy-\\xfe.txt: same content as caf\\xff.txt"
    assert exact_path(dup["duplicate_of"], dup["duplicate_of_bytes"]) == os.fsdecode(b"caf\xff.txt")
    backslash = rejects["caf\\xff.txt"]  # valid UTF-8: no bytes column needed
    assert backslash["source_path_bytes"] is None and backslash["error_class"] == "empty"

    # unchanged: nothing read again, every row carried as it was
    second = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert second["balanced"] and second["articles_written"] == 0, second["accounting"]
    assert (second["unchanged"], second["duplicates"]) == (2, 1)
    assert second["stage_seconds"]["scan"] == 0
    assert _rows(out, "articles") == articles and _rows(out, "quarantine") == rejects


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_stop_and_status_find_a_server_started_on_another_port(tmp_path):
    """``server start --port N`` prints the command that stops it; ``stop``/``status``
    without ``--port`` find it; ``stop`` with nothing to stop exits non-zero."""
    port = _free_port()
    state = tmp_path / "state"
    env = {
        k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "ARTICLES_SERVER_PORT")
    }
    env.update(PREFECT_HOME=str(tmp_path / "home"), ARTICLES_STATE_DIR=str(state))

    def articles(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ARTICLES, "server", *args], capture_output=True, text=True, env=env, timeout=180
        )

    started = articles("start", "--port", str(port))
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"stop with: articles server stop --port {port}\n" in started.stdout
        pid = int((state / f"prefect-server-{port}.pid").read_text())
        status = articles("status")
        assert status.returncode == 0, status.stdout
        assert f"running (pid {pid}): UI http://127.0.0.1:{port}" in status.stdout
        wrong = articles("stop", "--port", str(port + 1))  # not the port it runs on
        assert wrong.returncode == 1
        assert f"running: articles server stop --port {port} (pid {pid})" in wrong.stdout
        stopped = articles("stop")
        assert stopped.returncode == 0, stopped.stdout
        assert f"Prefect server (pid {pid}) stopped (port {port})" in stopped.stdout
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)
        again = articles("stop")
        assert again.returncode == 1
        assert "no Prefect server started by articles is running" in again.stdout
    finally:
        pid_file = state / f"prefect-server-{port}.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(pid_file.read_text()), signal.SIGKILL)


def test_files_changed_between_discovery_and_read_are_recorded_as_read(
    prefect_api, tmp_path, monkeypatch
):
    """Grown, truncated, replaced, deleted, and replaced by a FIFO after discovery: each row
    records the bytes actually read (size, SHA-256 and mtime of the same bytes); a file that
    changed after discovery found it untouched is picked up by the next run."""
    from flows.process_articles import process_articles

    seeds = sorted((Path(__file__).parents[1] / "raw").glob("*.txt"))
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "kept.txt").write_bytes(seeds[0].read_bytes())
    hour_ago = time.time() - 3600
    os.utime(raw / "kept.txt", (hour_ago, hour_ago))
    assert process_articles(raw_dir=str(raw), out_dir=str(out))["articles_written"] == 1
    for name, seed in zip(
        ["grown.txt", "truncated.txt", "replaced.txt", "deleted.txt", "fifo.txt"],
        seeds[1:],
        strict=True,
    ):
        (raw / name).write_bytes(seed.read_bytes())

    marker = tmp_path / "reached"
    monkeypatch.setenv("ARTICLES_TEST_HOLD", f"scan:{marker}")

    def change_the_files() -> None:  # while the run waits after discovery
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        lines = (raw / "kept.txt").read_text().split("\n")
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))  # a body paragraph
        lines[longest] += " A sentence added after discovery found the file untouched."
        (raw / "kept.txt").write_text("\n".join(lines))
        with open(raw / "grown.txt", "a") as fh:
            fh.write("\nA paragraph added after discovery.\n")
        text = (raw / "truncated.txt").read_bytes()
        with open(raw / "truncated.txt", "r+b") as fh:
            fh.truncate(len(text) * 2 // 3)
        (tmp_path / "new.txt").write_bytes(seeds[4].read_bytes() + b"\nAnother ending.\n")
        os.replace(tmp_path / "new.txt", raw / "replaced.txt")
        (raw / "deleted.txt").unlink()
        (raw / "fifo.txt").unlink()
        os.mkfifo(raw / "fifo.txt")
        Path(f"{marker}.release").touch()

    changer = threading.Thread(target=change_the_files, daemon=True)
    changer.start()
    second = process_articles(raw_dir=str(raw), out_dir=str(out))
    changer.join(10)
    monkeypatch.delenv("ARTICLES_TEST_HOLD")
    assert marker.exists() and second["balanced"], second["accounting"]
    articles, rejects = _rows(out, "articles"), _rows(out, "quarantine")
    for name in ("grown.txt", "truncated.txt", "replaced.txt"):
        data, st = (raw / name).read_bytes(), (raw / name).stat()
        row = articles[name]
        assert row["source_size_bytes"] == len(data) == st.st_size, name
        assert row["source_sha256"] == hashlib.sha256(data).hexdigest(), name
        assert row["source_mtime_ns"] == st.st_mtime_ns, name
    assert "A paragraph added after discovery." in articles["grown.txt"]["body"]
    assert rejects["deleted.txt"]["error_class"] == "vanished"
    assert rejects["fifo.txt"]["error_class"] == "not_regular"
    assert rejects["fifo.txt"]["reason"] == (
        "fifo.txt: named pipe (FIFO), not a regular file: not read"
    )
    # kept.txt changed after discovery had found it untouched: this run kept its row ...
    assert articles["kept.txt"]["source_size_bytes"] == seeds[0].stat().st_size
    # ... and the next run picks the change up; the other rows stay as they are
    third = process_articles(raw_dir=str(raw), out_dir=str(out))
    assert third["balanced"] and third["articles_written"] == 1, third["accounting"]
    now = _rows(out, "articles")
    assert "after discovery found the file untouched" in now["kept.txt"]["body"]
    assert now["kept.txt"]["source_size_bytes"] == (raw / "kept.txt").stat().st_size
    for name in ("grown.txt", "truncated.txt", "replaced.txt"):
        assert now[name] == articles[name], name


def test_rows_of_an_older_schema_are_carried_in_the_current_one(tmp_path):
    """A dataset written before source_path_bytes existed: its carried rows get the column."""
    import pyarrow as pa

    from tasks.dataset import carry_over, read_quarantine
    from tasks.store import QUARANTINE_SCHEMA, write_table_atomic

    old = pa.schema([f for f in QUARANTINE_SCHEMA if not f.name.endswith("_bytes")])
    row = {
        "source_path": "gone.txt",
        "stage": "ingest",
        "error_class": "empty",
        "reason": "gone.txt: file is empty",
        "size_bytes": 0,
        "source_sha256": "0" * 64,
        "source_mtime_ns": 1,
        "duplicate_of": None,
        "processed_at": 0,
        "pipeline_version": "0.3.0",
    }
    out, staging = tmp_path / "out", tmp_path / "out" / ".staging-x"
    write_table_atomic(
        pa.Table.from_pylist([row], schema=old), out / "quarantine" / "part-a.parquet"
    )
    assert carry_over(out, staging, set(), dataset="quarantine") == 1
    (carried,) = read_quarantine(staging).to_pylist()
    assert carried["source_path"] == "gone.txt" and carried["source_path_bytes"] is None
    assert (
        pq.read_schema(staging / "quarantine" / "part-a.parquet").names == QUARANTINE_SCHEMA.names
    )
