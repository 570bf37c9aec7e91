"""Scale benchmark: the CLI end to end on generated corpora of growing size, side by side.

    python benchmarks/scale.py [--sizes 1000 10000 100000] [--work benchmarks/out/scale]

For each size it generates a corpus (benchmarks/make_corpus.py, cached under --work), runs
`articles run CORPUS --out OUT --no-translate --json -q` as a child process, then runs it again
on the unchanged corpus (the incremental re-run), and prints per size: wall seconds,
articles/s, peak RSS of the run (the child's maximum resident set, from the OS), seconds inside
the stage functions by stage, Prefect's share of the wall time (wall time not spent in stage
functions, start-up and imports included), and the re-run's cost relative to the first run.
Then the ratios the issue asks for: time(largest)/time(10k) and RSS(largest)/RSS(10k).

Run it with a local Prefect server up (`articles server start`), as users would; without one
each run also pays for a temporary API server, which the figures then include.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.make_corpus import write_corpus  # noqa: E402

ARTICLES = Path(sys.executable).parent / "articles"


def run_cli(corpus: Path, out: Path, extra: list[str]) -> tuple[dict, float, int]:
    """Run the CLI in a child process; return (summary, wall seconds, peak RSS in bytes)."""
    cmd = [str(ARTICLES), "run", str(corpus), "--out", str(out), "--no-translate", "--json", "-q"]
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: measure each run in a fresh
    # helper process so earlier runs do not mask later ones.
    probe = (
        "import json,resource,subprocess,sys,time;"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "w=time.perf_counter()-t;r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps({'rc':p.returncode,'wall':w,'rss_kb':r,'out':p.stdout,'err':p.stderr[-2000:]}))"
    )
    res = subprocess.run(
        [sys.executable, "-c", probe, *cmd, *extra], capture_output=True, text=True, check=True
    )
    data = json.loads(res.stdout)
    if data["rc"] != 0:
        raise SystemExit(f"articles run failed ({data['rc']}): {data['err']}")
    return json.loads(data["out"]), data["wall"], data["rss_kb"] * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "out" / "scale")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="more CLI flags")
    args = parser.parse_args()
    api = os.environ.get("PREFECT_API_URL") or "local server on 127.0.0.1:4200 if running"
    print(f"Prefect API: {api}; cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    rows = []
    for n in args.sizes:
        corpus = args.work / f"corpus-{n}"
        if not corpus.exists():
            t = time.perf_counter()
            counts = write_corpus(corpus, n, seed=n)
            print(f"generated {n} files in {time.perf_counter() - t:.1f} s: {counts}")
        out = args.work / f"out-{n}"
        shutil.rmtree(out, ignore_errors=True)
        summary, wall, rss = run_cli(corpus, out, args.extra)
        rerun, rerun_wall, rerun_rss = run_cli(corpus, out, args.extra)
        assert summary["balanced"] and rerun["balanced"], (
            summary["accounting"],
            rerun["accounting"],
        )
        assert rerun["articles_written"] == 0 and rerun["unchanged"] == summary["articles_written"]
        stage = summary["stage_seconds"]
        in_stages = sum(stage.values())
        rows.append(
            {
                "files": n,
                "articles": summary["articles_written"],
                "wall_s": wall,
                "flow_s": summary["seconds"],
                "articles_per_s": summary["articles_written"] / wall,
                "peak_rss_mb": rss / 2**20,
                "stage_s": stage,
                "prefect_share": max(0.0, 1 - in_stages / wall),
                "rerun_wall_s": rerun_wall,
                "rerun_share": rerun_wall / wall,
                "rerun_rss_mb": rerun_rss / 2**20,
            }
        )
        r = rows[-1]
        print(
            f"{n:>7} files: {r['articles']} articles in {wall:.1f} s wall "
            f"({r['articles_per_s']:.0f} articles/s; flow body {r['flow_s']:.1f} s), "
            f"peak RSS {r['peak_rss_mb']:.0f} MB, outside stage functions {r['prefect_share']:.0%}; "
            f"re-run {rerun_wall:.1f} s = {r['rerun_share']:.1%} of the first run"
        )
        print(
            "         seconds in stage functions (summed over batches): "
            + ", ".join(f"{k} {v:.1f}" for k, v in stage.items())
        )
    by = {r["files"]: r for r in rows}
    if 10000 in by and len(rows) > 1:
        big = max(by)
        if big != 10000:
            print(
                f"time({big})/time(10000) = {by[big]['wall_s'] / by[10000]['wall_s']:.2f}  "
                f"(x{big // 10000} files); RSS({big})/RSS(10000) = "
                f"{by[big]['peak_rss_mb'] / by[10000]['peak_rss_mb']:.2f}"
            )
    (args.work / "results.json").write_text(json.dumps(rows, indent=2))
    print(f"results: {args.work / 'results.json'}")
    _ = resource  # resource is used in the probe process


if __name__ == "__main__":
    main()
