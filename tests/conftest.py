"""Shared test fixtures: a network guard for the whole suite and paths to the sample data."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "raw"
SEED_000 = RAW / "000_97d7f0275bbc7544.txt"
SEED_001 = RAW / "001_79f51291709821a0.txt"

_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _check(address) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        if not host.startswith(_LOOPBACK):
            raise RuntimeError(f"network access blocked in tests: {address!r}")


def _guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if host is not None and not str(host).startswith(_LOOPBACK) and host not in ("", "0.0.0.0"):
        raise RuntimeError(f"network access blocked in tests: name lookup of {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_configure(config):
    """Block every non-loopback connection and name lookup for the whole test session."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _drain_prefect_services() -> None:
    """Send the logs and events Prefect's background services still hold to the session's
    server before it stops (else they fail at interpreter exit: "All connection attempts
    failed")."""
    import sys

    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=10)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """A real local Prefect server (``articles server start``) on a free loopback port.

    Started once per session (~10 s); every flow test sends its runs there. Yields the API URL.
    """
    import os

    from flows import server

    home = tmp_path_factory.mktemp("prefect-home")
    saved = {
        k: os.environ.get(k) for k in ("PREFECT_HOME", "ARTICLES_STATE_DIR", "PREFECT_API_URL")
    }
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["ARTICLES_STATE_DIR"] = str(home / "state")
    os.environ.pop("PREFECT_API_URL", None)
    port = _free_port()
    assert server.start(port, timeout=120) == 0, (home / "state").glob("*.log")
    url = f"http://127.0.0.1:{port}/api"
    os.environ["PREFECT_API_URL"] = url
    try:
        yield url
    finally:
        _drain_prefect_services()
        assert server.stop(port) == 0
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def prefect_api(prefect_server):
    """Point in-process Prefect at the session's server for one test."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        yield prefect_server
