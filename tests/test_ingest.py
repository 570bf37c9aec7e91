"""Ingest: discovery, decoding, normalisation and the quarantine reasons for bad files."""

from __future__ import annotations

import codecs
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.config import Settings
from tasks.dataset import Known
from tasks.ingest import (
    Discovered,
    content_key,
    decode,
    discover,
    normalise_text,
    read_one,
    run_fingerprint,
    run_ingest,
)
from tasks.records import Quarantined, RawDoc

RU = "Заметили ошибку в тексте? Выделите её и нажмите Ctrl + Enter. Баку, 2 мая, АЗЕРТАДЖ"
AZ = "Vətən müharibəsinin Anım Gününün rəmzi olan Xarı bülbül"
CFG = Settings.load(max_file_bytes=10_000)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        (AZ.encode("utf-8"), "utf-8", AZ),
        (codecs.BOM_UTF8 + AZ.encode("utf-8"), "utf-8-sig", AZ),
        (codecs.BOM_UTF16_LE + RU.encode("utf-16-le"), "utf-16", RU),
        (codecs.BOM_UTF16_BE + RU.encode("utf-16-be"), "utf-16", RU),
        (RU.encode("cp1251"), "cp1251", RU),
        ("Hello world, plain text".encode("utf-16-le"), "utf-16-le", "Hello world, plain text"),
    ],
)
def test_decode_detects_the_encoding(data, encoding, text):
    assert decode(data) == (text, encoding)


def test_decode_refuses_bytes_that_are_neither_utf8_utf16_nor_cyrillic_cp1251():
    with pytest.raises(ValueError, match="not valid UTF-8"):
        decode(bytes(range(128, 256)) * 4)


def test_normalise_text_folds_line_endings_and_drops_control_characters():
    assert normalise_text("a\r\nb\rc\x00d\x07e\tf\n") == "a\nb\ncde\tf\n"
    assert normalise_text("e\u0301") == "\u00e9"  # NFC


def test_content_key_ignores_whitespace_layout_only():
    assert content_key("a b\n\nc") == content_key("a  b\r\nc ")
    assert content_key("a b c") != content_key("a b d")


