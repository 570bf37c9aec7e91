"""Ingest: discover raw files, read them safely, decode, normalise, hash; quarantine what cannot be read.

Pure functions, no Prefect (the batch tasks are in ``tasks/batch.py``). Every discovered path ends up either as a
``RawDoc`` or as a ``Quarantined`` row with a reason naming the file and the problem.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import stat
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tasks.config import Settings
from tasks.records import KEY_CHARS, Fingerprint, Quarantined, RawDoc, StageResult, StageStats
from tasks.records import path_text as shown  # how a reason names a file that is not UTF-8

TEXT_SUFFIXES = frozenset({".txt", ""})
# quarantine classes decided by a file's bytes alone: an unchanged file keeps its row
STABLE_REJECTS = frozenset({"empty", "binary", "undecodable"})
SKIP_NAMES = frozenset({".gitkeep", ".DS_Store"})


@dataclass(slots=True)  # not frozen: a frozen dataclass is built 5x slower (0.095 s per 100k)
class Discovered:
    """A file found under the input directory (relative POSIX path), or why it was refused."""

    rel_path: str
    problem: str | None = None  # error_class when the file is refused at discovery
    detail: str | None = None
    # a re-run: size and mtime are those of the file's row (``stat_unchanged``), not read again
    unchanged: bool = False


def _suffix(name: str) -> str:
    """``PurePath(name).suffix`` without building a path."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def discover(raw_dir: Path, known: Mapping | None = None) -> list[Discovered]:
    """Find input files recursively: ``*.txt`` and extension-less files, sorted by path.

    Symlinks are never followed (a link to a file inside the input directory is read as that
    file once, by its own path; links out of the directory and directory links are refused),
    so a directory loop cannot trap the walk.

    ``known`` (a re-run: path -> ``tasks.dataset.Known`` of the existing rows): a file whose size
    and mtime are those of its row, and safely older than the row, is marked ``unchanged`` and
    not read at all (as make, rsync and git do; ``Settings.trust_mtime``). The ``stat`` comes
    from the directory walk itself, once per file with a row.
    """
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"input directory {raw_dir} does not exist or is not a directory")
    root = raw_dir.resolve()
    found: list[Discovered] = []
    # os.scandir and plain strings: no Path object per file (pathlib interns every part it
    # parses, which kept ~10 MB per 100k files alive in the flow process)
    todo: list[tuple[str, str]] = [("", str(root))]
    while todo:
        rel_dir, abs_dir = todo.pop()
        try:
            entries = list(os.scandir(abs_dir))
        except OSError:
            continue  # as os.walk: an unreadable directory is skipped
        for entry in entries:
            name = entry.name
            rel = rel_dir + name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if name.startswith("."):
                    continue
                if entry.is_symlink():
                    found.append(Discovered(rel, "symlink_dir", "directory symlink not followed"))
                else:
                    todo.append((rel + "/", entry.path))
                continue
            if name in SKIP_NAMES or name.startswith("."):
                continue
            if _suffix(name).lower() not in TEXT_SUFFIXES:
                continue
            if entry.is_symlink():
                try:
                    target = Path(entry.path).resolve()
                except (RuntimeError, OSError):  # a loop of links (RuntimeError before 3.13)
                    found.append(Discovered(rel, "symlink", "symlink loop, not followed"))
                    continue
                if not target.is_relative_to(root):
                    found.append(
                        Discovered(rel, "symlink_outside", f"symlink to {target} outside input")
                    )
                    continue
                found.append(Discovered(rel, "symlink", f"symlink to {target.relative_to(root)}"))
                continue
            # the entry's type comes from the directory listing (d_type): no syscall for a
            # regular file; a FIFO, socket or device is lstat-ed to name it, and never opened
            if not entry.is_file(follow_symlinks=False):
                found.append(Discovered(rel, "not_regular", _not_regular_detail(entry)))
                continue
            if known is not None and (row := known.get(rel)) is not None:
                try:
                    unchanged = stat_unchanged(entry.stat(follow_symlinks=False), row)
                except OSError:
                    unchanged = False  # the scan says what is wrong with it
                found.append(Discovered(rel, None, None, unchanged))
                continue
            found.append(Discovered(rel))
    found.sort(key=lambda d: d.rel_path)
    return found


FILE_TYPES = (
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISDIR, "directory"),
)


