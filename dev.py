#!/usr/bin/env python3
"""One-command setup for a fresh machine with only Python 3.11+ and pip.

    python3 dev.py run [ARGS...]    create the environment, then `articles run raw --out processed`
    python3 dev.py test [ARGS...]   create the environment, then run the test suite (pytest)
    python3 dev.py setup            only create/refresh the environment

The environment is `.venv/`, installed by uv from `uv.lock` exactly (`uv sync --frozen`): no torch,
stanza or spaCy. uv itself is installed with pip into `.tools/` the first time.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
UV_VERSION = "0.13.8"
TOOLS = ROOT / ".tools"
VENV = ROOT / ".venv"


def _run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)


def uv() -> Path:
    exe = TOOLS / "bin" / "uv"
    if not exe.exists():
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--target",
                str(TOOLS),
                f"uv=={UV_VERSION}",
            ]
        )
    return exe


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py runs before the venv exists)
        sys.exit(f"Python 3.11+ is required, this is {sys.version.split()[0]}")
    env = dict(os.environ, UV_PROJECT_ENVIRONMENT=str(VENV), UV_PYTHON=sys.executable)
    env.pop("VIRTUAL_ENV", None)
    # --compile-bytecode: imports stay fast even where PYTHONDONTWRITEBYTECODE is set
    _run([str(uv()), "sync", "--frozen", "--compile-bytecode", "--quiet"], env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    setup()
    bin_dir = VENV / "bin"
    if command == "run":
        args = rest or ["raw", "--out", "processed"]
        return subprocess.call([str(bin_dir / "articles"), "run", *args], cwd=ROOT)
    if command == "test":
        return subprocess.call([str(bin_dir / "python"), "-m", "pytest", *rest], cwd=ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
