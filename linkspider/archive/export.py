"""The run folder of an archive job: the row tables in, every export of a crawl out.

The job's Parquet tables (:mod:`linkspider.archive.job`) are streamed to the driver,
batch by batch, into the run folder's ``backlinks.jsonl``, ``pages.jsonl`` and
``errors.jsonl``, the files a crawl writes; then
:func:`linkspider.reports.exports.build_exports` builds the same exports as for a crawl
(CSV, Parquet, aggregates, sitewide groups, history, report.html), as ``linkspider
merge`` does for a distributed crawl. On the way, pages of WARCs without linkspider's
metadata records get the redirect chain rebuilt from the archive's redirect records
(:mod:`linkspider.archive.redirects`), in ``pages.requested_url`` and
``backlinks.source_redirects``.

The exports run on one machine, out of core (DuckDB, bounded memory): what limits them
is the driver's disk, about 1 KB of JSON Lines and CSV per backlink row (see
docs/archives.md for the threshold past which the Parquet tables are the result).

``archive.json`` says what was read: inputs, records by kind, every problem (also in
``archive_records.csv`` with the other records that are not pages), rows, and the
status: ``finished`` when every input was read whole, ``partial`` otherwise.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider.archive.process import INPUT_COLUMNS, PAGE_EXTRA, RECORD_COLUMNS, TABLES
from linkspider.archive.records import PROBLEM_KINDS
from linkspider.archive.redirects import Hop, RedirectIndex
from linkspider.extensions.run_report import write_run_json
from linkspider.extract.indexability import format_redirects
from linkspider.output import FINISHED, utc_now
from linkspider.reports.exports import ExportSummary, build_exports
from linkspider.reports.options import ExportOptions
from linkspider.reports.spreadsheet import safe_cell

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARTIAL = "partial"
ARCHIVE_JSON = "archive.json"
RECORDS_CSV = "archive_records.csv"
#: Record kinds not listed in archive_records.csv (the pages and their companions).
_UNLISTED = frozenset({"page", "request", "metadata", "warcinfo"})
#: Problems shown in archive.json (all of them are in archive_records.csv).
MAX_LISTED = 50


@dataclass
class ArchiveSummary:
    status: str
    inputs: int
    inputs_by_status: dict[str, int]
    records: dict[str, int]
    problems: list[dict[str, Any]]
    problem_count: int
    exports: ExportSummary
    info: dict[str, Any] = field(default_factory=dict)


def table_rows(spark: SparkSession, path: str) -> Iterator[dict[str, Any]]:
    """The rows of one Parquet table, streamed partition by partition to the driver."""
    for row in spark.read.parquet(path).toLocalIterator():
        yield row.asDict()


def build_run_folder(
    spark: SparkSession,
    tables: dict[str, str],
    folder: Path,
    options: ExportOptions | None,
    info: dict[str, Any],
) -> ArchiveSummary:
    """Write ``folder``'s JSON Lines from ``tables`` and build its exports."""
    folder.mkdir(parents=True, exist_ok=True)
    hops = [
        Hop(r["url"], r["location"], int(r["status"]), r["fetched_at"] or "")
        for r in table_rows(spark, tables["redirects"])
    ]
    index = RedirectIndex(hops)
    rebuilt = _write_pages(table_rows(spark, tables["pages"]), folder / "pages.jsonl", index)
    _write_backlinks(table_rows(spark, tables["backlinks"]), folder / "backlinks.jsonl", rebuilt)
    _write_jsonl(table_rows(spark, tables["errors"]), folder / "errors.jsonl", TABLES["errors"])
    records, problems, problem_count = _write_records(
        table_rows(spark, tables["records"]), folder / RECORDS_CSV
    )
    inputs = list(table_rows(spark, tables["inputs"]))
    by_status = Counter(str(r["status"]) for r in inputs)
    complete = problem_count == 0 and set(by_status) <= {"read"}
    status = FINISHED if complete else PARTIAL
    info = {
        **info,
        "spider": "archive",
        "status": status,
        "inputs": len(inputs),
        "inputs_by_status": dict(by_status),
        "records": dict(sorted(records.items())),
        "problems": problem_count,
        "problems_listed": problems,
        "unread_inputs": [
            {k: r[k] for k in INPUT_COLUMNS} for r in inputs if r["status"] != "read"
        ][:MAX_LISTED],
    }
    write_run_json(folder, info)  # first: report.html shows the status
    exports = build_exports(folder, options)
    info.update(
        finished_at=utc_now(),
        pages_crawled=exports.pages,
        backlinks=exports.backlinks,
        referring_domains=exports.referring_domains,
        targets_found=exports.targets_found,
        errors=exports.errors,
        rows=tables,
    )
    write_run_json(folder, info)
    _write_json(folder / ARCHIVE_JSON, info)
    return ArchiveSummary(
        status, len(inputs), dict(by_status), info["records"], problems, problem_count,
        exports, info,
    )  # fmt: skip


def _write_pages(
    rows: Iterator[dict[str, Any]], path: Path, index: RedirectIndex
) -> dict[tuple[str, str], str]:
    """``pages.jsonl``; returns ``(url, fetched_at) -> chain`` of the rebuilt chains."""
    rebuilt: dict[tuple[str, str], str] = {}
    columns = [c for c in TABLES["pages"] if c not in PAGE_EXTRA]
    with _atomic(path) as out:
        for row in rows:
            if index and not row["chain_known"]:
                urls, statuses = index.rebuild_chain(row["url"], row["fetched_at"])
                if urls:
                    row["requested_url"] = urls[0]
                    key = (row["url"], row["fetched_at"])
                    rebuilt[key] = format_redirects(urls, statuses, row["url"])
            out.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")
    return rebuilt


def _write_backlinks(
    rows: Iterator[dict[str, Any]], path: Path, rebuilt: dict[tuple[str, str], str]
) -> None:
    columns = TABLES["backlinks"]
    with _atomic(path) as out:
        for row in rows:
            chain = rebuilt.get((row["source_url"], row["first_seen"]))
            if chain is not None:
                row["source_redirects"] = chain
            out.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")


def _write_jsonl(rows: Iterator[dict[str, Any]], path: Path, columns: tuple[str, ...]) -> None:
    with _atomic(path) as out:
        for row in rows:
            out.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")


def _write_records(
    rows: Iterator[dict[str, Any]], path: Path
) -> tuple[Counter[str], list[dict[str, Any]], int]:
    """``archive_records.csv``; returns records by kind, the first problems, their count."""
    kinds: Counter[str] = Counter()
    problems: list[dict[str, Any]] = []
    with _atomic(path) as out:
        writer = csv.writer(out, lineterminator="\r\n")  # as the other CSV files
        writer.writerow(RECORD_COLUMNS)
        for row in rows:
            kind = str(row["kind"])
            kinds[kind] += 1
            if kind in PROBLEM_KINDS and len(problems) < MAX_LISTED:
                problems.append({c: row[c] for c in RECORD_COLUMNS})
            if kind not in _UNLISTED:
                writer.writerow([safe_cell(row[c]) for c in RECORD_COLUMNS])
    return kinds, problems, sum(n for k, n in kinds.items() if k in PROBLEM_KINDS)


class _atomic:
    """A text file written as ``*.tmp`` and renamed when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(path.name + ".tmp")

    def __enter__(self) -> Any:
        self.handle = self.tmp.open("w", encoding="utf-8", newline="")
        return self.handle

    def __exit__(self, kind: object, *_: object) -> None:
        self.handle.close()
        if kind is None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _write_json(path: Path, info: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    tmp.replace(path)
