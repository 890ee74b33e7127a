"""A run folder's ``run.json`` and leftovers: read, written, cleaned, counted.

Framework-free: the crawl's run report, the exports' own process
(:mod:`linkspider.reports.handoff`), ``linkspider export`` and ``linkspider merge`` share them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linkspider.output import RUNNING, SCRATCH_PREFIXES
from linkspider.reports.blocked import blocked_summary

if TYPE_CHECKING:
    from linkspider.reports.exports import ExportSummary

logger = logging.getLogger(__name__)


def write_run_json(folder: Path, info: dict[str, Any]) -> None:
    """Replace ``folder/run.json`` atomically; no ``.tmp`` is left when it fails."""
    path = folder / "run.json"
    tmp = path.with_suffix(".json.tmp")
    try:
        tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def save_run_json(folder: Path, info: dict[str, Any], quiet: bool = False) -> bool:
    """:func:`write_run_json`, a failure logged in one line (unless ``quiet``) and returned
    as False: the exit code still says how the run ended."""
    try:
        write_run_json(folder, info)
    except OSError as exc:
        if not quiet:
            logger.error(f"linkspider: run.json not written in {folder}: {exc}")
        return False
    return True


def remove_tmp_files(folder: Path) -> None:
    """Remove what a failed or killed export left in the run folder, and nothing else: the
    files written as ``NAME.EXT.tmp`` then renamed, and the exports' scratch folders
    (:data:`~linkspider.output.SCRATCH_PREFIXES`). A user's own ``notes.tmp`` or
    ``backup.tmp/`` in a folder given as ``output_dir`` is left alone."""
    for tmp in folder.glob("*.tmp"):
        if tmp.is_symlink():
            continue
        if tmp.is_dir():
            if tmp.name.startswith(SCRATCH_PREFIXES):
                shutil.rmtree(tmp, ignore_errors=True)
        elif "." in tmp.name.removesuffix(".tmp").lstrip("."):
            with contextlib.suppress(OSError):
                tmp.unlink()


def last_write(folder: Path) -> float:
    """When a run folder's rows were last written (the newest ``*.jsonl``), as a timestamp."""
    times = [p.stat().st_mtime for p in folder.glob("*.jsonl")]
    return max(times, default=0.0)


def earlier_sessions(folder: Path) -> dict[str, Any]:
    """The earlier sessions' ``run.json`` (``sessions`` filled in), or ``{}``.

    A session that was killed (still ``running``) is taken to have ended at its last write.
    """
    try:
        info = json.loads((folder / "run.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(info, dict) or not info.get("started_at"):
        return {}
    if not isinstance(info.get("sessions"), list) or info.get("status") == RUNNING:
        listed = info.get("sessions")
        earlier: list[Any] = listed if isinstance(listed, list) else []
        started = str(info.get("session_started_at") or info["started_at"])
        session: dict[str, Any] = {"started_at": started}
        if info.get("status") == RUNNING:
            end = last_write(folder)
            begin = _timestamp(started)
            session.update(
                finished_at=_utc(end) if end else "",
                elapsed_seconds=round(max(end - begin, 0.0), 3) if end and begin else 0.0,
                finish_reason="killed (ended at its last write)",
            )
        else:
            session.update(
                finished_at=info.get("finished_at", ""),
                elapsed_seconds=float(info.get("elapsed_seconds") or 0.0),
                finish_reason=info.get("finish_reason", ""),
            )
        info["sessions"] = [*earlier, session]
    return info


def folder_counts(folder: Path, summary: ExportSummary) -> dict[str, Any]:
    """``run.json``'s counts, from the exports: every session's rows, each row once."""
    from linkspider.reports.report_data import column_sum

    return {
        "pages_crawled": summary.pages,
        "links_found": column_sum(folder / "pages.csv", "links"),
        "backlinks": summary.backlinks,
        "referring_domains": summary.referring_domains,
        "targets_found": summary.targets_found,
        "sitewide_links": summary.sitewide_links,
        "errors": summary.errors,
        **blocked_summary(folder),  # robots_blocked, ssrf_blocked, per host...
        "placements": dict(summary.verification.placements),  # -a expect: rows per status
        "broken_backlinks": summary.verification.broken_backlinks,  # None: not checked
        "bad_jsonl_lines": summary.bad_lines,
        **_discover_counts(folder),  # candidates_status, authority
        "files": summary.files,
    }


def _discover_counts(folder: Path) -> dict[str, Any]:
    """``candidates_status`` (with ``-a discover``) and ``authority`` (with a release)."""
    from linkspider.reports.authority_source import read_authority_info
    from linkspider.reports.candidates import read_summary

    found: dict[str, Any] = {}
    statuses = read_summary(folder)
    if statuses is not None:
        found["candidates_status"] = statuses.as_json()
    authority = read_authority_info(folder)
    if authority:
        found["authority"] = authority
    return found


def _timestamp(iso: str) -> float:
    try:
        return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return 0.0


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
