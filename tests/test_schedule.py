"""``articles serve --interval/--cron``: the deployment carries Prefect's own schedule, its
scheduled runs write the dataset, and a scheduled run that overlaps the previous one on the
same output fails at once with a state message naming that run (issue 12)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from flows.server import parse_interval

ARTICLES = str(Path(sys.executable).parent / "articles")
RAW = Path(__file__).parents[1] / "raw"


def _api(api_url: str, path: str, body: dict | None = None):
    req = urllib.request.Request(
        f"{api_url}/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        data = resp.read()
    return json.loads(data) if data else None


def test_interval_parsing():
    assert [parse_interval(t) for t in ("90", "90s", "15m", "6h", "1d")] == [
        90,
        90,
        900,
        21600,
        86400,
    ]


def test_scheduled_runs_and_an_overlapping_one_failing_in_the_ui(prefect_server, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(RAW, raw)
    name = f"nightly-{uuid.uuid4().hex[:8]}"
    marker = tmp_path / "held"
    env = dict(
        os.environ,
        PREFECT_API_URL=prefect_server,
        PREFECT_RUNNER_POLL_FREQUENCY="1",
        ARGOS_PACKAGES_DIR=str(tmp_path / "argos"),
        ARTICLES_CACHE_DIR=str(tmp_path / "cache"),
        # the first scheduled run waits in its process pass until the test lets it go on
        ARTICLES_TEST_HOLD=f"process:{marker}",
    )
    log = tmp_path / "serve.log"
    cmd = [ARTICLES, "serve", "--name", name, "--interval", "10s"]
    cmd += ["--raw", str(raw), "--out", str(out)]
    serve = subprocess.Popen(
        cmd,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    try:
        deployment = None
        deadline = time.monotonic() + 120
        while deployment is None and time.monotonic() < deadline and serve.poll() is None:
            with contextlib.suppress(urllib.error.HTTPError):
                deployment = _api(prefect_server, f"deployments/name/process-articles/{name}")
            time.sleep(0.5)
        assert deployment is not None, log.read_text()
        t0 = time.monotonic()
        (schedule,) = deployment["schedules"]
        assert schedule["schedule"]["interval"] == 10.0
        assert deployment["parameters"] == {"raw_dir": str(raw), "out_dir": str(out)}
        # the server's scheduler service would create the runs within 60 s; its own function
        # (the same as the service's) creates the next two now; the serve process runs them
        _api(
            prefect_server,
            f"deployments/{deployment['id']}/schedule",
            {"min_runs": 2, "max_runs": 2},
        )

        def runs() -> list[dict]:
            body = {"deployments": {"id": {"any_": [deployment["id"]]}}, "sort": "START_TIME_ASC"}
            return _api(prefect_server, "flow_runs/filter", body)

        deadline = time.monotonic() + 180
        failed = []
        while time.monotonic() < deadline and not failed:
            failed = [r for r in runs() if r["state"]["type"] == "FAILED"]
            time.sleep(0.5)
        print(f"first overlap failed {time.monotonic() - t0:.1f} s after the deployment")
        while not marker.exists() and time.monotonic() < deadline:  # the winner gets there
            time.sleep(0.2)
        assert marker.exists(), log.read_text()
        assert failed, [r["state"] for r in runs()]
        holder = next(r for r in runs() if r["state"]["type"] == "RUNNING")
        assert all(r["auto_scheduled"] for r in (holder, *failed))
        message = failed[0]["state"]["message"]
        assert f"{out} is being written by another run" in message, message
        assert holder["id"] in message, message  # names the run that holds the output

        Path(f"{marker}.release").touch()  # the first run goes on and writes the dataset
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            state = _api(prefect_server, f"flow_runs/{holder['id']}")["state"]
            if state["type"] != "RUNNING":
                break
            time.sleep(0.5)
        print(f"held run completed {time.monotonic() - t0:.1f} s after the deployment")
        assert state["type"] == "COMPLETED", state
        assert (out / "articles").is_dir()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)