@pytest.mark.parametrize(
    ("name", "data", "error_class", "message"),
    [
        ("empty.txt", b"", "empty", "file is empty"),
        ("blank.txt", b" \n\t\r\n ", "empty", "whitespace-only"),
        ("nul.txt", b"abc\x00\x01\x02" * 50 + b"\x00" * 200, "binary", "NUL bytes"),
        ("image.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "binary", "PNG image"),
        ("big.txt", b"x" * 10_001, "too_large", "exceeds the limit"),
        ("bad.txt", bytes(range(128, 256)) * 4, "undecodable", "not valid UTF-8"),
    ],
)
def test_bad_files_are_quarantined_with_a_reason_naming_the_file(
    tmp_path, name, data, error_class, message
):
    _write(tmp_path, name, data)
    result = read_one(tmp_path, name, CFG)
    assert isinstance(result, Quarantined)
    assert result.error_class == error_class
    assert result.stage == "ingest"
    assert result.reason.startswith(f"{name}: ")
    assert message in result.reason


def test_crlf_and_nul_bytes_in_text_are_normalised(tmp_path):
    _write(tmp_path, "crlf.txt", b" date 2025-04-22 Title\r\nBody line\r\nSecond\x00 line\r")
    doc = read_one(tmp_path, "crlf.txt", CFG)
    assert isinstance(doc, RawDoc)
    assert doc.text == " date 2025-04-22 Title\nBody line\nSecond line\n"
    assert doc.encoding == "utf-8"
    assert len(doc.source_sha256) == 64


def test_vanished_and_unreadable_files(tmp_path):
    gone = read_one(tmp_path, "gone.txt", CFG)
    assert isinstance(gone, Quarantined) and gone.error_class == "vanished"
    (tmp_path / "dir.txt").mkdir()  # a file replaced by a directory after discovery
    replaced = read_one(tmp_path, "dir.txt", CFG)
    assert isinstance(replaced, Quarantined) and replaced.error_class == "not_regular"
    assert replaced.reason == "dir.txt: directory, not a regular file: not read"
    (tmp_path / "locked.txt").write_text("text")
    (tmp_path / "locked.txt").chmod(0)
    if os.geteuid() != 0:  # root reads any file
        unreadable = read_one(tmp_path, "locked.txt", CFG)
        assert isinstance(unreadable, Quarantined) and unreadable.error_class == "unreadable"
        assert unreadable.reason.startswith("locked.txt: cannot read: ")


def test_discover_recurses_keeps_txt_and_extensionless_and_never_follows_links(tmp_path):
    outside = tmp_path / "outside"
    raw = tmp_path / "raw"
    _write(outside, "secret.txt", b"outside text")
    _write(raw, "a.txt", b"A")
    _write(raw, "sub/b", b"B")
    _write(raw, "sub/c.json", b"{}")
    _write(raw, ".hidden.txt", b"H")
    os.symlink(outside / "secret.txt", raw / "link_out.txt")
    os.symlink(raw / "a.txt", raw / "link_in.txt")
    os.symlink(raw, raw / "sub" / "loop")  # a directory loop
    found = {d.rel_path: d.problem for d in discover(raw)}
    assert found == {
        "a.txt": None,
        "sub/b": None,
        "link_out.txt": "symlink_outside",
        "link_in.txt": "symlink",
        "sub/loop": "symlink_dir",
    }


def test_discover_names_a_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        discover(tmp_path / "nope")


def test_run_ingest_accounts_for_every_path_and_marks_duplicates(tmp_path):
    _write(tmp_path, "a.txt", b"Same text\n")
    _write(tmp_path, "b.txt", b"Same  text\r\n")
    _write(tmp_path, "c.txt", b"")
    paths = [
        Discovered("a.txt"),
        Discovered("b.txt"),
        Discovered("c.txt"),
        Discovered("d.txt", "symlink", "x"),
    ]
    result = run_ingest(paths, tmp_path, CFG, duplicates={"b.txt": "a.txt"})
    assert [d.source_path for d in result.items] == ["a.txt"]
    classes = {q.source_path: (q.stage, q.error_class) for q in result.quarantined}
    assert classes == {
        "b.txt": ("dedupe", "duplicate"),
        "c.txt": ("ingest", "empty"),
        "d.txt": ("ingest", "symlink"),
    }
    assert len(result.items) + len(result.quarantined) == len(paths)
    assert result.stats.records_in == 4 and result.stats.records_out == 1


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000))
def test_any_bytes_become_a_doc_or_a_quarantine_row(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("anybytes")
    _write(root, "x.txt", data)
    result = read_one(root, "x.txt", CFG)
    assert isinstance(result, RawDoc | Quarantined)
    if isinstance(result, RawDoc):
        assert result.text.strip()
        assert "\r" not in result.text and "\x00" not in result.text


def _known(doc, article_id, processed_s=None, mtime_ns=None):
    from tasks.dataset import Known

    processed_s = time.time() if processed_s is None else processed_s
    return Known(
        doc.source_sha256,
        article_id,
        doc.size_bytes,
        doc.mtime_ns if mtime_ns is None else mtime_ns,
        int(processed_s * 1e6),
    )


def test_fingerprints_reuse_known_keys_and_read_the_rest(tmp_path):
    from tasks.dataset import Known
    from tasks.ingest import run_fingerprint

    hour_ago = time.time() - 3600
    for name, data in {
        "same.txt": b"Unchanged article text.\n",
        "touched.txt": b"Same bytes, newer mtime.\n",
        "changed.txt": b"New text of a changed article.\n",
        "empty.txt": b"",
    }.items():
        _write(tmp_path, name, data)
        os.utime(tmp_path / name, (hour_ago, hour_ago))
    same = read_one(tmp_path, "same.txt", CFG)
    touched = read_one(tmp_path, "touched.txt", CFG)
    os.utime(tmp_path / "touched.txt")  # now: the row's mtime no longer matches
    known = {
        "same.txt": _known(same, "prev-article-id"),
        "touched.txt": _known(touched, "touched-id"),
        "changed.txt": Known("0" * 64, "old", None, None, 0),  # a row without stat columns
    }
    # discovery stats the files with a row: only the untouched one is marked, not read again
    found = discover(tmp_path, known)
    assert {d.rel_path: d.unchanged for d in found} == {
        "changed.txt": False,
        "empty.txt": False,
        "same.txt": True,
        "touched.txt": False,
    }
    assert not any(d.unchanged for d in discover(tmp_path))  # a first run: nothing known

    paths = [d for d in found if not d.unchanged]
    result = run_fingerprint(paths, tmp_path, CFG, known)
    keys = {f.source_path: f.key for f in result.items}
    assert keys["touched.txt"] == "touched-id"  # read and hashed, not decoded
    assert keys["changed.txt"] == content_key("New text of a changed article.\n")[:16]
    # a refused file comes with its bytes' hash and no key: the flow keeps its quarantine row
    # when the hash is that of the row, and the process pass quarantines it again otherwise
    assert keys["empty.txt"] is None
    assert result.stats.counts == {"unchanged:hash": 1, "read": 1, "refused:empty": 1}


def test_discovery_does_not_trust_a_file_modified_just_before_its_row_was_written(tmp_path):
    """git's racily-clean case: a write in the same mtime tick as the read cannot be seen by
    stat, so a row written within RACY_NS of the file's mtime does not trust it."""
    from tasks.ingest import RACY_NS, run_fingerprint

    _write(tmp_path, "racy.txt", b"Original text.\n")
    doc = read_one(tmp_path, "racy.txt", CFG)
    mtime = doc.mtime_ns
    _write(tmp_path, "racy.txt", b"Modified text.\n")  # same size
    os.utime(tmp_path / "racy.txt", ns=(mtime, mtime))  # and the same mtime
    racy = {"racy.txt": _known(doc, "old-id", processed_s=(mtime + RACY_NS // 2) / 1e9)}
    (found,) = discover(tmp_path, racy)
    assert not found.unchanged
    result = run_fingerprint([found], tmp_path, CFG, racy)
    assert result.items[0].key == content_key("Modified text.\n")[:16]
    # the same row written well after the mtime is trusted: the documented trade-off of
    # trust_mtime (as make and rsync), which ARTICLES_TRUST_MTIME=false turns off (the flow
    # then gives discovery no rows, and every file with a row is hashed)
    old = {"racy.txt": _known(doc, "old-id", processed_s=(mtime + 10 * RACY_NS) / 1e9)}
    assert discover(tmp_path, old)[0].unchanged


def _in_thread(fn, *args, timeout: float = 10.0):
    """``fn(*args)`` in a thread; fails (instead of hanging the suite) if it blocks."""
    result: list = []
    worker = threading.Thread(target=lambda: result.append(fn(*args)), daemon=True)
    worker.start()
    worker.join(timeout)
    assert not worker.is_alive(), f"{fn.__name__} blocked for {timeout} s"
    return result[0]


def _special_files(raw: Path) -> dict[str, str]:
    """A FIFO, a socket and (where allowed) a device under ``raw``: name -> expected type."""
    raw.mkdir(parents=True, exist_ok=True)
    os.mkfifo(raw / "pipe.txt")
    made = {"pipe.txt": "named pipe (FIFO)"}
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(raw / "sock"))
    sock.close()
    made["sock"] = "socket"
    try:
        os.mknod(raw / "null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        made["null"] = "character device"
    except PermissionError:
        pass
    return made


def test_fifos_sockets_and_devices_are_refused_at_discovery_never_opened(tmp_path):
    raw = tmp_path / "raw"
    made = _special_files(raw)
    (raw / "ok.txt").write_text("An ordinary page of text.")
    found = _in_thread(discover, raw)
    by_path = {d.rel_path: d for d in found}
    assert set(by_path) == {*made, "ok.txt"}
    for name, kind in made.items():
        assert by_path[name].problem == "not_regular"
        assert by_path[name].detail == f"{kind}, not a regular file: not read"
    result = _in_thread(run_ingest, found, raw, CFG)
    assert [d.source_path for d in result.items] == ["ok.txt"]
    reasons = {q.source_path: (q.error_class, q.reason) for q in result.quarantined}
    assert reasons["pipe.txt"] == (
        "not_regular",
        "pipe.txt: named pipe (FIFO), not a regular file: not read",
    )


def test_a_file_replaced_by_a_fifo_after_discovery_is_not_read_and_does_not_block(tmp_path):
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "sub" / "page.txt").write_text("An ordinary page of text.")
    found = discover(raw)
    assert [d.problem for d in found] == [None]
    (raw / "sub" / "page.txt").unlink()
    os.mkfifo(raw / "sub" / "page.txt")  # no writer: a blocking open() would wait for ever
    result = _in_thread(read_one, raw, "sub/page.txt", CFG)
    assert isinstance(result, Quarantined) and result.error_class == "not_regular"
    assert result.reason == "sub/page.txt: named pipe (FIFO), not a regular file: not read"
    # the re-run scan (hash of a file with a row) must not block either
    known = {"sub/page.txt": Known("0" * 64, "a" * 16, 25, 1, 10**12)}
    prints = _in_thread(run_fingerprint, found, raw, CFG, known)
    assert prints.items == []


def test_a_loop_of_symlinks_is_a_quarantine_row_not_a_crash(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").symlink_to("b.txt")
    (raw / "b.txt").symlink_to("a.txt")
    (raw / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    found = {d.rel_path: (d.problem, d.detail) for d in discover(raw)}
    assert found["a.txt"] == ("symlink", "symlink loop, not followed")
    assert found["b.txt"] == ("symlink", "symlink loop, not followed")
    assert found["dangling.txt"][0] == "symlink_outside"
