"""Check that a flow run shows in the local Prefect UI, in a real headless Chromium.

    python tools/ui_check.py --api http://127.0.0.1:4200/api --run <flow-run-id-or-name> \\
        [--screenshot run.png] [--expect TEXT ...] [--timeout 60]

1. Resolves the run through the REST API (``GET /flow_runs/<id>`` or the name filter).
2. Starts Debian's headless Chromium with a new empty profile, name resolution disabled for
   everything but loopback, and the DevTools protocol on a free loopback port.
3. Loads ``http://127.0.0.1:<port>/runs/flow-run/<id>``, waits until the page heading shows the
   run's name and the state "Completed" and the page text contains every ``--expect`` text, and
   saves a PNG screenshot.
4. Exits 0 when everything was found and the page made no request off loopback; otherwise
   prints what is missing (with an excerpt of the page text) and exits 1 (2: bad arguments,
   run not found, or no Chromium).

The DevTools protocol is spoken over the ``websockets`` package, which Prefect already depends on.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    # every name except localhost fails to resolve: the browser cannot reach the network
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
)
BODY_TEXT = "document.body ? document.body.innerText : ''"
# the flow run page's header: breadcrumbs (run name) and the state badge
HEADING_TEXT = "(document.querySelector('.page-heading') || {innerText: ''}).innerText"
FINAL_STATES = ("Completed", "Failed", "Crashed", "Cancelled", "TimedOut")
LOOPBACK_PREFIXES = (
    "http://127.",
    "https://127.",
    "http://localhost",
    "ws://127.",
    "ws://localhost",
)
LOCAL_SCHEMES = ("data:", "blob:", "about:", "chrome:", "devtools:")


class CheckError(Exception):
    """A failed check: the message says what is wrong."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium binary: ``explicit``, ``$CHROMIUM``, or the first of CHROMIUM_NAMES on PATH."""
    for candidate in (explicit, os.environ.get("CHROMIUM")):
        if candidate:
            return shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


# ---------------------------------------------------------------- Prefect REST API


def _api(api_url: str, path: str, body: dict | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{api_url.rstrip('/')}/{path.lstrip('/')}",
        data=data,
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 (loopback API)
        return json.loads(resp.read())


@dataclass(frozen=True)
class FlowRun:
    id: str
    name: str
    state_name: str | None


def resolve_run(api_url: str, run: str) -> FlowRun:
    """Find a flow run by id, or by exact name (the newest of that name)."""
    try:
        uuid.UUID(run)
        is_id = True
    except ValueError:
        is_id = False
    try:
        if is_id:
            found = _api(api_url, f"flow_runs/{run}")
        else:
            body = {"flow_runs": {"name": {"any_": [run]}}, "sort": "START_TIME_DESC", "limit": 1}
            rows = _api(api_url, "flow_runs/filter", body)
            if not rows:
                raise CheckError(f"no flow run named {run!r} at {api_url}", code=2)
            found = rows[0]
    except urllib.error.HTTPError as exc:
        raise CheckError(f"flow run {run!r} not found at {api_url} ({exc})", code=2) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CheckError(f"Prefect API {api_url} does not answer: {exc}", code=2) from exc
    assert isinstance(found, dict)
    state = found.get("state") or {}
    return FlowRun(id=found["id"], name=found["name"], state_name=state.get("name"))


def ui_url(api_url: str, run_id: str) -> str:
    """The run's page in the UI that the server at ``api_url`` serves."""
    parts = urllib.parse.urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/runs/flow-run/{run_id}"


# ---------------------------------------------------------------- Chromium + DevTools


@dataclass
class Browser:
    proc: subprocess.Popen
    profile: Path
    port: int


def launch(chromium: str, width: int = 1440, height: int = 1000, timeout: float = 30) -> Browser:
    """Start headless Chromium with a new empty profile and DevTools on a free loopback port."""
    profile = Path(tempfile.mkdtemp(prefix="ui-check-profile-"))
    cmd = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    proc = subprocess.Popen(  # noqa: S603
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(profile / "chromium.log").open("wb"),
        start_new_session=True,
    )
    browser = Browser(proc, profile, 0)
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = (profile / "chromium.log").read_text(errors="replace")[-2000:]
            close(browser)
            raise CheckError(f"chromium exited with code {proc.returncode}:\n{log}", code=2)
        with contextlib.suppress(OSError, ValueError, IndexError):
            browser.port = int(active.read_text().splitlines()[0])
            return browser
        time.sleep(0.1)
    close(browser)
    raise CheckError(f"chromium did not open its DevTools port within {timeout:.0f} s", code=2)


def close(browser: Browser) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(browser.proc.pid, signal.SIGTERM)
    try:
        browser.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(browser.proc.pid, signal.SIGKILL)
        browser.proc.wait(timeout=10)
    shutil.rmtree(browser.profile, ignore_errors=True)


@dataclass
class DevTools:
    """A minimal Chrome DevTools protocol client for one page target."""

    ws: object
    next_id: int = 0
    requests: list[str] = field(default_factory=list)

    @classmethod
    def connect(cls, browser: Browser) -> DevTools:
        from websockets.sync.client import connect

        with urllib.request.urlopen(  # noqa: S310 (loopback DevTools endpoint)
            f"http://127.0.0.1:{browser.port}/json/list", timeout=10
        ) as resp:
            targets = json.loads(resp.read())
        page = next(t for t in targets if t.get("type") == "page")
        return cls(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10))

    def call(self, method: str, timeout: float = 30, **params) -> dict:
        self.next_id += 1
        msg_id = self.next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CheckError(f"DevTools call {method} timed out")
            msg = json.loads(self.ws.recv(timeout=remaining))
            if msg.get("method") == "Network.requestWillBeSent":
                self.requests.append(msg["params"]["request"]["url"])
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CheckError(f"DevTools {method} failed: {msg['error']}")
                return msg.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def _final_state(heading: str) -> str | None:
    """The terminal state named on its own line in the page heading, if any."""
    lines = {line.strip() for line in heading.splitlines()}
    return next((s for s in FINAL_STATES if s in lines), None)