def file_type(mode: int) -> str:
    """What a non-regular file is, in words: "named pipe (FIFO)", "socket", ..."""
    for test, kind in FILE_TYPES:
        if test(mode):
            return kind
    return "special file"


def _not_regular_detail(entry: os.DirEntry) -> str:
    try:
        kind = file_type(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        kind = "special file"
    return f"{kind}, not a regular file: not read"


class NotRegular(OSError):
    """The path is no longer a regular file (replaced by a FIFO, socket, device, directory)."""


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0)


def read_bytes(path: str, limit: int, attempts: int = 3) -> tuple[bytes, int, int | None]:
    """Up to ``limit + 1`` bytes of the regular file ``path``: ``(data, size when opened,
    mtime)``, where the mtime is that of exactly these bytes, or None when unknown.

    Opened with ``O_NONBLOCK`` and checked with ``fstat`` before anything is read: a path
    replaced by a FIFO or a device since discovery raises ``NotRegular`` instead of blocking
    (or having the side effects of reading a device). The open file is ``fstat``-ed before
    and after reading: when its size or mtime moved meanwhile (a file still being written),
    it is read again, up to ``attempts`` times; a file that never holds still is returned
    with mtime None, so that no later run trusts its stat (it is hashed instead).
    """
    for _ in range(attempts):
        fd = os.open(path, _OPEN_FLAGS)
        try:
            before = os.fstat(fd)
            if not stat.S_ISREG(before.st_mode):
                raise NotRegular(f"{file_type(before.st_mode)}, not a regular file: not read")
            if before.st_size > limit:
                return b"", before.st_size, before.st_mtime_ns
            chunks, total = [], 0
            while total <= limit:
                want = min(limit + 1 - total, max(before.st_size - total, 1 << 16) + 1)
                chunk = os.read(fd, want)
                chunks.append(chunk)
                total += len(chunk)
                if len(chunk) < want:  # a short read of a regular file: its end
                    break
            data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if total > limit:
                return data, before.st_size, None
            after = os.fstat(fd)
        finally:
            os.close(fd)
        if after.st_size == total and after.st_mtime_ns == before.st_mtime_ns:
            return data, total, after.st_mtime_ns
    return data, before.st_size, None


def decode(data: bytes) -> tuple[str, str]:
    """Decode raw bytes: BOMs first, then UTF-16 without BOM (NUL pattern), strict UTF-8, cp1251.

    Returns ``(text, encoding)``; raises ``UnicodeDecodeError`` / ``ValueError`` when nothing fits.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    # UTF-16 without BOM: every other byte NUL in mostly-ASCII text.
    if len(data) >= 4 and len(data) % 2 == 0:
        even_nuls = data[1::2].count(0) / (len(data) / 2)
        odd_nuls = data[0::2].count(0) / (len(data) / 2)
        if even_nuls > 0.4 or odd_nuls > 0.4:
            enc = "utf-16-le" if even_nuls > odd_nuls else "utf-16-be"
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError:
                pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _looks_like_cp1251(data):
        return data.decode("cp1251"), "cp1251"
    raise ValueError(
        f"not valid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}), "
        "not UTF-16 and not plausible cp1251"
    )


def _looks_like_cp1251(data: bytes) -> bool:
    """cp1251 decodes almost any bytes; accept it only when the high bytes read as Cyrillic text."""
    try:
        text = data.decode("cp1251")
    except UnicodeDecodeError:
        return False
    high = [c for c in text if ord(c) > 127]
    if not high:
        return False
    cyrillic = sum(1 for c in high if "\u0400" <= c <= "\u04ff")
    letters_ok = sum(1 for c in high if c.isalpha() or c in "«»–—“”„’№…•")
    return cyrillic / len(high) >= 0.8 and letters_ok / len(high) >= 0.95


_CONTROL_CHARS = {c: None for c in [*range(0, 9), 11, 12, *range(14, 32), *range(0x7F, 0xA0)]}


def normalise_text(text: str) -> str:
    """NFC, "\n" line endings (CRLF and lone CR), no NUL or other C0/C1 control characters but tab."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.translate(_CONTROL_CHARS)


def content_key(text: str) -> str:
    """SHA-256 of the text with whitespace folded: the same article under another name has the same key."""
    folded = " ".join(text.split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])


