"""SIGTERM and SIGINT end a run within seconds, with its flow run marked in Prefect.

What happens on a signal (``articles run``; an ``articles serve`` flow run is the same):

- Prefect's own handler (SIGTERM) or ours (SIGINT) raises in the flow's main thread; the
  flow unwinds: the worker processes are killed, not waited for (``tasks.workers``), nothing
  is committed, the run lock is released; Prefect's engine marks the flow run Crashed
  ("aborted by a termination/interrupt signal").
- The commit (a few renames) is not interrupted: a signal during it takes effect right after
  (``deferred``), so the output is always the previous dataset or the new one, never a mix.
- A watchdog ends the process ``GRACE`` seconds after the signal if it is still alive (work
  that cannot be interrupted, e.g. a batch running in a task thread), marking the flow run
  Crashed itself first. Only in a process that ``install``-ed our handlers (the CLI): a
  program that calls the flow itself keeps its process.
- The CLI exits with 128 + the signal number: 143 for SIGTERM, 130 for SIGINT.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import uuid
from collections.abc import Iterator

GRACE = 5.0  # seconds a run gets to end by itself after a signal


class Interrupted(KeyboardInterrupt):
    """The run got SIGTERM or SIGINT (``signum``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


def _signum(exc: BaseException) -> int:
    # Interrupted.signum; Prefect's TerminationSignal.signal; a bare KeyboardInterrupt: SIGINT
    return int(getattr(exc, "signum", None) or getattr(exc, "signal", None) or signal.SIGINT)


def is_signal(exc: BaseException) -> bool:
    """Whether ``exc`` is how a signal ended the run (ours, Prefect's or Python's)."""
    return isinstance(exc, KeyboardInterrupt) or type(exc).__name__ == "TerminationSignal"


def name(exc: BaseException) -> str:
    return signal.Signals(_signum(exc)).name


def exit_code(exc: BaseException) -> int:
    """128 + the signal that ended the run (as a shell reports a process killed by it)."""
    return 128 + _signum(exc)


def _raise(signum: int, frame) -> None:
    raise Interrupted(signum)


_owns_process = threading.Event()


def install() -> None:
    """Before the flow starts (CLI): SIGTERM and SIGINT raise ``Interrupted``. SIGINT too,
    even when a non-interactive shell started the process with it ignored. The process is
    then ours to end (the watchdog)."""
    _owns_process.set()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _raise)


_pending: list[int] = []
_deferring = threading.Event()
_after_commit = threading.Event()


def after_commit() -> bool:
    """Whether the signal arrived during the commit, which completed before the run ended."""
    return _after_commit.is_set()


@contextlib.contextmanager
def guard(flow_run_id: uuid.UUID | None, grace: float | None = GRACE) -> Iterator[None]:
    """Inside the flow (after Prefect installed its SIGTERM handler): each signal also starts
    the watchdog (``grace`` seconds; None: no watchdog); during ``deferred`` it waits for the
    end of the critical section."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are delivered to the main thread only
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum: int, frame) -> None:
        if _deferring.is_set():
            _pending.append(signum)
            return
        if grace is not None:
            _start_watchdog(signum, flow_run_id, grace)
        before = previous[signum]
        if callable(before):
            before(signum, frame)
        raise Interrupted(signum)

    for signum in previous:
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A critical section (the commit): a signal arriving in it takes effect at its end."""
    _deferring.set()
    try:
        yield
    finally:
        _deferring.clear()
        if _pending:
            _after_commit.set()
            signum = _pending[0]
            _pending.clear()
            os.kill(os.getpid(), signum)  # handled now, by the handlers in place


_watchdog_started = threading.Lock()


def _start_watchdog(signum: int, flow_run_id: uuid.UUID | None, grace: float) -> None:
    if not _owns_process.is_set() or not _watchdog_started.acquire(blocking=False):
        return
    threading.Thread(
        target=_watchdog,
        args=(signum, flow_run_id, grace),
        name="articles-signal-watchdog",
        daemon=True,
    ).start()


def _watchdog(signum: int, flow_run_id: uuid.UUID | None, grace: float) -> None:
    threading.Event().wait(grace)
    name = signal.Signals(signum).name
    message = f"interrupted by {name}; the run did not end within {grace:.0f} s: process ended"
    if flow_run_id is not None:
        with contextlib.suppress(Exception):
            from prefect.client.orchestration import get_client
            from prefect.states import Crashed

            with get_client(sync_client=True) as client:
                run = client.read_flow_run(flow_run_id)
                if run.state is None or not run.state.is_final():
                    client.set_flow_run_state(flow_run_id, Crashed(message=message), force=True)
    sys.stderr.write(f"articles: {message}\n")
    sys.stderr.flush()
    os._exit(128 + signum)
