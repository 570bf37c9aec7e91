"""Incremental planning: what a run does with each file it finds, decided from what it is handed.

Pure: no Prefect, no I/O. The flow hands it the previous dataset's index (``tasks.dataset``:
``previous_index`` for article rows, ``previous_rejects`` for quarantine rows), discovery's stat
results (``tasks.ingest.Discovered.unchanged``) and the scan's reports, in path order; it answers
with one decision per file and the counts (the README's "Re-runs" section, rule by rule):

* **unchanged**: a readable file, the first copy of its content, whose bytes (SHA-256, or size and
  mtime when discovery could vouch for them) are those of its article row: the row is kept.
* **duplicate_of**: a readable file whose content key a file earlier by path already has; it gets
  (or keeps, when its bytes and first copy are the same as when its row was written) a
  duplicate row naming that first copy.
* **carried reject**: a file whose bytes are those of its quarantine row: refused by ingest for
  its bytes (empty, binary, undecodable), set aside by cleaning, or a duplicate of the same
  first copy; the row is carried over, the file is not processed. A former duplicate that is
  now the first copy is processed instead.
* **process**: everything else (new, changed, transiently unreadable before): processed now,
  replacing its rows.
* **gone**: a path with an article row that the input no longer holds: its row is kept
  (``kept_deleted``) unless the run prunes it.

An untouched duplicate is decided from its row only while its first copy is an untouched
article too (``settle_untouched``); otherwise it is read again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from tasks.ingest import Discovered, duplicate_reason

UNCHANGED = "unchanged"
DUPLICATE = "duplicate_of"
CARRIED = "carried_reject"
PROCESS = "process"
GONE = "gone"


def known_for_discovery(
    previous: Mapping[str, Any], rejected_before: Mapping[str, Any], trust_mtime: bool
) -> dict[str, Any] | None:
    """The rows discovery may vouch for by size and mtime: articles, and the quarantine rows
    that can be decided without the file's content key (``Rejected.keyless``); None: stat nothing."""
    if not (previous or rejected_before) or not trust_mtime:
        return None
    known = {path: row for path, row in rejected_before.items() if row.keyless}
    known.update(previous)
    return known


def settle_untouched(
    paths: list[Discovered], previous: Mapping[str, Any], rejected_before: Mapping[str, Any]
) -> None:
    """An untouched duplicate is decided from its row only while its first copy is an untouched
    article too (its content key is that article's id); otherwise it is read again."""
    untouched = None
    for item in paths:
        if not item.unchanged or item.rel_path in previous:
            continue
        first = rejected_before[item.rel_path].duplicate_of
        if first is None:
            continue
        if untouched is None:
            untouched = {d.rel_path for d in paths if d.unchanged}
        if first not in previous or first not in untouched:
            item.unchanged = False


@dataclass(slots=True)
class Seen:
    """One file as the planner sees it: its bytes' hash and content key (None: refused by
    ingest), and the scan's report for it (None when discovery vouched for it)."""

    item: Discovered
    sha: str
    key: str | None
    report: Any = None


def in_path_order(
    paths: list[Discovered],
    scanned: Iterator[Any],
    previous: Mapping[str, Any],
    rejected_before: Mapping[str, Any],
) -> Iterator[Seen]:
    """Every file, in path order: scanned (``scanned`` yields reports with ``path``, ``sha`` and
    ``key``, sorted by path) or vouched for by discovery (its row says what it is). Both are
    sorted by path, so this is a merge; a file the scan did not report is left out (it is
    processed). ``scanned`` is drained to its end (its bookkeeping runs as it is consumed)."""
    report = next(scanned, None)
    for item in paths:
        path = item.rel_path
        if item.unchanged:
            row = previous.get(path)
            if row is not None:
                yield Seen(item, row.sha256, row.article_id)
            else:  # refused for its bytes, or a duplicate: its quarantine row says what
                reject = rejected_before[path]
                first = reject.duplicate_of
                yield Seen(item, reject.sha256, previous[first].article_id if first else None)
            continue
        while report is not None and report.path < path:
            report = next(scanned, None)
        if report is not None and report.path == path:
            yield Seen(item, report.sha, report.key, report)
            report = next(scanned, None)
    for _ in scanned:
        pass


