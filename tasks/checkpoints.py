"""A test hook: hold a run at a named phase, so a test can signal it there deterministically.

``ARTICLES_TEST_HOLD=<phase>:<marker file>`` (set only by tests): the first process to reach
``checkpoint(<phase>)`` writes its pid into the marker file and then waits (up to 10 min) for
the test to signal the run, or for the test to create ``<marker file>.release`` (then the run
goes on: the test changed the input meanwhile). Unset, ``checkpoint`` is one dictionary lookup, called once per
batch (never per file). Phases: ``scan`` and ``process`` (a batch of pass 1 / pass 2 in a
worker process), ``translate`` (pass 2, before translation), ``commit`` (the flow's process,
before the dataset is committed).
"""

from __future__ import annotations

import os
import time

ENV = "ARTICLES_TEST_HOLD"


def checkpoint(phase: str) -> None:
    """Hold here when a test asked for ``phase`` (see the module's docstring)."""
    hold = os.environ.get(ENV)
    if not hold:
        return
    name, _, marker = hold.partition(":")
    if name != phase or not marker:
        return
    tmp = f"{marker}.{os.getpid()}"
    with open(tmp, "w") as fh:
        fh.write(f"{os.getpid()}\n")
    try:
        os.link(tmp, marker)  # atomic, and only the first process to get here succeeds
    except FileExistsError:
        pass  # another process got here first; hold as well
    finally:
        os.unlink(tmp)
    release = marker + ".release"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not os.path.exists(release):
        time.sleep(0.05)
