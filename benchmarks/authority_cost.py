"""What open authority and candidate statuses add to the exports, on a generated table.

Run from the repo root::

    python benchmarks/authority_cost.py [--rows 2000000] [--candidates 20000] [--dir DIR]

It generates ``backlinks.parquet`` and ``pages.csv`` as ``benchmarks/aggregates_scale.py``
does, gives 70% of the referring domains a rank, writes a ``referring_candidates.csv`` of
``--candidates`` candidates (half of them referring domains of the table), then runs each
step in its own process and reports wall time, CPU time and peak RSS:

* ``sitewide``: ``apply_sitewide`` as without a release;
* ``sitewide+authority``: the same pass adding the four authority columns (what a
  configured release costs in ``backlinks.csv``/``.parquet``; the rank lookup itself is
  ``linkspider.discover.lookup_ranks``, see ``benchmarks/results/discover.md``);
* ``candidates``: ``write_candidates_status`` (reads pages.csv, errors, blocked pages and
  the backlink table once).
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _domains(folder: Path) -> list[str]:
    table = pq.read_table(folder / "backlinks.parquet", columns=["source_domain"])
    return [str(v) for v in pc.unique(table.column(0)).to_pylist() if v]


def prepare(folder: Path, rows: int, candidates: int) -> None:
    from aggregates_scale import generate

    from linkspider.discover.writer import COLUMNS

    if not (folder / "backlinks.parquet").exists():
        generate(folder, rows)
    (folder / "errors.csv").write_text("url,error,message,depth,occurred_at\n", "utf-8")
    domains = _domains(folder)
    with (folder / "referring_candidates.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        for i in range(candidates):
            name = domains[i % len(domains)] if i % 2 == 0 else f"gone-{i}.example"
            writer.writerow({"candidate": name, "level": "domain", "links_to": "acme.com",
                             "harmonic_centrality_rank": i + 1, "release": "bench"})  # fmt: skip


def run_step(step: str, folder: Path) -> dict[str, float]:
    from linkspider.discover.ranks import Rank
    from linkspider.reports.authority import Authority, AuthorityColumns
    from linkspider.reports.candidates import write_candidates_status
    from linkspider.reports.sitewide import SitewideRule, apply_sitewide

    extra: dict[str, float] = {}
    extend = None
    if step == "sitewide+authority":
        domains = _domains(folder)
        ranked = {d: Rank(i + 1, 1.0 / (i + 1), i + 1, 1e-6) for i, d in enumerate(domains)
                  if i % 10 < 7}  # fmt: skip
        extend = AuthorityColumns(Authority("bench", "domain", ranked, len(domains)))
        extra["ranked_domains"] = len(ranked)
    start, cpu = time.perf_counter(), time.process_time()
    if step.startswith("sitewide"):
        work = folder / f"work-{step}"
        work.mkdir(exist_ok=True)
        parquet = work / "backlinks.parquet"
        parquet.write_bytes((folder / "backlinks.parquet").read_bytes())
        extra["rows"] = apply_sitewide(
            parquet, work / "backlinks.csv", folder / "pages.csv", SitewideRule(), None, extend
        )
    else:
        summary = write_candidates_status(folder)
        assert summary is not None
        extra.update({k: float(v) for k, v in summary.counts.items()})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"wall_s": time.perf_counter() - start, "cpu_s": time.process_time() - cpu,
            "peak_rss_mb": peak, **extra}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--dir", type=Path, default=None, help="keep the generated files here")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "prepare":
        prepare(args.dir, args.rows, args.candidates)
        return 0
    if args.step:
        print(json.dumps(run_step(args.step, args.dir)))
        return 0
    folder = args.dir or Path(tempfile.mkdtemp(prefix="linkspider-authority-"))
    folder.mkdir(parents=True, exist_ok=True)
    # In a process of its own: Linux keeps a parent's peak RSS in ru_maxrss across exec.
    subprocess.run(
        [sys.executable, __file__, "--step", "prepare", "--dir", str(folder),
         "--rows", str(args.rows), "--candidates", str(args.candidates)],
        check=True,
    )  # fmt: skip
    pages = sum(1 for _ in (folder / "pages.csv").open()) - 1
    print(f"{folder}: {args.rows:,} backlink rows, {pages:,} pages, {args.candidates:,} candidates")
    print("| step | wall s | CPU s | peak RSS MB | detail |\n| --- | --- | --- | --- | --- |")
    for step in ("sitewide", "sitewide+authority", "candidates"):
        done = subprocess.run(
            [sys.executable, __file__, "--step", step, "--dir", str(folder)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"| {step} | failed | | | {done.stderr.strip().splitlines()[-1:]} |")
            continue
        result = json.loads(done.stdout.strip().splitlines()[-1])
        detail = ", ".join(f"{k}={int(v):,}" for k, v in result.items()
                           if k not in ("wall_s", "cpu_s", "peak_rss_mb"))  # fmt: skip
        print(f"| {step} | {result['wall_s']:.1f} | {result['cpu_s']:.1f} | "
              f"{result['peak_rss_mb']:.0f} | {detail} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
