"""The incremental planner, rule by rule of the README's "Re-runs" section (tasks/incremental.py).

The planner is pure: these tests hand it the previous dataset's index (``Known`` / ``Rejected``
rows as ``tasks.dataset`` reads them), discovery's results and scan reports, and check the
decision for each file.
"""

from __future__ import annotations

from tasks.dataset import Known, Rejected
from tasks.incremental import (
    CARRIED,
    DUPLICATE,
    GONE,
    PROCESS,
    UNCHANGED,
    Planner,
    in_path_order,
    known_for_discovery,
    settle_untouched,
)
from tasks.ingest import Discovered, duplicate_reason
from tasks.pipeline import Scanned


def known(sha: str, article_id: str) -> Known:
    return Known(sha, article_id, 10, 1_000, 2_000)


def reject(sha: str, label: str, reason: str = "", first: str | None = None) -> Rejected:
    return Rejected(sha, label, reason, 10, 1_000, 2_000, first)


def decide(previous, rejected, scanned, untouched=()):
    """Discover ``scanned`` paths (plus ``untouched`` ones vouched for by their stat), plan."""
    names = sorted({s.path for s in scanned} | set(untouched))
    paths = [Discovered(p, unchanged=p in untouched) for p in names]
    planner = Planner(previous, rejected)
    reports = iter(sorted(scanned, key=lambda s: s.path))
    decisions = {
        seen.item.rel_path: planner.take(seen.item.rel_path, seen.sha, seen.key)
        for seen in in_path_order(paths, reports, previous, rejected)
    }
    return decisions, planner.finish(paths)


def test_a_file_with_the_bytes_of_its_row_keeps_it():
    previous = {"a.txt": known("s1", "k1")}
    decisions, plan = decide(previous, {}, [Scanned("a.txt", "s1", "k1")])
    assert decisions == {"a.txt": UNCHANGED}
    assert plan.unchanged == {"a.txt"} and plan.todo == [] and plan.decision("a.txt") == UNCHANGED
    assert "a.txt" not in plan.drop(prune=False)


def test_a_changed_file_replaces_its_row_and_a_new_one_is_processed():
    previous = {"a.txt": known("s1", "k1")}
    scanned = [Scanned("a.txt", "s2", "k2"), Scanned("b.txt", "s3", "k3")]
    decisions, plan = decide(previous, {}, scanned)
    assert decisions == {"a.txt": PROCESS, "b.txt": PROCESS}
    assert (
        [d.rel_path for d in plan.todo] == ["a.txt", "b.txt"] == [d.rel_path for d in plan.to_clean]
    )
    assert plan.drop(prune=False) == {"a.txt", "b.txt"}  # the old row of a.txt is not carried


def test_a_file_refused_for_its_bytes_keeps_its_row_while_they_are_unchanged():
    rejected = {"e.txt": reject("s0", "ingest:empty"), "f.txt": reject("s1", "ingest:binary")}
    scanned = [Scanned("e.txt", "s0", None), Scanned("f.txt", "s9", None)]
    decisions, plan = decide({}, rejected, scanned)
    assert decisions == {"e.txt": CARRIED, "f.txt": PROCESS}
    assert plan.unchanged_rejects == {"e.txt": "ingest:empty"}
    assert [d.rel_path for d in plan.todo] == ["f.txt"] and plan.to_clean == []  # not readable


def test_a_file_set_aside_by_cleaning_keeps_its_row_while_its_bytes_are_unchanged():
    rejected = {"n.txt": reject("s1", "clean:no_content")}
    decisions, plan = decide({}, rejected, [Scanned("n.txt", "s1", "k1")])
    assert decisions == {"n.txt": CARRIED} and plan.decision("n.txt") == CARRIED
    assert plan.todo == []
    decisions, _ = decide({}, rejected, [Scanned("n.txt", "s2", "k2")])  # edited since
    assert decisions == {"n.txt": PROCESS}


def test_the_first_path_by_name_is_the_first_copy_and_duplicates_name_it():
    scanned = [
        Scanned("b.txt", "s1", "k"),
        Scanned("a.txt", "s1", "k"),
        Scanned("c.txt", "s1", "k"),
    ]
    decisions, plan = decide({}, {}, scanned)
    assert decisions == {"a.txt": PROCESS, "b.txt": DUPLICATE, "c.txt": DUPLICATE}
    assert plan.duplicates == {"b.txt": "a.txt", "c.txt": "a.txt"}
    assert [d.rel_path for d in plan.to_clean] == ["a.txt"]  # duplicates are not cleaned
    assert [d.rel_path for d in plan.todo] == ["a.txt", "b.txt", "c.txt"]  # their rows are written