def off_loopback(urls: list[str]) -> list[str]:
    return [u for u in urls if not u.startswith(LOOPBACK_PREFIXES + LOCAL_SCHEMES)]


# ---------------------------------------------------------------- the check


@dataclass
class Result:
    url: str
    run: FlowRun
    screenshot: Path
    found: dict[str, bool]
    requests: list[str]
    text: str
    heading: str
    seconds: float

    @property
    def external(self) -> list[str]:
        return off_loopback(self.requests)

    @property
    def ok(self) -> bool:
        return all(self.found.values()) and not self.external


def check(
    api_url: str,
    run: str,
    screenshot: Path,
    expect: tuple[str, ...] = (),
    timeout: float = 60,
    chromium: str | None = None,
    settle: float = 1.5,
) -> Result:
    """Load the run's page in headless Chromium; wait for the texts; save a screenshot."""
    binary = find_chromium(chromium)
    if binary is None:
        raise CheckError(
            "no chromium binary found (tried $CHROMIUM, " + ", ".join(CHROMIUM_NAMES) + "); "
            "install it: apt-get install -y chromium",
            code=2,
        )
    flow_run = resolve_run(api_url, run)
    url = ui_url(api_url, flow_run.id)
    wanted = (flow_run.name, "Completed", *expect)
    started = time.monotonic()
    browser = launch(binary)
    tools: DevTools | None = None
    text = heading = ""
    found = dict.fromkeys(wanted, False)
    try:
        tools = DevTools.connect(browser)
        tools.call("Network.enable")
        tools.call("Page.enable")
        tools.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = tools.evaluate(BODY_TEXT) or ""
            heading = tools.evaluate(HEADING_TEXT) or ""
            # the run's name and state must be in the page heading (not just in a log line)
            found = {w: w in (heading if i < 2 else text) for i, w in enumerate(wanted)}
            if all(found.values()):
                break
            if str(tools.evaluate("location.href")).startswith("chrome-error:"):
                break  # the server did not answer: no point waiting
            if flow_run.name in heading and _final_state(heading) not in (None, "Completed"):
                break  # the run ended in another state: it will not turn Completed
            time.sleep(0.5)
        if all(found.values()):
            time.sleep(settle)  # let the task graph and charts finish drawing for the screenshot
            text = tools.evaluate(BODY_TEXT) or text
        shot = tools.call("Page.captureScreenshot", format="png")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        requests = list(tools.requests)
    finally:
        if tools is not None:
            tools.close()
        close(browser)
    return Result(
        url, flow_run, screenshot, found, requests, text, heading, time.monotonic() - started
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", default=os.environ.get("PREFECT_API_URL"), help="Prefect API URL")
    parser.add_argument("--run", required=True, help="flow run id, or exact flow run name")
    parser.add_argument("--screenshot", type=Path, default=Path("flow-run.png"))
    parser.add_argument("--expect", action="append", default=[], help="more text the page shows")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the texts")
    parser.add_argument("--chromium", default=None, help="Chromium binary (default: on PATH)")
    args = parser.parse_args(argv)
    if not args.api:
        print("ui_check: give --api or set PREFECT_API_URL", file=sys.stderr)
        return 2
    try:
        result = check(
            args.api,
            args.run,
            args.screenshot,
            tuple(args.expect),
            timeout=args.timeout,
            chromium=args.chromium,
        )
    except CheckError as exc:
        print(f"ui_check: FAILED: {exc}", file=sys.stderr)
        return exc.code
    print(f"page: {result.url}")
    print(f"run: {result.run.name} ({result.run.id}), API state {result.run.state_name}")
    print(f"screenshot: {result.screenshot} ({result.seconds:.1f} s)")
    print(f"requests: {len(result.requests)}, off loopback: {len(result.external)}")
    if result.ok:
        print("ui_check: OK: the page shows " + ", ".join(repr(w) for w in result.found))
        return 0
    missing = [w for w, ok in result.found.items() if not ok]
    if missing:
        shown = _final_state(result.heading)
        if shown and shown != "Completed":
            print(f"ui_check: FAILED: the page shows the run in state {shown!r}", file=sys.stderr)
        excerpt = " | ".join(line.strip() for line in result.text.splitlines() if line.strip())
        print(
            f"ui_check: FAILED: the page does not show {missing} "
            f"(API state: {result.run.state_name}); page text: {excerpt[:1500]!r}",
            file=sys.stderr,
        )
    if result.external:
        print(
            f"ui_check: FAILED: the page requested off loopback: {result.external}", file=sys.stderr
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
