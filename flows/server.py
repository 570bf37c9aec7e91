"""A local Prefect server in the background (``articles server start|stop|status``) and the
served deployment of ``process-articles`` (``articles serve``).

The server listens on 127.0.0.1 only. Its PID and log files live in
``$ARTICLES_STATE_DIR`` (default ``~/.cache/news-articles-pipeline``) as
``prefect-server-<port>.pid`` / ``.log``, one pair per port: ``stop`` and ``status`` without
``--port`` find every server ``articles`` started, on any port. ``PREFECT_UI_API_URL`` is set to the server's own API
URL, so the UI works on any port (without it the UI calls port 4200).

Background processes started from a non-interactive shell inherit SIGINT as "ignored", and
Prefect turns SIGTERM into SIGINT: we restore SIGINT's default handler in the child, so
``stop`` (SIGTERM to the process group) really stops it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

from flows import prefect_env


def state_dir() -> Path:
    base = os.environ.get("ARTICLES_STATE_DIR")
    if base:
        return Path(base)
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "news-articles-pipeline"


def pid_file(port: int) -> Path:
    return state_dir() / f"prefect-server-{port}.pid"


def log_file(port: int) -> Path:
    return state_dir() / f"prefect-server-{port}.log"


def _restore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _read_pid(port: int) -> int | None:
    try:
        pid = int(pid_file(port).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def started_servers() -> list[tuple[int, int]]:
    """``(port, pid)`` of every server ``articles server start`` started that is still alive
    (its state file names it); state files of dead servers are removed."""
    found = []
    for path in sorted(state_dir().glob("prefect-server-*.pid")):
        try:
            port = int(path.stem.removeprefix("prefect-server-"))
        except ValueError:
            continue
        pid = _read_pid(port)
        if pid is None:
            path.unlink(missing_ok=True)
        else:
            found.append((port, pid))
    return found


def stop_command(port: int) -> str:
    """The command that stops the server on ``port``."""
    default = prefect_env.port_from_env(None)
    return "articles server stop" + ("" if port == default else f" --port {port}")


def start(port: int, timeout: float = 90.0) -> int:
    url = prefect_env.api_url(port)
    if prefect_env.healthy(url):
        print(f"Prefect server already running: UI http://{prefect_env.HOST}:{port}")
        return 0
    state_dir().mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    env["PREFECT_UI_API_URL"] = url
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("PREFECT_SERVER_API_HOST", prefect_env.HOST)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", prefect_env.HOST]
    cmd += ["--port", str(port)]
    log = log_file(port).open("ab")
    proc = subprocess.Popen(  # noqa: S603
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
        preexec_fn=_restore_sigint,  # noqa: PLW1509
    )
    pid_file(port).write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"Prefect server exited with code {proc.returncode}; see {log_file(port)}")
            pid_file(port).unlink(missing_ok=True)
            return 1
        if prefect_env.healthy(url, timeout=1.0):
            print(f"Prefect server running (pid {proc.pid}): UI http://{prefect_env.HOST}:{port}")
            print(f"  API {url}; log {log_file(port)}; stop with: {stop_command(port)}")
            return 0
        time.sleep(0.5)
    print(f"Prefect server not healthy after {timeout:.0f} s; see {log_file(port)}")
    return 1


def stop(port: int | None = None, timeout: float = 20.0) -> int:
    """Stop the server ``articles`` started on ``port``, or (None) every one it started.
    Exit code 0 when at least one was stopped, 1 when there was none to stop."""
    if port is None:
        servers = started_servers()
        if not servers:
            print(f"no Prefect server started by articles is running (state in {state_dir()})")
            return 1
        return max(_stop_one(p, timeout) for p, _ in servers)
    if _read_pid(port) is None:
        pid_file(port).unlink(missing_ok=True)
        others = ", ".join(f"{stop_command(p)} (pid {pid})" for p, pid in started_servers())
        print(
            f"no Prefect server started by articles on port {port}"
            + (f"; running: {others}" if others else "")
        )
        return 1
    return _stop_one(port, timeout)


def _stop_one(port: int, timeout: float) -> int:
    pid = _read_pid(port)
    if pid is None:
        return 1
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _read_pid(port) is not None:
        _reap(pid)
        time.sleep(0.2)
    if _read_pid(port) is not None:
        os.killpg(pid, signal.SIGKILL)
        print(f"Prefect server (pid {pid}) did not stop on SIGTERM; killed")
    else:
        print(f"Prefect server (pid {pid}) stopped (port {port})")
    pid_file(port).unlink(missing_ok=True)
    return 0


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def status(port: int | None = None) -> int:
    """The server on ``port``, or (None) every server ``articles`` started plus whatever
    answers on the default port. Exit code 0 when one is running, 3 when none is."""
    if port is None:
        default = prefect_env.port_from_env(None)
        ports = [p for p, _ in started_servers()]
        if not ports:
            return _status_one(default)
        if default not in ports and prefect_env.healthy(prefect_env.api_url(default)):
            ports.append(default)
        return min([_status_one(p) for p in ports])
    return _status_one(port)


def _status_one(port: int) -> int:
    url = prefect_env.api_url(port)
    pid = _read_pid(port)
    if prefect_env.healthy(url):
        owner = f"pid {pid}" if pid else "not started by articles"
        print(f"running ({owner}): UI http://{prefect_env.HOST}:{port}, API {url}")
        return 0
    print(f"not running on port {port}" + (f" (pid {pid} alive but not healthy)" if pid else ""))
    return 3


def main(args: argparse.Namespace) -> int:
    if args.action == "start":
        return start(prefect_env.port_from_env(args.port))
    # --port or ARTICLES_SERVER_PORT: that server; neither: every server articles started
    port = args.port or (
        int(os.environ["ARTICLES_SERVER_PORT"]) if os.environ.get("ARTICLES_SERVER_PORT") else None
    )
    return {"stop": stop, "status": status}[args.action](port)


def parse_interval(text: str) -> float:
    """``--interval``: seconds, or a number with a unit: 90, 90s, 15m, 6h, 1d."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    factor = units.get(text[-1:])
    value = float(text[:-1] if factor else text) * (factor or 1)
    if value <= 0:
        raise ValueError(f"interval must be positive: {text!r}")
    return value


