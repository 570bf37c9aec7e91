"""Scale benchmark: the CLI end to end on generated corpora of growing size, side by side.

    python benchmarks/scale.py [--sizes 1000 10000 100000] [--work benchmarks/out/scale]

For each size it generates a corpus (benchmarks/make_corpus.py, cached under --work), runs
`articles run CORPUS --out OUT --no-translate --json -q` as a child process, then runs it again
on the unchanged corpus (the incremental re-run), and prints per size: wall seconds,
articles/s, peak memory of the whole process tree (the CLI and its worker processes; PSS and
RSS, sampled), seconds inside the stage functions by stage, the share of the wall time the
worker processes were not busy in stage functions (Prefect, start-up, imports and the flow's
own bookkeeping: wall x processes - stage seconds), and the re-run's cost relative to the first
run. Then the ratios the issue asks for: time(largest)/time(10k) and memory(largest)/memory(10k).

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
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.make_corpus import write_corpus  # noqa: E402

ARTICLES = Path(sys.executable).parent / "articles"


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in kB; PSS splits pages shared between processes."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def run_cli(corpus: Path, out: Path, extra: list[str]) -> tuple[dict, float, dict[str, float]]:
    """Run the CLI in a child process; return (summary, wall seconds, peak memory in MB).

    Memory is sampled every 0.2 s over the whole process tree (the CLI, the forkserver and the
    worker processes): ``tree_pss`` is the peak of the summed PSS (shared pages counted once),
    ``tree_rss`` the peak of the summed RSS (shared pages counted in every process), ``largest``
    the largest single process (the OS's own maximum, ru_maxrss).
    """
    cmd = [str(ARTICLES), "run", str(corpus), "--out", str(out), "--no-translate", "--json", "-q"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak_rss = peak_pss = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_pss
        while not stop.is_set():
            rss = pss = 0
            for pid in _tree(proc.pid):
                r, p = _memory_kb(pid)
                rss, pss = rss + r, pss + p
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    # ru_maxrss of RUSAGE_CHILDREN only grows: read it as the largest process of any run so far
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"articles run failed ({proc.returncode}): {stderr[-2000:]}")
    memory = {"tree_pss": peak_pss / 1024, "tree_rss": peak_rss / 1024, "largest": largest / 1024}
    return json.loads(stdout), wall, memory


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
        summary, wall, mem = run_cli(corpus, out, args.extra)
        rerun, rerun_wall, rerun_mem = run_cli(corpus, out, args.extra)
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
                "peak_pss_mb": mem["tree_pss"],
                "peak_tree_rss_mb": mem["tree_rss"],
                "largest_process_mb": mem["largest"],
                "stage_s": stage,
                "processes": summary.get("processes", 1),
                "prefect_share": max(0.0, 1 - in_stages / (wall * summary.get("processes", 1))),
                "rerun_wall_s": rerun_wall,
                "rerun_share": rerun_wall / wall,
                "rerun_pss_mb": rerun_mem["tree_pss"],
            }
        )
        r = rows[-1]
        print(
            f"{n:>7} files: {r['articles']} articles in {wall:.1f} s wall "
            f"({r['articles_per_s']:.0f} articles/s; flow body {r['flow_s']:.1f} s), "
            f"peak memory {r['peak_pss_mb']:.0f} MB PSS / {r['peak_tree_rss_mb']:.0f} MB RSS "
            f"(all processes), {r['processes']} worker processes idle or outside stage functions {r['prefect_share']:.0%}; "
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
                f"(x{big // 10000} files); memory({big})/memory(10000) = "
                f"{by[big]['peak_pss_mb'] / by[10000]['peak_pss_mb']:.2f} (PSS), "
                f"{by[big]['peak_tree_rss_mb'] / by[10000]['peak_tree_rss_mb']:.2f} (RSS)"
            )
    (args.work / "results.json").write_text(json.dumps(rows, indent=2))
    print(f"results: {args.work / 'results.json'}")


if __name__ == "__main__":
    main()
