"""``placements_status.csv``: one status per expected link, in the order of the input file.

Built from two JSON Lines files of the run folder: ``placements_expected.jsonl`` (the
input rows, written when the crawl starts) and ``placements.jsonl`` (a status line per row
as its page is checked; the last line of a row wins, so a resumed crawl reports a row
once). A row without a status line gets ``not-checked``: the crawl stopped before its
page. ``linkspider export DIR`` rebuilds the file.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from linkspider.config.placements import ExpectedLink
from linkspider.core.jsonl import read_jsonl, write_jsonl
from linkspider.engines.cells import csv_cell
from linkspider.extract.placement_check import PlacementStatus, outcome_rows

EXPECTED_NAME = "placements_expected.jsonl"
JSONL_NAME = "placements.jsonl"
CSV_NAME = "placements_status.csv"
COLUMNS = tuple(f.name for f in fields(PlacementStatus))


def write_expected(output_dir: Path, expected: tuple[ExpectedLink, ...]) -> None:
    """Record the input rows (replaced atomically: a resumed crawl writes the same rows)."""
    write_jsonl(output_dir / EXPECTED_NAME, (asdict(link) for link in expected))


def write_placements_status(output_dir: Path) -> Counter[str] | None:
    """Write ``placements_status.csv``; return the count per status (None: no expect run)."""
    expected_path = output_dir / EXPECTED_NAME
    if not expected_path.exists():
        return None
    checked: dict[int, dict[str, Any]] = {}
    for record in read_jsonl(output_dir / JSONL_NAME):
        if isinstance(record.get("row"), int):
            checked[record["row"]] = record
    counts: Counter[str] = Counter()
    path = output_dir / CSV_NAME
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for record in read_jsonl(expected_path):
            link = ExpectedLink(**record)
            row = checked.get(link.row) or asdict(outcome_rows([link], None)[0])
            counts[str(row.get("status"))] += 1
            writer.writerow({name: csv_cell(row.get(name)) for name in COLUMNS})
    tmp.replace(path)
    return counts
