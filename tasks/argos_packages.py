"""Argos Translate package management without Argos' side effects, in Argos' own layout.

``argostranslate.package.install_from_path`` extracts any zip as is (a flat zip then breaks
``get_installed_packages()`` for every package) and imports ``argostranslate.translate`` (torch,
stanza). Here a package file is validated before anything is written, extracted into a staging
directory on the same filesystem but OUTSIDE the packages directory (``argostranslate`` lists
every folder there and crashes on one without ``metadata.json``), and renamed into place, so a
failed or killed install leaves nothing that ``argospm`` or we would trip over; the next install
removes a killed one's leftovers.

Every layout the Argos index serves is accepted (see ``docs`` in README "Translation models"):

* CTranslate2 >= 3.0 conversions: ``model/model.bin``, ``model/config.json`` and
  ``model/shared_vocabulary.json`` (or ``source_``/``target_vocabulary.json``);
* older conversions (27 of the index's 96 packages, ``translate-az_en`` 1.5 among them): no
  ``config.json``, vocabularies as ``*_vocabulary.txt`` (CTranslate2 4.x loads them);
* SentencePiece (``sentencepiece.model``) or BPE (``bpe.model``, OPUS-MT conversions, tokenised
  with sacremoses + subword-nmt as Argos does);
* a ``stanza/`` (or ``minisbd/``, ``spacy/``) sentence-splitter folder, which we never use;
* zips with or without directory entries; the six-key ``metadata.json`` of real packages
  (no ``type``, no ``links``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import socket
import urllib.parse
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.version import InvalidVersion, Version

DEFAULT_INDEX = "https://raw.githubusercontent.com/argosopentech/argospm-index/main/"
_CODE = re.compile(r"^(?:translate-)?([a-z]{2,3})(?:_([a-z]{2,3}))?$")
# Our own temporary names. Earlier versions staged INSIDE the packages directory: such leftovers
# are removed by the next install or removal.
_LEGACY_LEFTOVER = re.compile(r"^\.(installing|removing|download)-")
_VOCABULARIES = (
    ("model/shared_vocabulary.json", "model/shared_vocabulary.txt"),
    (
        "model/source_vocabulary.json",
        "model/source_vocabulary.txt",
        "model/source_1_vocabulary.json",
        "model/source_1_vocabulary.txt",
    ),
    ("model/target_vocabulary.json", "model/target_vocabulary.txt"),
)


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
    layout: str = "ct2-3"  # "ct2-3": model/config.json (CTranslate2 >= 3.0); "ct2-2": older

    @property
    def model_id(self) -> str:
        return f"{self.id}@{self.version}"


def version_key(version: str) -> tuple:
    """Order package versions as Argos does (``packaging.version``); an unparsable version sorts
    before every valid one, then by its text."""
    try:
        return (1, Version(version), "")
    except InvalidVersion:
        return (0, Version("0"), version)


def default_packages_dir() -> Path:
    """The packages folder Argos Translate itself uses (``argostranslate.settings``): the
    ``ARGOS_PACKAGES_DIR`` environment variable, else ``ARGOS_PACKAGES_DIR`` in
    ``$XDG_CONFIG_HOME/argos-translate/settings.json`` (default ``~/.config``), else
    ``$XDG_DATA_HOME/argos-translate/packages`` (default ``~/.local/share``)."""
    if env := os.environ.get("ARGOS_PACKAGES_DIR"):
        return Path(env)
    home = Path.home()
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    settings_file = config_home / "argos-translate" / "settings.json"
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = {}
    if isinstance(settings, dict) and settings.get("ARGOS_PACKAGES_DIR"):
        return Path(str(settings["ARGOS_PACKAGES_DIR"]))
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return data_home / "argos-translate" / "packages"


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
    missing = [] if "model/model.bin" in names else ["model/model.bin"]
    shared, source, target = (any(n in names for n in group) for group in _VOCABULARIES)
    if not shared and not (source and target):
        missing.append(
            "model/shared_vocabulary.json or .txt (or source_ and target_vocabulary files)"
        )
    if "sentencepiece.model" in names:
        tokenizer = "sentencepiece"
    elif "bpe.model" in names:
        tokenizer = "bpe"
    else:
        tokenizer = ""
        missing.append("sentencepiece.model or bpe.model")
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
        layout="ct2-3" if "model/config.json" in names else "ct2-2",
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
            if top.startswith("."):
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
        if not child.is_dir() or child.name.startswith("."):
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


def _staging_root(packages_dir: Path) -> Path:
    """Where installs and removals stage: beside the packages directory (same filesystem, so a
    rename moves a package in or out at once), never inside it."""
    return packages_dir.parent / f".{packages_dir.name}.staging"


def _new_staging(packages_dir: Path, kind: str) -> Path:
    root = _staging_root(packages_dir)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{kind}-{os.getpid()}-{uuid.uuid4().hex[:12]}"
    path.mkdir()
    return path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(packages_dir: str | Path) -> list[Path]:
    """Remove what killed installs and removals left: staging entries of processes that are
    gone, and hidden ``.installing-*`` / ``.removing-*`` / ``.download-*`` entries that earlier
    versions put inside the packages directory. Returns what was removed."""
    packages_dir = Path(packages_dir)
    removed: list[Path] = []
    root = _staging_root(packages_dir)
    if root.is_dir():
        for entry in root.iterdir():
            parts = entry.name.split("-")
            pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else -1
            if pid != os.getpid() and not _pid_alive(pid):
                _remove_path(entry)
                removed.append(entry)
    if packages_dir.is_dir():
        for entry in packages_dir.iterdir():
            if _LEGACY_LEFTOVER.match(entry.name):
                _remove_path(entry)
                removed.append(entry)
    return removed


def _remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _move(src: Path, dest: Path) -> None:
    """Rename ``src`` to ``dest``; across filesystems (a packages dir that is a mount point),
    copy then delete."""
    try:
        os.replace(src, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copytree(src, dest)
        shutil.rmtree(src, ignore_errors=True)


def _install_file(path: Path, packages_dir: Path) -> PackageInfo:
    top, info = validate_archive(path)
    packages_dir.mkdir(parents=True, exist_ok=True)
    clean_leftovers(packages_dir)
    staging = _new_staging(packages_dir, "installing")
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(staging)  # creates the directories a zip without entries lacks
        installed = read_package_dir(staging / top)  # what landed is complete
        if installed.id != info.id:
            raise PackageError(f"{path}: extracted package differs from its metadata")
        dest = packages_dir / top
        old = [p.path for p in list_packages(packages_dir) if p.id == info.id]
        if dest.exists() and dest not in old:
            old.append(dest)
        trash = []
        for o in old:  # out of the packages dir, into our staging dir
            t = staging / f"old-{len(trash)}"
            os.replace(o, t)
            trash.append(t)
        try:
            _move(staging / top, dest)
        except OSError:
            for o, t in zip(old, trash, strict=True):  # put the old package(s) back
                os.replace(t, o)
            raise
        return read_package_dir(dest)
    except OSError as exc:
        raise PackageError(f"{path}: install into {packages_dir} failed ({exc})") from exc
    finally:
        _drop_staging(staging)


def _drop_staging(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        path.parent.rmdir()  # the staging root, once empty


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
    download_dir = _new_staging(packages_dir, "download")
    tmp = download_dir / f"translate-{from_code}_{to_code}.argosmodel"
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
        _drop_staging(download_dir)


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
    clean_leftovers(packages_dir)
    for p in matches:
        trash = _new_staging(packages_dir, "removing")
        try:
            try:
                os.replace(p.path, trash / p.path.name)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise PackageError(f"{p.path}: cannot remove ({exc})") from exc
                shutil.rmtree(p.path)
        finally:
            _drop_staging(trash)
    return ", ".join(sorted({p.model_id for p in matches}))


def missing_model_hint(lang: str, target: str = "en") -> str:
    """How a user gets the missing ``lang``->``target`` package."""
    return f"argospm install translate-{lang}_{target}"