@dataclass(slots=True)
class Planner:
    """Decides each file as it is seen, in path order (the first path with a content key is the
    first copy of that content)."""

    previous: Mapping[str, Any]  # path -> Known (article rows)
    rejected_before: Mapping[str, Any]  # path -> Rejected (quarantine rows)
    first_by_key: dict[str, str] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)  # path -> its first copy
    readable: set[str] = field(default_factory=set)  # files the scan could read
    unchanged: set[str] = field(default_factory=set)  # same bytes as their article row
    unchanged_rejects: dict[str, str] = field(default_factory=dict)  # path -> "stage:class"

    def take(self, path: str, sha: str, key: str | None) -> str:
        """The decision for one file: ``UNCHANGED``, ``DUPLICATE``, ``CARRIED`` or ``PROCESS``."""
        if key is None:  # refused by ingest: unchanged if its bytes are
            return self._carried(path, sha) or PROCESS
        self.readable.add(path)
        first = self.first_by_key.setdefault(key, path)
        if first != path:
            self.duplicates[path] = first
            # same bytes, duplicate of the same file as when its row was written
            before = self.rejected_before.get(path)
            if (
                before is not None
                and before.sha256 == sha
                and before.reason == duplicate_reason(path, first)
            ):
                self.unchanged_rejects[path] = before.label
            return DUPLICATE
        if (row := self.previous.get(path)) is not None and row.sha256 == sha:
            self.unchanged.add(path)
            return UNCHANGED
        before = self.rejected_before.get(path)
        if before is not None and before.stage == "dedupe":  # it was a duplicate: now the first
            return PROCESS
        return self._carried(path, sha) or PROCESS

    def _carried(self, path: str, sha: str) -> str | None:
        before = self.rejected_before.get(path)
        if before is not None and before.sha256 == sha:
            self.unchanged_rejects[path] = before.label
            return CARRIED
        return None

    def finish(self, paths: Iterable[Discovered]) -> Plan:
        """The decisions, once every file was taken; the content keys are let go."""
        self.first_by_key.clear()
        paths = list(paths)
        todo = [
            d
            for d in paths
            if d.rel_path not in self.unchanged and d.rel_path not in self.unchanged_rejects
        ]
        found = {d.rel_path for d in paths}
        return Plan(
            files=len(paths),
            todo=todo,
            to_clean=[
                d for d in todo if d.rel_path in self.readable and d.rel_path not in self.duplicates
            ],
            duplicates=self.duplicates,
            unchanged=self.unchanged,
            unchanged_rejects=self.unchanged_rejects,
            gone=sorted(set(self.previous) - found),
        )


@dataclass(slots=True)
class Plan:
    """One decision per file and the counts: what the process pass and the commit do."""

    files: int  # found by discovery
    todo: list[Discovered]  # to process now (duplicates among them get their duplicate row)
    to_clean: list[Discovered]  # the readable first copies among ``todo``
    duplicates: dict[str, str]  # path -> first copy (carried or written again)
    unchanged: set[str]  # article rows kept as they are
    unchanged_rejects: dict[str, str]  # quarantine rows carried over: path -> "stage:class"
    gone: list[str]  # paths with an article row the input no longer holds

    def decision(self, path: str) -> str:
        if path in self.unchanged:
            return UNCHANGED
        if path in self.duplicates:
            return DUPLICATE
        if path in self.unchanged_rejects:
            return CARRIED
        if path in self.gone:
            return GONE
        return PROCESS

    def drop(self, prune: bool) -> set[str]:
        """Article rows not to carry over: those of the files processed now (and, pruning, of
        the files gone)."""
        return {d.rel_path for d in self.todo} | (set(self.gone) if prune else set())

    def counts(self) -> dict[str, int]:
        return {
            "files": self.files,
            "to_process": len(self.todo),
            "to_clean": len(self.to_clean),
            "duplicates": len(self.duplicates),
            "unchanged": len(self.unchanged),
            "carried_rejects": len(self.unchanged_rejects),
            "gone": len(self.gone),
        }
