"""Cleaning quality on labelled real pages: overall, per site, with and without a site profile.

    python benchmarks/real_pages.py [--labels benchmarks/real_pages/labels-tune.json]
                                    [--pages DIR] [--work DIR] [--code CHECKOUT] [--no-misses]

The pages themselves are other people's text and stay outside the repository (``--pages``,
default ``$ARTICLES_REAL_PAGES`` or /work/realpages/pages); only the labels are committed
(benchmarks/real_pages/, see its README for rebuilding the pages). For one label set it copies the
pages whose sha256 matches their label into a fresh input directory (so one set's pages never
count as another's repeated-line evidence), runs ``articles run IN --out OUT --no-translate
--json -q`` with the code of ``--code`` (default: this checkout; e.g. a worktree of an older
commit to measure a baseline side by side), then scores the run with ``score_real_pages.py``
(the team's scorer, by default /work/shared/tools/score_real_pages.py, else the copy in
benchmarks/real_pages/) on the whole set, on each site's pages, and on the sites that have a
profile in ``tasks/sites/`` (of ``--profiles-from``, default the measured checkout) vs those
that have none. Prints the issue's table rows per group, with counts.

Start a Prefect server first (``articles server start --port P``, then ``export
PREFECT_API_URL=http://127.0.0.1:P/api``), or each run pays ~20 s for a temporary one.
``--no-misses`` hides the scorer's list of missed lines: use it on the held-out set, whose misses
must never steer the code.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks" / "real_pages"
SHARED_SCORER = Path("/work/shared/tools/score_real_pages.py")
FIGURE_RE = re.compile(r"(\w+) ([\d.]+)%")
LINES_RE = re.compile(r"lines: boilerplate (\d+), content (\d+)")


def default_pages() -> Path:
    return Path(os.environ.get("ARTICLES_REAL_PAGES", "/work/realpages/pages"))


def stage_pages(labels: list[dict], pages: Path, into: Path) -> tuple[list[dict], list[str]]:
    """Copy the labelled pages whose bytes match their sha256; return (present labels, problems)."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    present, problems = [], []
    for e in labels:
        name = Path(e["file"]).name
        src = pages / name
        if not src.exists():
            problems.append(f"{name}: absent")
            continue
        data = src.read_bytes()
        if hashlib.sha256(data).hexdigest() != e["sha256"]:
            problems.append(f"{name}: sha256 differs from its label (not scored)")
            continue
        (into / name).write_bytes(data)
        present.append(e)
    return present, problems