def test_a_duplicate_keeps_its_row_while_it_duplicates_the_same_first_copy():
    previous = {"a.txt": known("s1", "k")}
    rejected = {
        "b.txt": reject("s1", "dedupe:duplicate", duplicate_reason("b.txt", "a.txt"), "a.txt"),
        "c.txt": reject("s1", "dedupe:duplicate", duplicate_reason("c.txt", "x.txt"), "x.txt"),
    }
    scanned = [Scanned(p, "s1", "k") for p in ("a.txt", "b.txt", "c.txt")]
    decisions, plan = decide(previous, rejected, scanned)
    assert decisions == {"a.txt": UNCHANGED, "b.txt": DUPLICATE, "c.txt": DUPLICATE}
    assert plan.unchanged_rejects == {"b.txt": "dedupe:duplicate"}  # c.txt's first copy changed
    assert [d.rel_path for d in plan.todo] == ["c.txt"]


def test_a_former_duplicate_that_is_now_the_first_copy_is_processed():
    rejected = {
        "b.txt": reject("s1", "dedupe:duplicate", duplicate_reason("b.txt", "a.txt"), "a.txt")
    }
    decisions, plan = decide({}, rejected, [Scanned("b.txt", "s1", "k")])  # a.txt was deleted
    assert decisions == {"b.txt": PROCESS} and plan.unchanged_rejects == {}


def test_the_row_of_a_file_gone_from_the_input_is_kept_unless_pruned():
    previous = {"a.txt": known("s1", "k1"), "gone.txt": known("s2", "k2")}
    _, plan = decide(previous, {}, [Scanned("a.txt", "s1", "k1")])
    assert plan.gone == ["gone.txt"] and plan.decision("gone.txt") == GONE
    assert plan.drop(prune=False) == set()
    assert plan.drop(prune=True) == {"gone.txt"}
    assert plan.counts() == {
        "files": 1,
        "to_process": 0,
        "to_clean": 0,
        "duplicates": 0,
        "unchanged": 1,
        "carried_rejects": 0,
        "gone": 1,
    }


def test_files_vouched_for_by_their_stat_are_decided_from_their_rows_without_a_scan():
    previous = {"a.txt": known("s1", "k")}
    rejected = {
        "b.txt": reject("s1", "dedupe:duplicate", duplicate_reason("b.txt", "a.txt"), "a.txt"),
        "e.txt": reject("s0", "ingest:empty"),
    }
    decisions, plan = decide(previous, rejected, [], untouched=("a.txt", "b.txt", "e.txt"))
    assert decisions == {"a.txt": UNCHANGED, "b.txt": DUPLICATE, "e.txt": CARRIED}
    assert plan.todo == []
    assert plan.unchanged_rejects == {"b.txt": "dedupe:duplicate", "e.txt": "ingest:empty"}


def test_a_scanned_file_missing_from_the_reports_is_processed():
    paths = [Discovered("a.txt"), Discovered("b.txt")]
    planner = Planner({}, {})
    seen = list(in_path_order(paths, iter([Scanned("b.txt", "s", "k")]), {}, {}))
    assert [s.item.rel_path for s in seen] == ["b.txt"]  # a.txt vanished before it was read
    for s in seen:
        planner.take(s.item.rel_path, s.sha, s.key)
    assert [d.rel_path for d in planner.finish(paths).todo] == ["a.txt", "b.txt"]


def test_an_untouched_duplicate_is_read_again_unless_its_first_copy_is_an_untouched_article():
    previous = {"a.txt": known("s1", "k")}
    rejected = {
        "b.txt": reject("s1", "dedupe:duplicate", duplicate_reason("b.txt", "a.txt"), "a.txt"),
        "c.txt": reject("s1", "dedupe:duplicate", duplicate_reason("c.txt", "z.txt"), "z.txt"),
    }
    paths = [Discovered(p, unchanged=True) for p in ("a.txt", "b.txt", "c.txt")]
    settle_untouched(paths, previous, rejected)
    assert [d.unchanged for d in paths] == [True, True, False]  # z.txt has no article row
    paths = [Discovered("a.txt"), Discovered("b.txt", unchanged=True)]  # a.txt was touched
    settle_untouched(paths, previous, rejected)
    assert [d.unchanged for d in paths] == [False, False]


def test_discovery_vouches_for_articles_and_for_rejects_decided_without_a_content_key():
    previous = {"a.txt": known("s1", "k")}
    rejected = {
        "e.txt": reject("s0", "ingest:empty"),
        "b.txt": reject("s1", "dedupe:duplicate", "", "a.txt"),
        "n.txt": reject("s2", "clean:no_content"),  # its key finds its later copies: hashed
    }
    assert set(known_for_discovery(previous, rejected, trust_mtime=True)) == {
        "a.txt",
        "e.txt",
        "b.txt",
    }
    assert known_for_discovery(previous, rejected, trust_mtime=False) is None
    assert known_for_discovery({}, {}, trust_mtime=True) is None
