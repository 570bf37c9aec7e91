"""Argos Translate package management without Argos' side effects.

``argostranslate.package.install_from_path`` extracts any zip as is (a flat zip then breaks
``get_installed_packages()`` for every package) and imports ``argostranslate.translate`` (torch,
stanza). Here a package file is validated before anything is written, extracted into a hidden
temporary directory inside the packages directory and renamed into place, so a failed install
leaves nothing behind. The layout is Argos' own, so ``argospm`` sees what we install and we see
what ``argospm install`` installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import tempfile
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
_HIDDEN_PREFIX = "."  # our temporary directories inside the packages dir start with a dot
_CODE = re.compile(r"^(?:translate-)?([a-z]{2,3})(?:_([a-z]{2,3}))?$")


class PackageError(Exception):
    """A package could not be listed, installed or removed; the message says which and why."""


@dataclass(frozen=True, slots=True)
class PackageInfo:
    id: str  # "<from>_<to>"
    from_code: str
    to_code: str
    version: str
    path: Path  # the installed package directory (or the archive, for a validated file)
    target_prefix: str = ""
    tokenizer: str = "sentencepiece"  # or "bpe"

    @property
    def model_id(self) -> str:
        return f"{self.id}@{self.version}"


def _info_from_metadata(meta: dict, path: Path, names: set[str], where: str) -> PackageInfo:
    """Check the metadata and the file names of one package (relative to its directory)."""
    if not isinstance(meta, dict):
        raise PackageError(f"{where}: metadata.json is not a JSON object")
    ptype = meta.get("type", "translate")
    if ptype != "translate":
        raise PackageError(f"{where}: package type {ptype!r} is not a translation package")
    from_code, to_code = meta.get("from_code"), meta.get("to_code")
    for key, value in (("from_code", from_code), ("to_code", to_code)):
        if not isinstance(value, str) or not value.strip():
            raise PackageError(f"{where}: metadata.json has no {key}")
    missing = [n for n in ("model/model.bin", "model/config.json") if n not in names]
    if not any(
        n in names
        for n in (
            "model/shared_vocabulary.json",
            "model/shared_vocabulary.txt",
            "model/source_vocabulary.json",
            "model/source_vocabulary.txt",
        )
    ):
        missing.append("model/shared_vocabulary.json")
    if "sentencepiece.model" in names:
        tokenizer = "sentencepiece"
    elif "bpe.model" in names:
        tokenizer = "bpe"
    else:
        tokenizer = ""
        missing.append("sentencepiece.model")
    if missing:
        raise PackageError(f"{where}: not a complete Argos package, missing {', '.join(missing)}")
    return PackageInfo(
        id=f"{from_code}_{to_code}",
        from_code=from_code,
        to_code=to_code,
        version=str(meta.get("package_version") or "0"),
        path=path,
        target_prefix=str(meta.get("target_prefix") or ""),
        tokenizer=tokenizer,
    )


def read_package_dir(path: str | Path) -> PackageInfo:
    """Read and check an installed package directory."""
    path = Path(path)
    meta_path = path / "metadata.json"
    if not meta_path.is_file():
        raise PackageError(f"{path}: no metadata.json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(f"{meta_path}: unreadable metadata ({exc})") from exc
    names = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    return _info_from_metadata(meta, path, names, str(path))


def validate_archive(path: str | Path) -> tuple[str, PackageInfo]:
    """Check a ``.argosmodel`` file without extracting it; return (top-level dir, info)."""
    path = Path(path)
    if not path.is_file():
        raise PackageError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path}: not a zip archive (an .argosmodel file is a zip)")
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                raise PackageError(f"{path}: corrupt archive member {bad!r}")
            members = [i for i in zf.infolist()]
            tops: set[str] = set()
            names: set[str] = set()
            for info in members:
                pure = PurePosixPath(info.filename)
                if pure.is_absolute() or ".." in pure.parts or "\\" in info.filename:
                    raise PackageError(f"{path}: unsafe path in archive: {info.filename!r}")
                if not pure.parts:
                    continue
                tops.add(pure.parts[0])
                if len(pure.parts) == 1 and not info.is_dir():
                    raise PackageError(
                        f"{path}: flat archive ({info.filename!r} at the top level); an Argos "
                        "package holds one top-level directory"
                    )
                if not info.is_dir():
                    names.add(PurePosixPath(*pure.parts[1:]).as_posix())
            if len(tops) != 1:
                raise PackageError(
                    f"{path}: expected one top-level directory, found {sorted(tops) or 'none'}"
                )
            top = tops.pop()
            if top.startswith(_HIDDEN_PREFIX):
                raise PackageError(f"{path}: top-level directory {top!r} is hidden")
            if "metadata.json" not in names:
                raise PackageError(f"{path}: no metadata.json in {top}/")
            try:
                meta = json.loads(zf.read(f"{top}/metadata.json").decode("utf-8"))
            except ValueError as exc:
                raise PackageError(f"{path}: metadata.json is not valid JSON ({exc})") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise PackageError(f"{path}: corrupt archive ({exc})") from exc
    return top, _info_from_metadata(meta, path, names, str(path))


def list_packages(packages_dir: str | Path) -> list[PackageInfo]:
    """Installed translation packages, sorted by id; broken directories are skipped."""
    packages_dir = Path(packages_dir)
    if not packages_dir.is_dir():
        return []
    found = []
    for child in sorted(packages_dir.iterdir()):
        if not child.is_dir() or child.name.startswith(_HIDDEN_PREFIX):
            continue
        try:
            found.append(read_package_dir(child))
        except PackageError:
            continue
    return sorted(found, key=lambda p: (p.id, p.version, str(p.path)))


def install_package(source: str | Path, packages_dir: str | Path) -> PackageInfo:
    """Install a ``.argosmodel`` file, or ``"az"`` / ``"az_en"`` / ``"translate-az_en"`` from the
    Argos package index (needs the network; offline it fails at once with a clear message).

    An installed package for the same language pair is replaced.
    """
    packages_dir = Path(packages_dir)
    src = Path(source)
    if src.exists():
        return _install_file(src, packages_dir)
    m = _CODE.match(str(source).strip().lower())
    if m is None:
        raise PackageError(f"{source}: no such file, and not a language code like 'az' or 'az_en'")
    return _install_from_index(m.group(1), m.group(2) or "en", packages_dir)


def _install_file(path: Path, packages_dir: Path) -> PackageInfo:
    top, info = validate_archive(path)
    packages_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=packages_dir))
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(staging)
        installed = read_package_dir(staging / top)  # what landed is complete
        if installed.id != info.id:
            raise PackageError(f"{path}: extracted package differs from its metadata")
        dest = packages_dir / top
        old = [p.path for p in list_packages(packages_dir) if p.id == info.id]
        if dest.exists() and dest not in old:
            old.append(dest)
        trash = []
        for o in old:
            t = packages_dir / f".removing-{uuid.uuid4().hex}"
            os.replace(o, t)
            trash.append(t)
        try:
            os.replace(staging / top, dest)
        except OSError:
            for o, t in zip(old, trash, strict=True):  # put the old package(s) back
                os.replace(t, o)
            raise
        for t in trash:
            shutil.rmtree(t, ignore_errors=True)
        return read_package_dir(dest)
    except OSError as exc:
        raise PackageError(f"{path}: install into {packages_dir} failed ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _index_url() -> str:
    base = os.environ.get("ARGOS_PACKAGE_INDEX") or DEFAULT_INDEX
    return base if base.endswith(".json") else base.rstrip("/") + "/index.json"


def _offline_message(from_code: str, to_code: str, why: str) -> str:
    return (
        f"cannot install {from_code}->{to_code} from the Argos package index: {why}. "
        f"Offline? Download translate-{from_code}_{to_code}.argosmodel on a connected machine "
        f"(or `argospm install translate-{from_code}_{to_code}` there) and install the file with "
        f"`articles models install translate-{from_code}_{to_code}.argosmodel`."
    )


def _install_from_index(
    from_code: str, to_code: str, packages_dir: Path, timeout: float = 5.0
) -> PackageInfo:
    url = _index_url()
    host = urllib.parse.urlparse(url).hostname or ""
    port = urllib.parse.urlparse(url).port or 443
    try:  # fail fast instead of Argos' minute of retries
        socket.create_connection((host, port), timeout=timeout).close()
    except (OSError, RuntimeError) as exc:
        raise PackageError(
            _offline_message(from_code, to_code, f"{host} unreachable ({exc})")
        ) from exc
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            index = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, RuntimeError) as exc:
        raise PackageError(
            _offline_message(from_code, to_code, f"index unreadable ({exc})")
        ) from exc
    candidates = [
        e
        for e in index
        if isinstance(e, dict)
        and e.get("type", "translate") == "translate"
        and e.get("from_code") == from_code
        and e.get("to_code") == to_code
        and e.get("links")
    ]
    if not candidates:
        raise PackageError(f"the Argos package index has no {from_code}->{to_code} package")
    entry = candidates[-1]
    packages_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".download-", suffix=".argosmodel", dir=packages_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        errors = []
        for link in entry["links"]:
            try:
                with urllib.request.urlopen(link, timeout=60) as resp, open(tmp, "wb") as out:
                    shutil.copyfileobj(resp, out)
                break
            except (OSError, RuntimeError) as exc:
                errors.append(f"{link}: {exc}")
        else:
            raise PackageError(_offline_message(from_code, to_code, "; ".join(errors)))
        return _install_file(tmp, packages_dir)
    finally:
        tmp.unlink(missing_ok=True)


def remove_package(spec: str, packages_dir: str | Path) -> str:
    """Remove the installed package named by ``spec`` ("az", "az_en", "translate-az_en" or its
    directory name); returns the id of what was removed."""
    packages_dir = Path(packages_dir)
    key = str(spec).strip()
    m = _CODE.match(key.lower())
    wanted = f"{m.group(1)}_{m.group(2) or 'en'}" if m else None
    matches = [p for p in list_packages(packages_dir) if p.id == wanted or p.path.name == key]
    if not matches:
        raise PackageError(f"{spec}: no such package installed in {packages_dir}")
    for p in matches:
        trash = packages_dir / f".removing-{uuid.uuid4().hex}"
        try:
            os.replace(p.path, trash)
        except OSError as exc:
            raise PackageError(f"{p.path}: cannot remove ({exc})") from exc
        shutil.rmtree(trash, ignore_errors=True)
    return ", ".join(sorted({p.model_id for p in matches}))


def missing_model_hint(lang: str, target: str = "en") -> str:
    """How a user gets the missing ``lang``->``target`` package."""
    return f"argospm install translate-{lang}_{target}"