def schedules(args: argparse.Namespace) -> list:
    """The deployment's Prefect schedules from ``--cron`` / ``--interval`` (none: served for
    runs triggered by hand, as before)."""
    from prefect.schedules import Cron, Interval

    found = []
    if getattr(args, "cron", None):
        found.append(Cron(args.cron, timezone=args.timezone))
    if getattr(args, "interval", None):
        found.append(Interval(parse_interval(args.interval), timezone=args.timezone))
    return found


def serve(args: argparse.Namespace) -> int:
    """Serve the deployment ``process-articles/<name>`` until stopped (SIGINT or SIGTERM).

    The runner polls the API for runs every ``PREFECT_RUNNER_POLL_FREQUENCY`` seconds (10 by
    default) and runs each flow run in a subprocess. On SIGTERM Prefect's runner pauses the
    deployment and exits 0 (~3 s); SIGINT (Ctrl-C) works too, even when the process was started
    in the background by a non-interactive shell (which starts it with SIGINT ignored).

    ``--cron``/``--interval``: Prefect's own schedule on the deployment (the server creates the
    runs, this process runs them: no system cron needed), with ``--raw``/``--out`` (absolute)
    as the scheduled runs' parameters. A scheduled run that finds the previous one still
    writing the output fails at once, its state message naming that run.
    """
    try:
        planned = schedules(args)
    except Exception as exc:  # a bad cron string, timezone or interval
        print(f"articles serve: {exc}")
        return 2
    mode = prefect_env.prepare(port=args.port, verbose=True)
    if mode.kind == "temporary":
        print(
            "articles serve needs a Prefect server: run `articles server start` first "
            "(or set PREFECT_API_URL)"
        )
        return 1
    if not prefect_env.healthy(mode.api_url or "", timeout=5.0):
        print(f"articles serve: the Prefect API {mode.api_url} does not answer /health")
        return 1
    _restore_sigint()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # Prefect's SIGTERM handler calls the async-dispatched Runner.stop() from sync code and then
    # exits; the un-awaited coroutine it leaves is harmless, its warning is noise.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    from flows.process_articles import process_articles

    raw = str(Path(args.raw).resolve())
    out = str(Path(args.out).resolve())
    print(f"serving process-articles/{args.name} ({mode.api_url})")
    for schedule in planned:
        when = f"cron {schedule.cron!r}" if schedule.cron else f"every {schedule.interval}"
        print(f"  scheduled: {when} ({schedule.timezone or 'UTC'}): {raw} -> {out}")
    print(
        f"  trigger it with: prefect deployment run 'process-articles/{args.name}' "
        "--param raw_dir=$PWD/raw --param out_dir=$PWD/processed --watch"
    )
    print("  (paths are read by this process: give absolute ones); stop with Ctrl-C or SIGTERM")
    options: dict = {"name": args.name}
    if planned:
        options.update(schedules=planned, parameters={"raw_dir": raw, "out_dir": out})
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the runner took over
        process_articles.serve(**options)
    return 0
