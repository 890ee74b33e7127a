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
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider.archive.process import PAGE_EXTRA, RECORD_COLUMNS, TABLES
from linkspider.archive.records import PROBLEM_KINDS, redirect_reason
from linkspider.archive.redirects import Hop, RedirectIndex
from linkspider.core.items import redirected_page
from linkspider.core.jsonl import JsonlWriter, write_jsonl
from linkspider.engines.cells import safe_cell
from linkspider.extract.indexability import format_redirects
from linkspider.output import FINISHED, utc_now
from linkspider.reports.exports import BACKLINK_KEY, PAGE_KEY, ExportSummary, build_exports
from linkspider.reports.options import ExportOptions
from linkspider.reports.run_folder import write_run_json

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARTIAL = "partial"
#: Column added to the streamed rows: the capture time of the row's own page.
CAPTURED = "_captured"
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


def captures_in_order(
    spark: SparkSession, path: str, key: Sequence[str], at: str
) -> Iterator[dict[str, Any]]:
    """Rows of a table, captures of the same row (a page archived twice) oldest first.

    The exports keep the last row of each key (as for a resumed crawl): the newest
    capture. Backlink rows get ``first_seen`` the oldest capture of their key and
    ``last_seen`` the newest.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as f

    frame = spark.read.parquet(path).withColumn(CAPTURED, f.col(at))
    if at == "first_seen":
        same = Window.partitionBy(*key)
        frame = frame.withColumn("first_seen", f.min("first_seen").over(same))
        frame = frame.withColumn("last_seen", f.max("last_seen").over(same))
    for row in frame.orderBy(CAPTURED).toLocalIterator():
        yield row.asDict()  # with CAPTURED: when this row's page was captured


def summarise(spark: SparkSession, tables: dict[str, str]) -> dict[str, Any]:
    """What was read (``archive.json``): counted in Spark, only the counts come back."""
    from pyspark.sql import functions as f

    records = spark.read.parquet(tables["records"])
    kinds = {str(r["kind"]): int(r["count"]) for r in records.groupBy("kind").count().collect()}
    problems = [
        r.asDict()
        for r in records.where(f.col("kind").isin(sorted(PROBLEM_KINDS)))
        .orderBy("input", "offset")
        .limit(MAX_LISTED)
        .collect()
    ]
    inputs = spark.read.parquet(tables["inputs"])
    by_status = {
        str(r["status"]): int(r["count"]) for r in inputs.groupBy("status").count().collect()
    }
    unread = [
        r.asDict()
        for r in inputs.where(f.col("status") != "read")
        .orderBy("input")
        .limit(MAX_LISTED)
        .collect()
    ]
    problem_count = sum(n for k, n in kinds.items() if k in PROBLEM_KINDS)
    complete = problem_count == 0 and set(by_status) <= {"read"}
    return {
        "status": FINISHED if complete else PARTIAL,
        # a file read in parts is one input; a record range is one
        "inputs": inputs.where(~f.col("part")).count()
        + inputs.where(f.col("part")).select("input").distinct().count(),
        "input_parts": sum(by_status.values()),  # files read in parts count each part
        "inputs_by_status": dict(sorted(by_status.items())),
        "records": dict(sorted(kinds.items())),
        "problems": problem_count,
        "problems_listed": problems,
        "unread_inputs": unread,
    }


def build_run_folder(
    spark: SparkSession,
    tables: dict[str, str],
    folder: Path,
    options: ExportOptions | None,
    info: dict[str, Any],
    rows_only: bool = False,
) -> ArchiveSummary:
    """Write ``folder``'s JSON Lines from ``tables`` and build its exports.

    ``rows_only``: only ``archive.json`` and ``run.json``; the Parquet tables are the
    result (rows too many for one machine: see docs/archives.md).
    """
    folder.mkdir(parents=True, exist_ok=True)
    info = {**info, "spider": "archive", **summarise(spark, tables), "rows": tables}
    exports = ExportSummary()
    if not rows_only:
        hops = [_hop(row) for row in table_rows(spark, tables["redirects"])]
        pages = captures_in_order(spark, tables["pages"], PAGE_KEY, "fetched_at")
        rebuilt = _write_pages(pages, folder / "pages.jsonl", hops)
        _write_backlinks(
            captures_in_order(spark, tables["backlinks"], BACKLINK_KEY, "first_seen"),
            folder / "backlinks.jsonl",
            rebuilt,
        )
        _write_jsonl(table_rows(spark, tables["errors"]), folder / "errors.jsonl", TABLES["errors"])
        _write_records(_listed_records(spark, tables["records"]), folder / RECORDS_CSV)
        write_run_json(folder, info)  # first: report.html shows the status
        exports = build_exports(folder, options)
        info.update(
            pages_crawled=exports.pages,
            backlinks=exports.backlinks,
            referring_domains=exports.referring_domains,
            targets_found=exports.targets_found,
            errors=exports.errors,
        )
    info["finished_at"] = utc_now()
    write_run_json(folder, info)
    _write_json(folder / ARCHIVE_JSON, info)
    return ArchiveSummary(
        info["status"], info["inputs"], info["inputs_by_status"], info["records"],
        info["problems_listed"], info["problems"], exports, info,
    )  # fmt: skip


def _listed_records(spark: SparkSession, path: str) -> Iterator[dict[str, Any]]:
    from pyspark.sql import functions as f

    listed = spark.read.parquet(path).where(~f.col("kind").isin(sorted(_UNLISTED)))
    for row in listed.orderBy("input", "offset").toLocalIterator():
        yield row.asDict()


def _hop(row: dict[str, Any]) -> Hop:
    chain = None
    if row["chain"] is not None:
        chain = tuple(
            (str(url), redirect_reason(str(why))) for url, why in json.loads(row["chain"])
        )
    return Hop(
        row["url"], row["location"], redirect_reason(str(row["status"])), row["fetched_at"] or "",
        int(row["depth"] or 0), chain,
    )  # fmt: skip


def _write_pages(
    rows: Iterator[dict[str, Any]], path: Path, hops: list[Hop]
) -> dict[tuple[str, str], str]:
    """``pages.jsonl``; returns ``(url, fetched_at) -> chain`` of the rebuilt chains.

    Then, as the crawl does for a redirect to a URL it had already requested (its
    duplicate filter drops it), a ``redirected-to-seen-url`` row for every redirect of
    the archive that is in no page's chain and leads to a URL the archive holds.
    """
    index = RedirectIndex(hops)
    rebuilt: dict[tuple[str, str], str] = {}
    followed: set[str] = set()  # URLs of the redirects that led to a page
    fetched: set[str] = {hop.url for hop in hops}
    columns = [c for c in TABLES["pages"] if c not in PAGE_EXTRA]
    with JsonlWriter(path, atomic=True, flush_each=False) as out:
        for row in rows:
            fetched.add(row["url"])
            if row["chain"] is not None:
                followed.update(json.loads(row["chain"]))
            elif index:
                urls, statuses = index.rebuild_chain(row["url"], row["fetched_at"])
                if urls:
                    followed.update(urls)
                    row["requested_url"] = urls[0]
                    key = (row["url"], row["fetched_at"])
                    rebuilt[key] = format_redirects(urls, statuses, row["url"])  # type: ignore[arg-type]
            out.write({c: row[c] for c in columns})
        for hop in hops:
            if hop.url in followed or hop.location not in fetched:
                continue
            if hop.chain is None:
                urls, reasons = index.rebuild_chain(hop.url, hop.fetched_at)
            else:
                urls, reasons = [u for u, _ in hop.chain], [r for _, r in hop.chain]
            page = redirected_page(
                hop.location, [*urls, hop.url], [*reasons, hop.status], hop.depth, hop.fetched_at
            )
            out.write(asdict(page))
    return rebuilt


def _write_backlinks(
    rows: Iterator[dict[str, Any]], path: Path, rebuilt: dict[tuple[str, str], str]
) -> None:
    columns = TABLES["backlinks"]
    with JsonlWriter(path, atomic=True, flush_each=False) as out:
        for row in rows:
            chain = rebuilt.get((row["source_url"], row[CAPTURED]))
            if chain is not None:
                row["source_redirects"] = chain
            out.write({c: row[c] for c in columns})


def _write_jsonl(rows: Iterator[dict[str, Any]], path: Path, columns: tuple[str, ...]) -> None:
    write_jsonl(path, ({c: row[c] for c in columns} for row in rows))


def _write_records(rows: Iterator[dict[str, Any]], path: Path) -> None:
    """``archive_records.csv``: every record that is not a page, and every problem."""
    with _atomic(path) as out:
        writer = csv.writer(out, lineterminator="\r\n")  # as the other CSV files
        writer.writerow(RECORD_COLUMNS)
        for row in rows:
            writer.writerow([safe_cell(row[c]) for c in RECORD_COLUMNS])


class _atomic:
    """A CSV file written as ``*.tmp`` and renamed when complete."""

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
