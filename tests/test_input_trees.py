"""Property: any input tree ends in a run whose accounting balances (issue 12).

Random trees of regular files, empty and binary files, duplicates, symlinks in and out of the
tree (and loops), FIFOs, unreadable files and odd names (bytes that are not UTF-8, newlines,
leading dashes, very long names, deep nesting). Invariants: the run ends, ``files found =
articles + duplicates + quarantined``, every file found has exactly one row, every reject has a
reason that names its file, and a second run on the unchanged tree changes nothing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks.store import exact_path

SEEDS = [p.read_bytes() for p in sorted((Path(__file__).parents[1] / "raw").glob("*.txt"))]

SEGMENTS = st.one_of(
    st.sampled_from(["a", "news", "2024", "-rf", "--help", "sub dir", "x" * 200]),
    st.sampled_from([b"caf\xff", b"\xcd\xee\xe2\xee\xf1\xf2\xe8", b"line\nbreak", b"tab\there"]),
    st.text("abcxyz-_ ", min_size=1, max_size=12),
)
KINDS = st.sampled_from(
    ["text", "text", "text", "copy", "empty", "binary", "unreadable", "fifo"]
    + ["link_in", "link_out", "link_dir", "link_loop", "other_ext"]
)
ENTRY = st.tuples(
    st.lists(SEGMENTS, min_size=0, max_size=8),  # directories (deep nesting)
    SEGMENTS,  # the file's own name
    st.sampled_from([".txt", ""]),
    KINDS,
    st.integers(0, len(SEEDS) - 1),
)


def _b(part: str | bytes) -> bytes:
    return part if isinstance(part, bytes) else part.encode()


def build(root: bytes, outside: bytes, entries: list) -> set[str]:
    """Write the tree; returns the relative paths discovery must find (as ``os.fsdecode``)."""
    expected: set[str] = set()
    written: list[bytes] = []
    for i, (dirs, name, ext, kind, seed) in enumerate(entries):
        rel_dir = b"/".join(_b(d) for d in dirs)
        # a unique prefix: no two entries collide, no hidden names
        base = b"%d-%s%s" % (i, _b(name)[:200], b".html" if kind == "other_ext" else _b(ext))
        rel = rel_dir + b"/" + base if rel_dir else base
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if kind in ("text", "copy", "unreadable", "other_ext"):
            data = SEEDS[seed]
            if kind != "copy":  # a copy repeats some seed as it is: a duplicate
                data += b"\nParagraph %d, written for this test only.\n" % i
            with open(path, "wb") as fh:
                fh.write(data)
            if kind == "unreadable":
                os.chmod(path, 0)
            written.append(rel)
        elif kind == "empty":
            open(path, "wb").close()
        elif kind == "binary":
            with open(path, "wb") as fh:
                fh.write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
        elif kind == "fifo":
            os.mkfifo(path)
        elif kind == "link_in":
            target = os.path.join(root, written[-1]) if written else path + b".none"
            os.symlink(target, path)
        elif kind == "link_out":
            os.symlink(os.path.join(outside, b"page.txt"), path)
        elif kind == "link_dir":
            path = os.path.join(os.path.dirname(path), b"%d-linked-dir" % i)
            rel = os.path.relpath(path, root)
            os.symlink(outside, path)
        elif kind == "link_loop":  # the partner's suffix (.loop) is not an input's
            os.symlink(path + b".loop", path)
            os.symlink(path, path + b".loop")
        if kind != "other_ext":
            expected.add(os.fsdecode(rel))
    return expected


def rows(out: Path, dataset: str) -> dict[str, dict]:
    table = pq.read_table(out / dataset).to_pylist()
    found = {exact_path(r["source_path"], r["source_path_bytes"]): r for r in table}
    assert len(found) == len(table), "two rows for one file"
    return found


def without_time(table: dict[str, dict]) -> dict[str, dict]:
    return {p: {k: v for k, v in r.items() if k != "processed_at"} for p, r in table.items()}


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(entries=st.lists(ENTRY, min_size=1, max_size=14))
def test_any_input_tree_is_accounted_for_and_a_second_run_changes_nothing(
    prefect_api, tmp_path, entries
):
    from flows.process_articles import process_articles

    base = tmp_path / uuid.uuid4().hex[:8]
    raw, out, outside = base / "raw", base / "out", base / "outside"
    outside.mkdir(parents=True)
    (outside / "page.txt").write_bytes(SEEDS[0])
    raw.mkdir()
    try:
        expected = build(os.fsencode(raw), os.fsencode(outside), entries)
        first = process_articles(raw_dir=str(raw), out_dir=str(out))
        assert first["balanced"], first["accounting"]
        assert first["files_found"] == len(expected)
        articles, rejects = rows(out, "articles"), rows(out, "quarantine")
        assert set(articles).isdisjoint(rejects)
        assert set(articles) | set(rejects) == expected
        for row in rejects.values():  # every reject names its file (as source_path shows it)
            assert row["reason"].startswith(row["source_path"] + ": "), row
            assert row["error_class"] and row["stage"]

        second = process_articles(raw_dir=str(raw), out_dir=str(out))
        assert second["balanced"] and second["articles_written"] == 0, second["accounting"]
        assert second["files_found"] == first["files_found"]
        assert rows(out, "articles") == articles  # carried as they were (same processed_at)
        assert without_time(rows(out, "quarantine")) == without_time(rejects)
    finally:
        for dirpath, _, filenames in os.walk(raw):
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not os.path.islink(path):
                    os.chmod(path, 0o644)
        shutil.rmtree(base, ignore_errors=True)
