"""The end of a crawl: build its exports, finish ``run.json``, log the summary line.

Run by the crawl's run report (:mod:`linkspider.extensions.run_report`) in the crawl's
process, or by the process that replaces it (:mod:`linkspider.reports.handoff`).

A failure while building the exports is logged in one line and recorded in ``run.json``
(``export-failed``); the JSON Lines files are kept, so ``linkspider export DIR`` can
retry, and no ``*.tmp`` file is left behind. So is an interruption (Ctrl-C, or SIGTERM in
the exports' own process). A run whose rows are incomplete (``failed``: a write failed)
gets no exports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from linkspider.output import EXPORT_FAILED, FAILED, exit_code
from linkspider.reports.blocked import ssrf_note, write_blocked_csv
from linkspider.reports.exports import STAGES, ExportSummary, run_stage
from linkspider.reports.handoff import RunEnd
from linkspider.reports.run_folder import folder_counts, remove_tmp_files, save_run_json

logger = logging.getLogger(__name__)

#: JSON Lines files at least this large (all of a run folder's together) get their last
#: export stage (``backlinks.xlsx``, ``report.html``) in a fresh process, when there is a
#: process to replace: it then starts from the libraries alone, not from what the
#: allocators kept of the tables and the history. A 50,000-page crawl writes about 44 MB.
FRESH_STAGE_BYTES = 16 << 20


def finish_run(end: RunEnd, next_stage: Callable[[RunEnd], None] | None = None) -> str:
    """Build the exports of ``end.folder`` (unless the run ``failed``) and write its final
    ``run.json``; return the run's final status.

    ``next_stage`` replaces this process with one that goes on from a later stage (it
    returns only if it could not); without it, every stage runs here.
    """
    folder, info = end.folder, dict(end.info)
    summary = end.summary or ExportSummary()
    if info.get("status") == FAILED:
        remove_tmp_files(folder)
        info["exports_built"] = False
    else:
        if end.stage == 0:
            remove_tmp_files(folder)  # what a killed export of an earlier session left
            logger.info(f"building the exports in {folder}")  # a large run's take a while
            info["exports_built"] = False
            save_run_json(folder, info)  # first: report.html, built last, shows the status
        fresh = end.fresh_stage
        if fresh is None:
            fresh = _jsonl_bytes(folder) >= FRESH_STAGE_BYTES
        try:
            if end.stage == 0:
                write_blocked_csv(folder)  # before the report, whose Crawl section reads it
            for index in range(end.stage, len(STAGES)):
                if index == len(STAGES) - 1 and index > end.stage and fresh and next_stage:
                    logger.debug(f"the exports' {STAGES[index]} stage: in a fresh process")
                    try:
                        next_stage(replace(end, info=info, summary=summary, stage=index))
                    except OSError as exc:  # it goes on here
                        logger.warning(f"linkspider: no fresh process for the exports ({exc})")
                run_stage(STAGES[index], folder, end.options, summary)
            info["exports_built"] = True
        except (Exception, KeyboardInterrupt) as exc:  # keep the JSONL files, say what failed
            _export_failed(folder, info, exc)
    built = bool(info["exports_built"])
    counts = folder_counts(folder, summary) if built else {}
    elapsed = float(info.get("elapsed_seconds") or 0)
    pages = int(counts.get("pages_crawled", 0))
    info.update(
        pages_per_second=round(pages / elapsed, 2) if elapsed > 0 and counts else None,
        **counts,
        **end.tail,
    )
    status = str(info["status"])
    if not save_run_json(folder, info, quiet=not built) and not built:
        _write_small(folder, info)
    if counts:
        sessions = len(info.get("sessions") or [])
        logger.info(
            f"linkspider: {pages} pages crawled, {info['links_found']} links seen, "
            f"{summary.backlinks} backlinks to {summary.targets_found} target(s) from "
            f"{summary.referring_domains} referring domain(s), {summary.errors} error(s), "
            f"{info['robots_blocked']} blocked by robots.txt{ssrf_note(info)}"
            + (f", over {sessions} sessions" if sessions > 1 else "")
            + f" -> {folder}"
        )
    else:
        logger.error(
            f"linkspider: run {status}: the exports are missing or incomplete "
            f"(exit code {exit_code(status)}); see {folder / 'run.json'}"
        )
    return status


def _jsonl_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.glob("*.jsonl") if path.is_file())


def _export_failed(folder: Path, info: dict[str, Any], exc: BaseException) -> None:
    remove_tmp_files(folder)
    if isinstance(exc, KeyboardInterrupt):
        info.update(status=EXPORT_FAILED, export_error="interrupted")
        logger.error(
            f"linkspider: building the exports was interrupted; the *.jsonl files are "
            f"kept: run `linkspider export {folder}`"
        )
        return
    info.update(status=EXPORT_FAILED, export_error=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, OSError):  # disk full, read-only: not a bug, one line
        logger.error(
            f"linkspider: building the exports failed ({exc}); the *.jsonl files "
            f"are kept: free space and run `linkspider export {folder}`"
        )
    else:
        logger.error("building exports failed; run `linkspider export %s`", folder, exc_info=exc)


def _write_small(folder: Path, info: dict[str, Any]) -> None:
    """The status in place of the full ``run.json``, which did not fit."""
    small = {k: info.get(k) for k in ("status", "error", "export_error", "finish_reason",
                                      "started_at", "finished_at", "output_dir")}  # fmt: skip
    # In place: truncating frees the old file's space first.
    path = folder / "run.json"
    try:
        with path.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(small, ensure_ascii=False) + "\n")
    except OSError as exc:  # the exit code still says how the run ended
        logger.error(f"linkspider: run.json not written in {folder}: {exc}")
