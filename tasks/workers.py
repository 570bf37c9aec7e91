"""Worker processes for the CPU-bound batch work (cleaning, language detection).

The stages are pure Python and hold the GIL, so threads of one process use one core. A run
therefore starts ``Settings.processes`` worker processes (``worker_pool``) and each batch task
hands its whole batch (``tasks.pipeline``) to one of them: the file paths go in, a small report
comes back, and the articles never travel between processes (the worker writes its own Parquet
part). Prefect tasks still run on the flow's thread runner, so the UI, logs and states are
unchanged; Prefect's own ``ProcessPoolTaskRunner`` was measured at ~115 ms per task run against
~7 ms on threads, and it would ship every stage's batch back to the flow.

Workers start from a ``forkserver`` that imports the stage modules once; each worker loads the
site profiles and the language models in its initializer (once per process, never per
article). A worker exits on its own within a second when the process that started it dies
(``kill -9`` of a run must not leave workers writing into the output directory).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

R = TypeVar("R")

_PRELOAD = ["tasks.pipeline"]  # the stages, without Prefect


def resolve_processes(requested: int) -> int:
    """``requested`` worker processes; 0 means one per CPU core available to this process."""
    if requested > 0:
        return requested
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _watch_parent(pid: int, interval: float = 0.5) -> None:
    while True:
        time.sleep(interval)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # exists, owned by someone else: the pid was reused
            os._exit(1)


def _init_worker(parent_pid: int, lang_seed: int) -> None:
    # Ctrl-C reaches the whole process group: the run's process stops the workers (no
    # KeyboardInterrupt traceback from each of them)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    from tasks.pipeline import warm_up

    warm_up(lang_seed)


class _LazyPool:
    """A process pool started on first use: a run with nothing to do for the workers (an
    unchanged corpus) does not pay for starting them."""

    def __init__(self, processes: int, lang_seed: int) -> None:
        self.processes = processes
        self.lang_seed = lang_seed
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(_PRELOAD)
                self._executor = ProcessPoolExecutor(
                    max_workers=self.processes,
                    mp_context=ctx,
                    initializer=_init_worker,
                    initargs=(os.getpid(), self.lang_seed),
                )
            return self._executor

    def terminate(self) -> None:
        """The run was interrupted: kill the workers instead of waiting for their batches
        (whatever they were writing is in the staging directory, which is never committed)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        # Python 3.14 has ProcessPoolExecutor.kill_workers(); before it, the processes are
        # in the executor's ``_processes`` (pid -> multiprocessing.Process), 3.8 to 3.13
        processes = list((getattr(executor, "_processes", None) or {}).values())
        kill = getattr(executor, "kill_workers", None)
        if kill is not None:
            kill()
        for process in processes:
            with contextlib.suppress(OSError, ValueError):
                process.kill()
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            with contextlib.suppress(OSError, ValueError, AssertionError):
                process.join(2)

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


_POOLS: dict[str, _LazyPool] = {}


@contextmanager
def worker_pool(processes: int, lang_seed: int = 0) -> Iterator[str | None]:
    """``processes`` worker processes for the duration of the block, started on first use.

    Yields a token to pass to ``run_in_worker`` (plain text, so it can be a task argument);
    ``None`` when ``processes <= 1``: the work then runs in the calling thread.
    """
    if processes <= 1:
        yield None
        return
    token = uuid.uuid4().hex
    pool = _POOLS[token] = _LazyPool(processes, lang_seed)
    try:
        yield token
    except BaseException as exc:
        if not isinstance(exc, Exception):  # a signal (KeyboardInterrupt, TerminationSignal)
            pool.terminate()
        raise
    finally:
        _POOLS.pop(token, None)
        pool.shutdown()


def run_in_worker(token: str | None, fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` in a worker process of the pool ``token``, or here without one.

    A token from another process (a Dask worker running the task) is unknown here: the work
    then runs in this process, which is the right place on a distributed runner.
    """
    pool = _POOLS.get(token) if token else None
    if pool is None:
        return fn(*args)
    future: Future[R] = pool.get().submit(fn, *args)
    try:
        return future.result()
    except BrokenProcessPool as exc:
        raise RuntimeError(
            "a worker process died while starting or running a batch (killed, out of memory, "
            "or the main module re-ran the pipeline on import: call the flow from your own "
            "script under `if __name__ == '__main__':`); --processes 1 runs without workers"
        ) from exc
