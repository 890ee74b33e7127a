"""Build every export of a run folder from its streamed ``*.jsonl`` files.

Called by the crawl when it finishes, and by ``linkspider export DIR`` (for example after a
killed crawl): the JSON Lines files are the source of truth, everything else is derived.

The work is in three stages (:data:`STAGES`), each reading what the ones before wrote:
``tables`` (the JSON Lines files into CSV and Parquet: DuckDB), ``links`` (history,
authority, sitewide flags, aggregates, verification: DuckDB and pandas) and ``documents``
(``backlinks.xlsx``, ``report.html``). :func:`build_exports` runs them one after the other;
the exports of a large crawl run each in a fresh process (:mod:`linkspider.reports.finish`),
so no stage's peak lands on what the allocators kept of the one before. A stage imports
its libraries when it runs (``tables`` needs no pandas).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from linkspider.reports.options import ExportOptions
from linkspider.reports.verification import VerificationSummary

if TYPE_CHECKING:
    from linkspider.engines.headers import SpreadsheetOptions

logger = logging.getLogger(__name__)

#: What identifies a row: a link element of a page, a fetch, a failed URL.
BACKLINK_KEY = ("source_url", "link_index", "href", "anchor_text")
PAGE_KEY = ("url", "requested_url")
ERROR_KEY = ("url",)

#: The stages of the exports, in order.
STAGES = ("tables", "links", "documents")


@dataclass
class ExportSummary:
    backlinks: int = 0
    pages: int = 0
    errors: int = 0
    referring_domains: int = 0
    targets_found: int = 0
    bad_lines: int = 0
    sitewide_links: int = 0
    verification: VerificationSummary = field(default_factory=VerificationSummary)
    report_error: str = ""  # report.html / disavow_candidates.txt failed (logged); "" if fine
    xlsx_notes: list[str] = field(default_factory=list)  # Excel's limits met (rows, links)
    files: list[str] = field(default_factory=list)


def build_exports(output_dir: Path, options: ExportOptions | None = None) -> ExportSummary:
    """Write CSV/Parquet tables and aggregate reports into ``output_dir``."""
    options = options or ExportOptions()
    summary = ExportSummary()
    for stage in STAGES:
        run_stage(stage, output_dir, options, summary)
    return summary


def run_stage(stage: str, output_dir: Path, options: ExportOptions, summary: ExportSummary) -> None:
    """Run one of :data:`STAGES`; what it finds goes into ``summary``."""
    from linkspider.engines._duckdb import give_back_freed_memory

    give_back_freed_memory()
    if stage == "tables":
        _tables(output_dir, summary)
    elif stage == "links":
        _links(output_dir, options, summary)
    elif stage == "documents":
        _documents(output_dir, options, summary)
    else:
        raise ValueError(f"no export stage {stage!r}")


def _tables(output_dir: Path, summary: ExportSummary) -> None:
    from linkspider.core.items import BacklinkItem, ErrorItem, PageItem
    from linkspider.engines.tables import arrow_schema, export_jsonl

    # A resumed crawl fetches again the pages it was fetching when it stopped: the last
    # record of a page, link element or failed URL is the one kept (see the *_KEY names).
    pages = export_jsonl(
        output_dir / "pages.jsonl", arrow_schema(PageItem), output_dir / "pages.csv", key=PAGE_KEY
    )
    backlinks = export_jsonl(
        output_dir / "backlinks.jsonl",
        arrow_schema(BacklinkItem),
        None,  # backlinks.csv: written once, with the sitewide flags, by apply_sitewide
        output_dir / "backlinks.parquet",
        key=BACKLINK_KEY,
    )
    errors = export_jsonl(
        output_dir / "errors.jsonl",
        arrow_schema(ErrorItem),
        output_dir / "errors.csv",
        key=ERROR_KEY,
    )
    summary.backlinks, summary.pages, summary.errors = backlinks.rows, pages.rows, errors.rows
    summary.bad_lines = pages.bad_lines + backlinks.bad_lines + errors.bad_lines


def _links(output_dir: Path, options: ExportOptions, summary: ExportSummary) -> None:
    from linkspider.monitor import history_first_seen, update_monitoring
    from linkspider.reports import aggregates
    from linkspider.reports.authority import AuthorityColumns
    from linkspider.reports.authority_source import load_authority
    from linkspider.reports.candidates import write_candidates_status
    from linkspider.reports.sitewide import apply_sitewide
    from linkspider.reports.verification import build_verification

    first_seen = None
    if options.history:  # new/lost/changed links against the target set's history
        history_dir = options.history_dir or output_dir.absolute().parent / "history"
        monitor = update_monitoring(output_dir, history_dir, options.history_lock_timeout)
        # first_seen is the history's (the link's first sighting in any run), as users read it
        first_seen = history_first_seen(output_dir / "backlinks.parquet", monitor.first_seen)
        del monitor  # its first_seen frame holds every link of the run (~85 MB at 80,000)
    # Open authority (Common Crawl ranks of the referring domains), if a release is set.
    authority = load_authority(output_dir, options.authority_release)
    summary.sitewide_links = apply_sitewide(
        output_dir / "backlinks.parquet",
        output_dir / "backlinks.csv",
        output_dir / "pages.csv",
        options.sitewide,
        first_seen,
        AuthorityColumns(authority),
    )
    totals = aggregates.write_aggregates(output_dir / "backlinks.parquet", output_dir, authority)
    summary.referring_domains = totals.total_domains
    summary.targets_found = totals.total_targets
    summary.verification = build_verification(output_dir)  # -a expect, -a check_targets
    write_candidates_status(output_dir)  # -a discover: verdict per candidate


def _documents(output_dir: Path, options: ExportOptions, summary: ExportSummary) -> None:
    from linkspider.engines.spreadsheet import finish_spreadsheet_csvs
    from linkspider.reports.html_report import write_reports

    summary.xlsx_notes = write_spreadsheets(output_dir, options.spreadsheet)
    # Last: it reads every file above; a failure is logged and loses no other export.
    summary.report_error = write_reports(output_dir, options)
    finish_spreadsheet_csvs(output_dir, options.spreadsheet)  # BOM, header names
    summary.files = sorted(
        p.name for p in output_dir.iterdir() if p.is_file() and not p.name.endswith(".tmp")
    )


def write_spreadsheets(output_dir: Path, options: SpreadsheetOptions) -> list[str]:
    """``backlinks.xlsx`` if wanted (an older one is removed if not); Excel's limits met."""
    from linkspider.reports.xlsx import XLSX_NAME, write_xlsx

    if not options.xlsx:
        (output_dir / XLSX_NAME).unlink(missing_ok=True)  # never a stale workbook
        return []
    notes = write_xlsx(output_dir, options.headers).notes
    for note in notes:
        logger.info("%s: %s", XLSX_NAME, note)
    return notes
