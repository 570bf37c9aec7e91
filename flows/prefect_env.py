"""Prepare Prefect's environment before Prefect is imported.

- ``PREFECT_API_URL`` set by the user: used as is.
- Otherwise, a healthy local server on 127.0.0.1:<port> (``articles server start``): runs are
  sent there and show in its UI (~4.5 s per run).
- Otherwise Prefect starts a temporary API server for the run (15-22 s): we raise its start-up
  timeout (a fresh ``PREFECT_HOME`` needs more than the default 20 s) and turn analytics off.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass

DEFAULT_PORT = 4200
HOST = "127.0.0.1"


def port_from_env(port: int | None = None) -> int:
    return int(port or os.environ.get("ARTICLES_SERVER_PORT") or DEFAULT_PORT)


def api_url(port: int) -> str:
    return f"http://{HOST}:{port}/api"


def healthy(url: str, timeout: float = 0.5) -> bool:
    """True when a Prefect API answers ``/health`` at ``url`` (only loopback is ever asked)."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as resp:  # noqa: S310
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass(frozen=True)
class Mode:
    kind: str  # "configured", "local-server", "temporary"
    api_url: str | None

    def describe(self) -> str:
        if self.kind == "configured":
            return f"Prefect API: {self.api_url} (PREFECT_API_URL)"
        if self.kind == "local-server":
            ui = self.api_url.removesuffix("/api") if self.api_url else ""
            return f"Prefect API: local server {self.api_url}; watch the run at {ui}"
        return (
            "Prefect API: temporary server for this run (adds ~15-20 s). "
            "For the UI and faster runs: articles server start"
        )


def _quiet_defaults(verbose: bool) -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Prefect's client-side SDK telemetry: this pipeline never talks to the internet
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if not verbose:  # the terminal shows our progress bar; the API still gets every log line
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")


def prepare(port: int | None = None, verbose: bool = False) -> Mode:
    """Choose where the run's records go; must run before ``import prefect``."""
    _quiet_defaults(verbose)
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        return Mode("configured", configured)
    url = api_url(port_from_env(port))
    if healthy(url):
        os.environ["PREFECT_API_URL"] = url
        return Mode("local-server", url)
    return Mode("temporary", None)