def run_articles(code: Path, inp: Path, out: Path) -> dict:
    """``articles run`` with the code of checkout ``code`` (its directory first on sys.path)."""
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [
        sys.executable,
        "-c",
        "import sys; from flows.cli import main; sys.exit(main(sys.argv[1:]))",
        "run",
        str(inp),
        "--out",
        str(out),
        "--no-translate",
        "--json",
        "-q",
    ]
    proc = subprocess.run(cmd, cwd=code, env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"articles run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def score(scorer: Path, inp: Path, out: Path, labels: list[dict], work: Path, tag: str):
    """Run the scorer on ``labels``; return (figures, line totals, its full output)."""
    path = work / f"labels-{tag}.json"
    path.write_text(json.dumps(labels, ensure_ascii=False))
    proc = subprocess.run(
        [sys.executable, str(scorer), str(inp), str(out), str(path)],
        capture_output=True,
        text=True,
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if not last.startswith("real pages"):
        raise SystemExit(f"scorer failed on {tag}: {proc.stderr[-2000:]}")
    figs = {k: float(v) for k, v in FIGURE_RE.findall(last)}
    m = LINES_RE.search(last)
    totals = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return figs, totals, proc.stdout


def profile_patterns(code: Path) -> list[re.Pattern[str]]:
    """The strong recognition patterns of every site profile of a checkout."""
    pats = []
    for path in sorted((code / "tasks" / "sites").glob("*.toml")):
        if path.name.startswith("_"):
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for p in data.get("recognize", {}).get("strong", []):
            try:
                pats.append(re.compile(p))
            except re.error:
                continue
    return pats


def has_profile(site: str, patterns: list[re.Pattern[str]]) -> bool:
    """Whether a profile names the site's domain among its signals."""
    return any(p.search(site) for p in patterns)


def header_counts(labels: list[dict]) -> tuple[int, int]:
    """(pages whose header text is the title, pages whose header text is the lead)."""
    title = sum(1 for e in labels if e["header_date"] and e["header_text_role"] == "title")
    lead = sum(1 for e in labels if e["header_date"] and e["header_text_role"] == "lead")
    return title, lead


def row(name: str, labels: list[dict], figs: dict, totals: tuple[int, int]) -> str:
    bp, ct = totals
    nt, nl = header_counts(labels)

    def lost(pct: float, n: int) -> int:
        return round(n * (100 - pct) / 100)

    return (
        f"| {name} | {len(labels)} | {figs['accounted']:.0f} / {figs['header_date']:.0f} / "
        f"{figs['main_lang']:.0f} % | {figs['header_lead']:.1f} % ({lost(figs['header_lead'], nl)} "
        f"of {nl} lost) | {figs['content_kept']:.1f} % ({lost(figs['content_kept'], ct)} of {ct} "
        f"lost) | {figs['boilerplate_removed']:.1f} % ({bp - lost(figs['boilerplate_removed'], bp)}"
        f" of {bp}) | {figs['header_title']:.1f} % ({lost(figs['header_title'], nt)} of {nt} lost) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, default=HERE / "labels-tune.json")
    parser.add_argument("--pages", type=Path, default=default_pages())
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "out" / "real_pages")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout whose code runs")
    parser.add_argument("--profiles-from", type=Path, default=None, help="checkout for grouping")
    parser.add_argument("--scorer", type=Path, default=None)
    parser.add_argument("--no-misses", action="store_true", help="do not print missed lines")
    args = parser.parse_args()
    scorer = args.scorer or (
        SHARED_SCORER if SHARED_SCORER.exists() else HERE / "score_real_pages.py"
    )
    labels = json.loads(args.labels.read_text(encoding="utf-8"))
    work = args.work / args.labels.stem
    inp, out = work / "pages", work / "out"
    present, problems = stage_pages(labels, args.pages, inp)
    for p in problems:
        print(f"skipped {p}")
    if not present:
        raise SystemExit("no labelled page could be staged")
    api = os.environ.get("PREFECT_API_URL") or "none (a temporary server per run)"
    print(f"{args.labels.name}: {len(present)} pages; code {args.code}; Prefect API {api}")
    summary = run_articles(args.code.resolve(), inp, out)
    print(f"run: {summary.get('accounting')} in {summary.get('seconds', 0):.1f} s (flow)")
    figs, totals, text = score(scorer, inp, out, present, work, "all")
    if not args.no_misses:
        print(text.rstrip())
    pats = profile_patterns((args.profiles_from or args.code).resolve())
    groups: list[tuple[str, list[dict]]] = [("all", present)]
    with_p = [e for e in present if has_profile(e["site"], pats)]
    groups.append(("sites with a profile", with_p))
    groups.append(("sites without a profile", [e for e in present if e not in with_p]))
    for site in sorted({e["site"] for e in present}):
        tag = "site " + site + (" (profile)" if has_profile(site, pats) else "")
        groups.append((tag, [e for e in present if e["site"] == site]))
    print(
        "| pages | n | accounted / date / lang | header lead kept | content kept |"
        " boilerplate removed | header title kept |"
    )
    print("|---|---:|---|---|---|---|---|")
    results = {}
    for name, subset in groups:
        if not subset:
            continue
        if name == "all":
            f, t = figs, totals
        else:
            f, t, _ = score(scorer, inp, out, subset, work, re.sub(r"\W+", "_", name))
        results[name] = {"pages": len(subset), "figures": f, "lines": t}
        print(row(name, subset, f, t))
    (work / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