def _binary_reason(data: bytes) -> str | None:
    sample = data[:8192]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    magic = {
        b"\x89PNG": "PNG image",
        b"\xff\xd8\xff": "JPEG image",
        b"GIF8": "GIF image",
        b"%PDF": "PDF document",
        b"PK\x03\x04": "ZIP archive",
        b"\x1f\x8b": "gzip archive",
        b"\x7fELF": "ELF binary",
    }
    for prefix, kind in magic.items():
        if sample.startswith(prefix):
            return kind
    nuls = sample.count(0)
    if nuls and nuls / len(sample) > 0.3:
        # could be UTF-16 without BOM: let decode() try; many NULs in odd/even positions only
        if sample[1::2].count(0) >= nuls * 0.9 or sample[0::2].count(0) >= nuls * 0.9:
            return None
        return f"binary data ({nuls} NUL bytes in the first {len(sample)})"
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls / max(len(sample), 1) > 0.1:
        return f"binary data ({controls} control bytes in the first {len(sample)})"
    return None


def read_one(raw_dir: Path, rel_path: str, settings: Settings) -> RawDoc | Quarantined:
    """Read, check, decode and normalise one file. Never raises for a bad file; never blocks
    on a FIFO; the size, SHA-256 and mtime of the result describe the same bytes."""
    name = shown(rel_path)
    try:
        data, size, mtime_ns = read_bytes(os.path.join(raw_dir, rel_path), settings.max_file_bytes)
        if size > settings.max_file_bytes:
            return Quarantined(
                rel_path,
                "ingest",
                "too_large",
                f"{name}: {size} bytes exceeds the limit of {settings.max_file_bytes} "
                "(ARTICLES_MAX_FILE_BYTES)",
                size,
            )
    except FileNotFoundError:
        return Quarantined(
            rel_path, "ingest", "vanished", f"{name}: file disappeared before it was read"
        )
    except NotRegular as exc:
        return Quarantined(rel_path, "ingest", "not_regular", f"{name}: {exc}")
    except OSError as exc:
        return Quarantined(
            rel_path, "ingest", "unreadable", f"{name}: cannot read: {exc.strerror or exc}"
        )
    size = len(data)
    sha = hashlib.sha256(data).hexdigest()
    if size > settings.max_file_bytes:
        return Quarantined(
            rel_path,
            "ingest",
            "too_large",
            f"{name}: grew past the limit of {settings.max_file_bytes} bytes while read",
            size,
            sha,
        )
    if not data.strip():
        what = "empty" if size == 0 else "whitespace-only"
        reason = f"{name}: file is {what}"
        return Quarantined(rel_path, "ingest", "empty", reason, size, sha, mtime_ns)
    if reason := _binary_reason(data):
        return Quarantined(rel_path, "ingest", "binary", f"{name}: {reason}", size, sha, mtime_ns)
    try:
        text, encoding = decode(data)
    except (UnicodeDecodeError, ValueError) as exc:
        return Quarantined(rel_path, "ingest", "undecodable", f"{name}: {exc}", size, sha, mtime_ns)
    text = normalise_text(text)
    if not text.strip():
        return Quarantined(
            rel_path,
            "ingest",
            "empty",
            f"{name}: no text after decoding ({encoding})",
            size,
            sha,
            mtime_ns,
        )
    return RawDoc(
        source_path=rel_path,
        text=text,
        encoding=encoding,
        source_sha256=sha,
        content_key=content_key(text),
        size_bytes=size,
        mtime_ns=mtime_ns,
    )


def run_ingest(
    paths: list[Discovered],
    raw_dir: Path,
    settings: Settings,
    duplicates: dict[str, str] | None = None,
) -> StageResult[RawDoc]:
    """Read a batch of discovered files. Refused and unreadable files become Quarantined rows.

    ``duplicates`` maps a path to the first path with the same content (found by the scan
    pass); such files become ``duplicate`` rows instead of a second copy of the article.
    """
    started = time.perf_counter()
    return assemble_ingest(paths, read_all(paths, raw_dir, settings), duplicates, started)


def read_all(
    paths: list[Discovered], raw_dir: Path, settings: Settings
) -> list[RawDoc | Quarantined | None]:
    """``read_one`` of each path (None for a path refused at discovery), in order."""
    return [
        None if i.problem is not None else read_one(raw_dir, i.rel_path, settings) for i in paths
    ]


def duplicate_reason(path: str, first: str) -> str:
    """The ``reason`` of the quarantine row of ``path``, a duplicate of ``first``."""
    return f"{shown(path)}: same content as {shown(first)}"


