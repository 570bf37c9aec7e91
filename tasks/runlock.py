"""One run at a time per output directory, and who was killed before.

Two ``articles run`` on the same ``--out`` (a nightly job still going when the next starts)
would each remove the other's staging directory as a leftover and fail, or commit over each
other. ``run_lock`` takes an exclusive ``flock`` on ``OUT_DIR/.run.lock`` for the whole run;
a second run fails at once with a message naming the first (its pid, start time and flow
run). The kernel drops the lock when its process dies, ``kill -9`` included, so a killed run
never blocks the next one.

The lock file also tells the next run whether the previous one ended: a run writes its
details into it and empties it when it finishes (successfully or with an error it survived).
A file still holding details when the lock is free was written by a run that was killed;
``RunLock.killed`` returns them so the flow can mark that run Crashed in Prefect (otherwise
it shows "Running" for ever).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock; runs are then not serialised
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".run.lock"


class AlreadyRunning(RuntimeError):
    """Another run holds the lock of this output directory."""


class RunLock:
    """An acquired lock on one output directory (``run_lock``)."""

    def __init__(self, path: Path, fd: int, killed: dict[str, Any] | None) -> None:
        self.path = path
        self._fd = fd
        # what the previous holder wrote, when it never finished (killed); else None
        self.killed = killed

    def describe(self, holder: dict[str, Any]) -> None:
        """Record this run's details (pid, start, flow run) for the next run to read."""
        data = json.dumps(holder, default=str).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def release(self) -> None:
        """The run is over (finished or failed, not killed): empty the file, drop the lock."""
        if self._fd < 0:
            return
        try:
            os.ftruncate(self._fd, 0)
        finally:
            if fcntl is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read(fd: int) -> dict[str, Any] | None:
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    try:
        value = json.loads(os.pread(fd, min(size, 1 << 16), 0))
    except ValueError:
        return {"detail": "unreadable lock file contents"}
    return value if isinstance(value, dict) else None


def run_lock(out_dir: Path) -> RunLock:
    """Take the run lock of ``out_dir`` (created if missing) or raise ``AlreadyRunning``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd) or {}
            os.close(fd)
            who = ", ".join(
                f"{key} {holder[key]}"
                for key in ("pid", "started", "flow_run_name", "flow_run_id")
                if holder.get(key)
            )
            raise AlreadyRunning(
                f"{out_dir} is being written by another run ({who or 'details not written yet'}):"
                " wait for it to finish, or write to another --out"
            ) from None
    return RunLock(path, fd, _read(fd))
