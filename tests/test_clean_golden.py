"""Golden files for the clean stage: tests/golden/clean/<name>.txt -> <name>.json.

Each page is cleaned alone (no cross-document line counts) and compared field by field with the
reviewed expectation. To regenerate the expectations after a deliberate change, run

    CLEAN_GOLDEN_REGEN=1 .venv/bin/pytest tests/test_clean_golden.py
    # or: .venv/bin/python tests/test_clean_golden.py

and review every changed .json by eye (``git diff tests/golden/clean``) before committing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import unicodedata
from pathlib import Path

import pytest

if __name__ == "__main__":  # pragma: no cover - allow `python tests/test_clean_golden.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.clean import clean_document, run_clean
from tasks.config import Settings
from tasks.records import RawDoc

GOLDEN = Path(__file__).resolve().parent / "golden" / "clean"
CASES = sorted(p.stem for p in GOLDEN.glob("*.txt"))
REGEN = os.environ.get("CLEAN_GOLDEN_REGEN") == "1"


def golden_doc(name: str) -> RawDoc:
    data = (GOLDEN / f"{name}.txt").read_bytes()
    text = unicodedata.normalize("NFC", data.decode("utf-8").replace("\r\n", "\n"))
    return RawDoc(
        source_path=f"{name}.txt",
        text=text,
        encoding="utf-8",
        source_sha256=hashlib.sha256(data).hexdigest(),
        content_key=hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest(),
        size_bytes=len(data),
    )


def golden_result(name: str) -> dict:
    doc = golden_doc(name)
    art = clean_document(doc, None, Settings())
    result = run_clean([doc], None, Settings())
    q = result.quarantined[0] if result.quarantined else None
    return {
        "site": art.site,
        "title": art.title,
        "author": art.author,
        "category": art.category,
        "published_at": art.published_at.isoformat() if art.published_at else None,
        "published_utc_offset_minutes": art.published_utc_offset_minutes,
        "published_date": art.published_date.isoformat() if art.published_date else None,
        "dateline": art.dateline,
        "tags": art.tags,
        "header_text": art.header_text,
        "header_role": art.header_role,
        "word_count": art.word_count,
        "quarantined": {"error_class": q.error_class, "reason": q.reason} if q else None,
        "body": art.body.split("\n\n") if art.body else [],
        "removed": [{"line": r.line_no, "rule": r.rule, "text": r.text} for r in art.removed],
    }


def write_expected(name: str) -> None:
    path = GOLDEN / f"{name}.json"
    path.write_text(
        json.dumps(golden_result(name), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def test_enough_fixtures_across_sites_and_languages():
    assert len(CASES) >= 20
    sites = {json.loads((GOLDEN / f"{c}.json").read_text("utf-8"))["site"] for c in CASES}
    assert {"trend", "day.az", "report.az", "azertac", "apa.az", "turan.az", None} <= sites


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str):
    if REGEN:
        write_expected(name)
    expected_path = GOLDEN / f"{name}.json"
    assert expected_path.exists(), f"no expectation for {name}: run with CLEAN_GOLDEN_REGEN=1"
    expected = json.loads(expected_path.read_text("utf-8"))
    actual = golden_result(name)
    for key in expected:
        assert actual[key] == expected[key], f"{name}: field {key!r} differs"
    assert set(actual) == set(expected)


if __name__ == "__main__":  # pragma: no cover
    for case in CASES:
        write_expected(case)
        print("wrote", GOLDEN / f"{case}.json")