def assemble_ingest(
    paths: list[Discovered],
    results: list[RawDoc | Quarantined | None],
    duplicates: dict[str, str] | None = None,
    started: float | None = None,
) -> StageResult[RawDoc]:
    """The ingest stage's result from ``read_all``'s: documents, quarantine rows (discovery
    problems, unreadable files, duplicates) in path order, and the counts."""
    started = time.perf_counter() if started is None else started
    stats = StageStats("ingest", records_in=len(paths))
    docs: list[RawDoc] = []
    quarantined: list[Quarantined] = []
    for item, result in zip(paths, results, strict=True):
        if item.problem is not None:
            quarantined.append(
                Quarantined(
                    item.rel_path, "ingest", item.problem, f"{shown(item.rel_path)}: {item.detail}"
                )
            )
            stats.counts[f"quarantined:{item.problem}"] += 1
        elif isinstance(result, Quarantined):
            quarantined.append(result)
            stats.counts[f"quarantined:{result.error_class}"] += 1
        elif duplicates and (first := duplicates.get(result.source_path)) is not None:
            quarantined.append(
                Quarantined(
                    result.source_path,
                    "dedupe",
                    "duplicate",
                    duplicate_reason(result.source_path, first),
                    result.size_bytes,
                    result.source_sha256,
                    result.mtime_ns,
                    first,
                )
            )
            stats.counts["duplicate"] += 1
        else:
            docs.append(result)
            stats.counts[f"encoding:{result.encoding}"] += 1
            stats.counts["bytes"] += result.size_bytes
    stats.records_out = len(docs)
    stats.seconds = time.perf_counter() - started
    return StageResult(docs, stats, quarantined)


# A file modified less than this before its row was written may have changed again within the
# same mtime tick: its size and mtime are not trusted, its bytes are hashed (git's "racily clean").
RACY_NS = 2_000_000_000


def stat_unchanged(st: os.stat_result, previous) -> bool:
    """Whether a file's ``stat`` shows it untouched since its row (``tasks.dataset.Known``) was
    written: same size, same mtime, and that mtime safely older than the row."""
    return (
        previous.size_bytes is not None
        and previous.mtime_ns is not None
        and st.st_size == previous.size_bytes
        and st.st_mtime_ns == previous.mtime_ns
        and previous.mtime_ns < previous.processed_us * 1000 - RACY_NS
    )


def run_fingerprint(
    paths: list[Discovered],
    raw_dir: Path,
    settings: Settings,
    known: Mapping,
) -> StageResult[Fingerprint]:
    """The scan of a re-run: path, byte hash and content key of every file it is given.

    ``known`` maps a path to what the existing dataset says of it (``tasks.dataset.Known``:
    sha256, article id, size, mtime, when its row was written). Files whose stat showed them
    untouched are not given (``discover`` marks them). A file whose bytes hash as its row's is
    not decoded again: its key is the row's article id. Other files are read as by
    ``run_ingest``; files it would quarantine are left out here (the process pass handles them),
    except refused ones whose refusal lies in their bytes (their hash, no key).
    """
    started = time.perf_counter()
    stats = StageStats("scan", records_in=len(paths))
    prints: list[Fingerprint] = []
    root = os.fspath(raw_dir)
    for item in paths:
        if item.problem is not None:
            continue
        previous = known.get(item.rel_path)
        if previous is not None:
            try:
                path = os.path.join(root, item.rel_path)
                data, size, _ = read_bytes(path, settings.max_file_bytes)
                if size <= settings.max_file_bytes:
                    sha = hashlib.sha256(data).hexdigest()
                    if sha == previous.sha256:
                        prints.append(Fingerprint(item.rel_path, sha, previous.article_id))
                        stats.counts["unchanged:hash"] += 1
                        continue
            except OSError:
                pass  # read_one below says what is wrong with it
        result = read_one(raw_dir, item.rel_path, settings)
        if isinstance(result, RawDoc):
            prints.append(
                Fingerprint(
                    result.source_path, result.source_sha256, result.content_key[:KEY_CHARS]
                )
            )
            stats.counts["read"] += 1
        elif result.error_class in STABLE_REJECTS and result.source_sha256:
            # no key: the flow only compares its bytes with its quarantine row's
            prints.append(Fingerprint(result.source_path, result.source_sha256, None))
            stats.counts[f"refused:{result.error_class}"] += 1
    stats.records_out = len(prints)
    stats.seconds = time.perf_counter() - started
    return StageResult(prints, stats)
