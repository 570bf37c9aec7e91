"""The typed records passed between stages: RawDoc -> Article (with Fragments) -> Parquet row.

Every stage is a pure function ``run_<stage>(batch, ...) -> StageResult`` over a list of these
records. Stages never drop a record silently: what they reject goes to ``StageResult.quarantined``
with a reason, and what they count goes to ``StageResult.stats``.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar


@dataclass(slots=True)
class RawDoc:
    """One raw file, read and decoded by the ingest stage."""

    source_path: str  # path relative to the input directory, POSIX separators
    text: str  # decoded text, line endings normalised to "\n"
    encoding: str  # how the bytes were decoded: utf-8, utf-8-sig, utf-16, cp1251
    source_sha256: str  # SHA-256 of the raw bytes
    content_key: str  # SHA-256 of the normalised text: same article => same key
    size_bytes: int
    duplicate_of: str | None = None  # source_path of the first file with the same content_key
    mtime_ns: int | None = None  # the file's modification time when it was read


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the scan of a re-run needs of a file: its path, byte hash and content key."""

    source_path: str
    source_sha256: str
    key: str | None  # the article id (KEY_CHARS hex digits of the content key); None for a
    # file the ingest stage refuses (``tasks.ingest.STABLE_REJECTS``)


KEY_CHARS = 16  # article_id = content_key[:KEY_CHARS]


@dataclass(slots=True)
class RemovedLine:
    """A line of the input that cleaning removed, and the rule that removed it."""

    line_no: int  # 1-based line number in the decoded input
    text: str
    rule: str


@dataclass(slots=True)
class Fragment:
    """A piece of the body in one language: a paragraph, or a sentence of a mixed paragraph."""

    index: int  # position in the article, 0-based
    paragraph: int  # index of the body paragraph it comes from, 0-based
    text: str
    lang: str  # ISO 639-1 code, or "und" when the text carries no linguistic signal
    lang_score: float  # detector confidence in [0, 1]
    text_en: str | None = None  # English text (the text itself when lang == "en")
    translation_status: str = "pending"  # see tasks.translate.STATUSES
    translation_model: str | None = None  # package id "xx_en@version" (or a pivot chain)


@dataclass(slots=True)
class Article:
    """One article: the clean stage creates it, later stages fill in languages and English."""

    article_id: str
    source_path: str
    source_sha256: str
    encoding: str
    site: str | None = None
    source_size_bytes: int | None = None
    source_mtime_ns: int | None = None
    title: str | None = None
    author: str | None = None
    category: str | None = None
    published_at: datetime | None = None  # timezone-aware, UTC
    published_utc_offset_minutes: int | None = None
    published_date: date | None = None  # local calendar date of publication
    dateline: str | None = None
    tags: list[str] = field(default_factory=list)
    header_text: str | None = None  # text of the scraper's " date YYYY-MM-DD <text>" line
    header_role: str | None = None  # what that text was: banner, title, lead, byline, noise, none
    body: str = ""  # clean text in the original languages, paragraphs separated by "\n\n"
    removed: list[RemovedLine] = field(default_factory=list)
    language: str | None = None  # dominant language of the body (by characters)
    fragments: list[Fragment] = field(default_factory=list)
    body_en: str | None = None
    word_count: int = 0


@dataclass(slots=True)
class Quarantined:
    """A raw file that could not become an article, with the reason."""

    source_path: str
    stage: str  # ingest, clean, language, translate, store
    error_class: str  # short machine-readable class, e.g. empty, binary, undecodable, too_large
    reason: str  # human-readable message naming the problem
    size_bytes: int | None = None
    source_sha256: str | None = None
    mtime_ns: int | None = None  # the file's mtime when read (re-runs trust size + mtime)
    duplicate_of: str | None = None  # a duplicate: the first file with its content


@dataclass(slots=True)
class StageStats:
    """What one stage did to one batch; summed over batches by the flow."""

    stage: str
    records_in: int = 0
    records_out: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # e.g. "removed:follow_trend": 3
    seconds: float = 0.0

    def merge(self, other: StageStats) -> StageStats:
        self.records_in += other.records_in
        self.records_out += other.records_out
        self.counts.update(other.counts)
        self.seconds += other.seconds
        return self


T = TypeVar("T")


@dataclass(slots=True)
class StageResult(Generic[T]):
    """The output of ``run_<stage>`` over one batch."""

    items: list[T]
    stats: StageStats
    quarantined: list[Quarantined] = field(default_factory=list)


def path_text(path: str) -> str:
    """``path`` as valid UTF-8 text: a name that is not UTF-8 (its bytes kept by Python as
    surrogates, ``os.fsdecode``) shows each such byte as ``\\xNN``."""
    if path.isascii():
        return path
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path
