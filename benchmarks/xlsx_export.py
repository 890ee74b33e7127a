"""Spreadsheet exports at scale: backlinks.xlsx and the CSV files' BOM / header rewrite.

Run from the repo root::

    python benchmarks/xlsx_export.py [--rows 1000000] [--dir DIR]

It generates the realistic ``backlinks.parquet`` of ``benchmarks/aggregates_scale.py``
(every backlink column, non-ASCII anchors), builds ``backlinks.csv`` (sitewide step) and
the aggregate CSV files, then runs each spreadsheet step in its own process and reports
wall time, CPU time and peak RSS (``VmHWM`` of that process):

* ``xlsx``: ``write_xlsx`` (every sheet: backlinks from Parquet, the aggregates from CSV);
* ``finish``: ``finish_spreadsheet_csvs`` with a BOM and familiar headers (one sequential
  copy of each spreadsheet-facing CSV file).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def run_step(step: str, folder: Path) -> dict[str, object]:
    from linkspider.engines.headers import SpreadsheetOptions
    from linkspider.engines.spreadsheet import finish_spreadsheet_csvs
    from linkspider.reports.xlsx import write_xlsx

    start, cpu = time.perf_counter(), time.process_time()
    extra: dict[str, object] = {}
    if step == "xlsx":
        summary = write_xlsx(folder, "ahrefs")
        extra["sheets"] = [(s.name, s.rows, s.sheets) for s in summary.sheets]
        extra["size_mb"] = round((folder / "backlinks.xlsx").stat().st_size / 1e6, 1)
    elif step == "finish":
        options = SpreadsheetOptions(xlsx=False, csv_bom=True, headers="ahrefs")
        extra["files"] = finish_spreadsheet_csvs(folder, options)
        extra["csv_mb"] = round((folder / "backlinks.csv").stat().st_size / 1e6, 1)
    return {
        "step": step,
        "wall_s": round(time.perf_counter() - start, 2),
        "cpu_s": round(time.process_time() - cpu, 2),
        "peak_rss_mb": peak_rss_mb(),
        **extra,
    }


def peak_rss_mb() -> float:
    """This process's peak RSS (``VmHWM``: since its exec, unlike ``ru_maxrss``, which a
    child started by ``subprocess`` inherits from the parent that generated the data)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def prepare(folder: Path, rows: int) -> None:
    from benchmarks.aggregates_scale import generate
    from linkspider.reports import aggregates
    from linkspider.reports.sitewide import SitewideRule, apply_sitewide

    generate(folder, rows)
    apply_sitewide(
        folder / "backlinks.parquet", folder / "backlinks.csv", folder / "pages.csv",
        SitewideRule(),
    )  # fmt: skip
    aggregates.write_aggregates(folder / "backlinks.parquet", folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.dir)))
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        prepare(folder, args.rows)
        print(f"rows: {args.rows:,}")
        for step in ("xlsx", "finish"):
            out = subprocess.run(
                [sys.executable, __file__, "--step", step, "--dir", str(folder)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            print(out.stdout.strip())


if __name__ == "__main__":
    main()
