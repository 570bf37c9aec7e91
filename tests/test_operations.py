"""Operating the flow: a served deployment triggered from the Prefect CLI and stopped by SIGTERM,
a 2-worker local Dask run equal to a threaded run, the background server's start/status/stop,
and the run's page in the UI checked in a real headless Chromium (tools/ui_check.py).

Everything is real: the session's Prefect server (tests/conftest.py), ``articles serve`` and
``prefect deployment run`` as subprocesses, a Dask LocalCluster of 2 processes, Chromium.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import RAW, REPO, _free_port

BIN = Path(sys.executable).parent
ARTICLES = str(BIN / "articles")
PREFECT = str(BIN / "prefect")
SAMPLE_FILES = sorted(p.name for p in RAW.iterdir() if p.suffix == ".txt")


def _load_ui_check():
    spec = importlib.util.spec_from_file_location("ui_check", REPO / "tools" / "ui_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["ui_check"] = module
    spec.loader.exec_module(module)
    return module


ui_check = _load_ui_check()


def _env(api_url: str, tmp: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PREFECT_API_URL=api_url,
        ARGOS_PACKAGES_DIR=str(tmp / "argos-packages"),  # none installed: no_model, deterministic
        ARTICLES_CACHE_DIR=str(tmp / "cache"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        **extra,
    )
    return env


def _ignore_sigint() -> None:
    """What a non-interactive shell does to a command it starts with ``&``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _api(api_url: str, path: str, body: dict | None = None):
    req = urllib.request.Request(
        f"{api_url}/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def _group_alive(pgid: int) -> list[int]:
    """PIDs still in process group ``pgid`` (zombies excluded)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            alive.append(int(stat.parent.name))
    return alive


def _rows(out: Path) -> dict[str, list[dict]]:
    """Articles and quarantine rows sorted by source path, without the run's timestamps."""
    from tasks.dataset import read_articles, read_quarantine

    tables = {"articles": read_articles(out)}
    if (out / "quarantine").is_dir():
        tables["quarantine"] = read_quarantine(out)
    rows = {}
    for name, table in tables.items():
        table = table.drop_columns([c for c in ("processed_at",) if c in table.column_names])
        rows[name] = sorted(table.to_pylist(), key=lambda r: r["source_path"])
    return rows


# ---------------------------------------------------------------- the served deployment


@dataclass
class ServedRun:
    name: str
    flow_run_id: str
    trigger: subprocess.CompletedProcess
    out: Path
    serve_log: str
    serve_returncode: int | None
    group_left: list[int]


@pytest.fixture(scope="module")
def served_run(prefect_server, tmp_path_factory) -> ServedRun:
    """``articles serve`` in the background (SIGINT ignored, as from a script), one run
    triggered with ``prefect deployment run --watch``, then SIGTERM to the serve process."""
    tmp = tmp_path_factory.mktemp("served")
    raw = tmp / "raw"
    shutil.copytree(RAW, raw)
    out = tmp / "out"
    name = f"ops-{uuid.uuid4().hex[:8]}"
    env = _env(prefect_server, tmp, PREFECT_RUNNER_POLL_FREQUENCY="1")
    log = tmp / "serve.log"
    serve = subprocess.Popen(
        [ARTICLES, "serve", "--name", name],
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp,
        start_new_session=True,
        preexec_fn=_ignore_sigint,  # noqa: PLW1509
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and serve.poll() is None:
            try:
                _api(prefect_server, f"deployments/name/process-articles/{name}")
                break
            except urllib.error.HTTPError:
                time.sleep(0.5)
        assert serve.poll() is None, f"articles serve exited:\n{log.read_text()}"
        trigger = subprocess.run(
            [PREFECT, "deployment", "run", f"process-articles/{name}"]
            + ["--param", f"raw_dir={raw}", "--param", f"out_dir={out}", "--watch"],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            timeout=240,
        )
        found = re.search(r"UUID:\s*([0-9a-f-]{36})", trigger.stdout)
        assert found, trigger.stdout + trigger.stderr
        serve.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            serve.wait(timeout=30)
        returncode = serve.poll()
        time.sleep(0.5)  # let the multiprocessing resource tracker notice its parent is gone
        left = _group_alive(serve.pid)
        return ServedRun(name, found.group(1), trigger, out, log.read_text(), returncode, left)
    finally:
        if serve.poll() is None or _group_alive(serve.pid):
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)


def test_served_deployment_run_completes_and_writes_the_dataset(served_run, prefect_server):
    from tasks.dataset import read_articles

    assert served_run.trigger.returncode == 0, served_run.trigger.stdout + served_run.serve_log
    assert "Completed" in served_run.trigger.stdout
    run = _api(prefect_server, f"flow_runs/{served_run.flow_run_id}")
    assert run["state"]["type"] == "COMPLETED"
    assert run["parameters"]["out_dir"] == str(served_run.out)
    deployment = _api(prefect_server, f"deployments/{run['deployment_id']}")
    assert deployment["name"] == served_run.name
    summary = json.loads((served_run.out / "run_summary.json").read_text())
    assert summary["balanced"], summary["accounting"]
    articles = read_articles(served_run.out)
    assert sorted(articles.column("source_path").to_pylist()) == SAMPLE_FILES


def test_serve_stops_on_sigterm_even_with_sigint_ignored(served_run):
    # exited by itself (the fixture waits up to 30 s before SIGKILL), cleanly, nothing left over
    assert served_run.serve_returncode == 0, served_run.serve_log
    assert served_run.group_left == [], (
        f"processes left in the serve group: {served_run.group_left}"
    )
    assert "SIGTERM received" in served_run.serve_log


# ---------------------------------------------------------------- Dask


def test_two_worker_dask_run_equals_a_threaded_run(prefect_server, tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    tag = uuid.uuid4().hex[:8]
    procs = {}
    for kind, extra in (("threads", []), ("dask", ["--workers", "2"])):  # both at once
        out = tmp_path / f"out-{kind}-{tag}"
        cmd = [ARTICLES, "run", str(raw), "--out", str(out), "--batch-size", "2"]
        procs[kind] = (
            out,
            subprocess.Popen(
                [*cmd, "--json", "-q", "-v", *extra],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=_env(prefect_server, tmp_path / kind),
                cwd=REPO,
            ),
        )
    runs, logs = {}, {}
    for kind, (out, proc) in procs.items():
        try:
            stdout, logs[kind] = proc.communicate(timeout=240)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, logs[kind][-3000:]
        runs[kind] = (out, json.loads(stdout))

    (thr_out, thr), (dask_out, dsk) = runs["threads"], runs["dask"]
    assert thr["balanced"] and dsk["balanced"]
    assert dsk["batches"] == thr["batches"] >= 2
    for key in ("accounting", "languages", "translation_status", "quarantine_by_class"):
        assert dsk[key] == thr[key], key
    assert _rows(dask_out) == _rows(thr_out)
    assert len(_rows(dask_out)["articles"]) == len(SAMPLE_FILES)

    # the Dask run really ran on a 2-process Dask cluster (Prefect's log, shown with -v)
    assert "Creating a new Dask cluster" in logs["dask"], logs["dask"][-3000:]
    assert "Receive client connection: PrefectDaskClient" in logs["dask"]
    assert "Dask" not in logs["threads"]


# ---------------------------------------------------------------- the background server


def test_background_server_start_status_stop(tmp_path):
    port = _free_port()
    state = tmp_path / "state"
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env.update(PREFECT_HOME=str(tmp_path / "home"), ARTICLES_STATE_DIR=str(state))

    def articles(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [ARTICLES, *args, "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            preexec_fn=_ignore_sigint,  # noqa: PLW1509 (as started from a script)
        )

    pid_file = state / f"prefect-server-{port}.pid"
    started = articles("server", "start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"UI http://127.0.0.1:{port}" in started.stdout
        pid = int(pid_file.read_text())
        status = articles("server", "status")
        assert status.returncode == 0 and f"running (pid {pid})" in status.stdout
        # the UI is served, and configured to call this server's API (not port 4200)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=10) as r:
            assert json.loads(r.read())["api_url"] == f"http://127.0.0.1:{port}/api"
        assert _group_alive(pid)

        stopped = articles("server", "stop")
        assert stopped.returncode == 0, stopped.stdout
        # stop() sends SIGTERM and waits up to 20 s before it would SIGKILL and say "killed"
        assert f"Prefect server (pid {pid}) stopped" in stopped.stdout, stopped.stdout
        assert not pid_file.exists()
        assert _group_alive(pid) == []
        status = articles("server", "status")
        assert status.returncode == 3 and "not running" in status.stdout
    finally:
        if pid_file.exists():
            os.killpg(int(pid_file.read_text()), signal.SIGKILL)


# ---------------------------------------------------------------- the UI in Chromium

# skipped only when no Chromium is found; CI sets ARTICLES_REQUIRE_CHROMIUM=1 so a missing
# browser fails there (ui_check exits 2 with "no chromium binary found") instead of skipping
needs_chromium = pytest.mark.skipif(
    ui_check.find_chromium() is None and not os.environ.get("ARTICLES_REQUIRE_CHROMIUM"),
    reason="no chromium binary on PATH or in $CHROMIUM (apt-get install -y chromium)",
)


@needs_chromium
def test_ui_shows_the_served_run(served_run, prefect_server, tmp_path):
    shot = tmp_path / "run.png"
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "ui_check.py")]
        + ["--api", prefect_server, "--run", served_run.flow_run_id, "--screenshot", str(shot)]
        + ["--expect", "process-articles", "--expect", served_run.name],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "off loopback: 0" in proc.stdout
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000


@needs_chromium
def test_ui_check_fails_on_a_failed_run(prefect_api, tmp_path, capsys):
    from prefect import flow

    name = f"ops-failing-{uuid.uuid4().hex[:8]}"

    @flow(name="ops-check-failing", flow_run_name=name, persist_result=False)
    def failing() -> None:
        raise ValueError("this run fails on purpose")

    with pytest.raises(ValueError):
        failing()
    shot = tmp_path / "failed.png"
    code = ui_check.main(
        ["--api", prefect_api, "--run", name, "--screenshot", str(shot), "--timeout", "60"]
    )
    assert code == 1
    assert "the page shows the run in state 'Failed'" in capsys.readouterr().err
    assert shot.read_bytes().startswith(b"\x89PNG")
    result = ui_check.resolve_run(prefect_api, name)
    assert result.state_name == "Failed"
