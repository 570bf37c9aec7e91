"""Digest of what a checkout produces: the dataset of a corpus and every golden-file output.

    python tools/dataset_digest.py CORPUS [--repo DIR] [--out OUT] [--keep]

Runs ``DIR/.venv/bin/articles run CORPUS --out OUT --no-translate --json -q`` (``DIR``: the
checkout to measure, default this one; each checkout uses its own venv and code), then prints

* the row count and a SHA-256 of the articles and of the quarantine rows, every column but
  ``processed_at`` (rows sorted by ``source_path``, so batch order does not matter), with one
  digest per column to point at what differs, and a digest of the Arrow schema with its field
  documentation;
* the run summary's counts (timings left out);
* a digest of the outputs the golden files pin, computed by ``DIR``'s code: every clean golden
  page (``tests/test_clean_golden.py::golden_result``), the line-labelled pages cleaned as one
  batch (every ``Article`` field), and the language stage over every pinned text and setting.

Run it on two checkouts with the same CORPUS directory (``source_mtime_ns`` is a column, so a
copy of the corpus would differ) and compare the lines: equal digests mean equal outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORED = {"processed_at"}

# Run inside the measured checkout (its own python, its own code): prints one JSON object.
GOLDEN_SCRIPT = r"""
import dataclasses, hashlib, json, sys
from pathlib import Path
sys.path.insert(0, ".")
from tests import test_clean_golden as golden
from tasks.clean import count_lines, run_clean
from tasks.config import Settings

def digest(obj):
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

out = {}
out["clean_golden"] = digest({name: golden.golden_result(name) for name in golden.CASES})
out["clean_golden_cases"] = len(golden.CASES)

from tests import test_clean_labelled as labelled
docs = [labelled.doc_of(labelled.load(path)) for path in labelled.PAGES]
result = run_clean(docs, count_lines(docs), Settings())
out["clean_labelled"] = digest({
    "articles": [dataclasses.asdict(a) for a in result.items],
    "quarantined": [dataclasses.asdict(q) for q in result.quarantined],
    "counts": dict(sorted(result.stats.counts.items())),
})
out["clean_labelled_pages"] = len(docs)

from tasks.language import detect_many
pinned = json.loads(Path("tests/golden/language/pinned.json").read_text(encoding="utf-8"))
settings = {
    "default": Settings(), "ru": Settings(expected_languages=("ru",)),
    "en_uk": Settings(expected_languages=("en", "uk")), "none": Settings(expected_languages=()),
}
got = {}
for name, s in sorted(settings.items()):
    rows = [row["text"] for row in pinned["detect"] if row["settings"] == name]
    got[name] = [(lang, repr(score)) for lang, score in detect_many(rows, s)]
out["language_pinned"] = digest(got)
print(json.dumps(out))
"""


def sha(obj: object) -> str:
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def table_digest(directory: Path) -> dict[str, object]:
    import pyarrow.parquet as pq

    table = pq.read_table(directory)
    schema = table.schema
    names = [n for n in table.column_names if n not in IGNORED]
    rows = sorted(table.select(names).to_pylist(), key=lambda r: (r["source_path"], sha(r)))
    return {
        "rows": len(rows),
        "all": sha(rows),
        "schema": sha(
            [
                (
                    f.name,
                    str(f.type),
                    f.nullable,
                    {k.decode(): v.decode() for k, v in (f.metadata or {}).items()},
                )
                for f in schema
            ]
        ),
        "columns": {n: sha([r[n] for r in rows]) for n in names},
    }


def summary_counts(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    timing = ("seconds", "per_s", "out_dir", "output", "run_id", "flow_run", "started")
    return {k: v for k, v in sorted(data.items()) if not any(t in k for t in timing)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--repo", type=Path, default=ROOT, help="checkout to measure")
    parser.add_argument("--out", type=Path, help="output directory (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the output directory")
    args = parser.parse_args()
    repo = args.repo.resolve()
    out = args.out or Path(tempfile.mkdtemp(prefix="digest-")) / "out"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(repo / ".venv/bin/articles"), "run", str(args.corpus), "--out", str(out)]
    proc = subprocess.run(
        [*cmd, "--no-translate", "--json", "-q"], cwd=repo, capture_output=True, text=True
    )
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return proc.returncode
    result: dict[str, object] = {"repo": str(repo)}
    for name in ("articles", "quarantine"):
        result[name] = table_digest(out / name)
    result["summary"] = sha(summary_counts(out / "run_summary.json"))
    golden = subprocess.run(
        [str(repo / ".venv/bin/python"), "-c", GOLDEN_SCRIPT],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    result["golden"] = json.loads(golden.stdout)
    print(f"checkout {repo}")
    for name in ("articles", "quarantine"):
        t = result[name]
        print(f"{name:<11} rows {t['rows']:>6}  digest {t['all']}  schema {t['schema']}")
        for col, d in t["columns"].items():
            print(f"  {col:<30} {d}")
    print(f"summary counts digest {result['summary']}")
    for key, value in result["golden"].items():
        print(f"golden {key:<20} {value}")
    if not args.keep and args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
