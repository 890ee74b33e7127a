"""Write ``run.json`` and build the final exports when a backlinks crawl ends.

At start ``run.json`` records the arguments, settings that shape the crawl and versions,
with ``"status": "running"``; at the end it gets the final status (see
:mod:`linkspider.output`) before the exports are built (``report.html`` shows it), then
the counts, and a one-line summary is logged. A failure while building exports is logged
in one line and recorded in ``run.json``; the JSON Lines files are kept, so ``linkspider
export DIR`` can retry, and no ``*.tmp`` file is left behind.

A crawl stopped by a failed write (disk full, read-only folder: see
:mod:`linkspider.pipelines.jsonl_stream`) gets no exports built from its incomplete rows;
``run.json`` says ``failed`` (written small if the full one does not fit), the exit code
is 3.

A run folder written into again (a ``JOBDIR`` resume, or the same ``-a output_dir``) keeps
one ``run.json`` for all its sessions: counts come from the exports (every session's rows),
``elapsed_seconds`` is the sum of the sessions' (a killed session ends at its last write),
Scrapy counters (``budget_dropped``, ``rendered_pages``...) are added to the earlier
sessions'; ``sessions`` lists each one and ``stats`` holds the last session's Scrapy stats.

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider); ``LINKSPIDER_SITEWIDE_MIN_PAGES``
(default 3) and ``LINKSPIDER_SITEWIDE_MIN_SHARE`` (default 0.5), the sitewide thresholds.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shutil
import socket
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from linkspider import __version__
from linkspider.config.discover_seeds import Discovered, release_arguments, write_candidates
from linkspider.core.signals import exports_starting
from linkspider.extensions.blocked_pages import blocked_summary, ssrf_note
from linkspider.output import (
    EXIT_CODE_STAT,
    EXPORT_FAILED,
    FAILED,
    RUNNING,
    SCRATCH_PREFIXES,
    STATUS_STAT,
    WRITE_FAILED,
    exit_code,
    run_status,
    utc_now,
)
from linkspider.pipelines.jsonl_stream import WRITE_FAILED_STAT
from linkspider.reports.options import ExportOptions

if TYPE_CHECKING:
    from linkspider.reports.exports import ExportSummary

# The exports' modules (pyarrow, DuckDB, pandas, Jinja2: ~110 MB) are imported where the
# exports are built, at the end of the crawl, not while it runs (scrapy_machinery.md).

logger = logging.getLogger(__name__)

_VERSIONED = ("scrapy", "twisted", "selectolax", "ada-url", "tldextract", "pandas", "pyarrow",
              "protego", "w3lib")  # fmt: skip
_RECORDED_SETTINGS = (
    "LINKSPIDER_SCOPE", "LINKSPIDER_MAX_PAGES_PER_SITE", "DEPTH_LIMIT", "ROBOTSTXT_OBEY",
    "USER_AGENT", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED", "DOWNLOAD_TIMEOUT", "DOWNLOAD_MAXSIZE", "JOBDIR",
    "LINKSPIDER_SITEWIDE_MIN_PAGES", "LINKSPIDER_SITEWIDE_MIN_SHARE", "LINKSPIDER_PLACEMENT_RULES",
    "LINKSPIDER_SSRF_GUARD", "LINKSPIDER_ALLOW_PRIVATE_NETWORKS", "LINKSPIDER_CRAWL_DELAY_MAX",
    "LINKSPIDER_ROBOTS_RETRIES", "LINKSPIDER_PARSE_MAX_BYTES", "LINKSPIDER_MAX_URL_LENGTH",
    "LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN", "LINKSPIDER_RENDER", "LINKSPIDER_RENDER_TIMEOUT",
    "LINKSPIDER_RENDER_MAX_PAGES",
)  # fmt: skip


#: Scrapy counters that run.json adds up over the sessions of a run folder.
_SESSION_COUNTERS = ("budget_dropped", "rendered_pages", "render_failed")


def versions() -> dict[str, str]:
    found = {"linkspider": __version__, "python": platform.python_version()}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class RunReportExtension:
    def __init__(
        self,
        output_dir: Path,
        settings: dict[str, Any],
        crawler: Crawler,
        options: ExportOptions | None = None,
    ) -> None:
        self.output_dir = output_dir
        self.settings = settings
        self.crawler = crawler
        self.options = options or ExportOptions()
        self.started_at = ""
        self.started_clock = 0.0
        self.earlier: dict[str, Any] = {}  # run.json of the folder's earlier sessions

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not output_dir:
            raise NotConfigured("LINKSPIDER_OUTPUT_DIR is not set (not a backlinks crawl)")
        options = ExportOptions.from_settings(crawler.settings)
        ext = cls(Path(output_dir), _settings_snapshot(crawler.settings), crawler, options)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @property
    def stats(self) -> StatsCollector:
        assert self.crawler.stats is not None
        return self.crawler.stats

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = utc_now()
        self.started_clock = time.monotonic()
        self.earlier = earlier_sessions(self.output_dir)
        discovered = _discovered(spider)
        if discovered is not None:  # the candidates' statuses are decided against this file
            write_candidates(self.output_dir, discovered)
            logger.info(
                f"linkspider: discover {discovered.release}: {discovered.total} candidate(s) "
                f"link to the targets, {len(discovered.rows)} seeded"
            )
        self._write(self._base(spider) | {"status": RUNNING})

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        # The extraction processes end before the exports start: the run's memory peak
        # is the exports', and a process waiting for pages holds 60 MB for nothing.
        await self.crawler.signals.send_catch_log_async(signal=exports_starting)
        info = self._base(spider)
        info.update(self._timing(reason))
        write_error = self.stats.get_value(WRITE_FAILED_STAT)  # set by the stream pipeline
        if not (write_error or reason == WRITE_FAILED):  # a large run's take a while
            logger.info(f"building the exports in {self.output_dir}")
        from linkspider.reports.exports import ExportSummary, build_exports

        summary = ExportSummary()
        if write_error or reason == WRITE_FAILED:
            info.update(status=FAILED, error=f"writing {write_error}", exports_built=False)
            remove_tmp_files(self.output_dir)
        else:
            # Written first: report.html, built last of the exports, shows the status.
            info["status"] = run_status(reason)
            remove_tmp_files(self.output_dir)  # an earlier session's killed export left them
            self._write(info)
            try:
                summary = build_exports(self.output_dir, self.options)
                info["exports_built"] = True
            except Exception as exc:  # keep the JSONL files and say what failed
                info.update(status=EXPORT_FAILED, export_error=f"{type(exc).__name__}: {exc}")
                info["exports_built"] = False
                remove_tmp_files(self.output_dir)
                if isinstance(exc, OSError):  # disk full, read-only: not a bug, one line
                    logger.error(
                        f"linkspider: building the exports failed ({exc}); the *.jsonl files "
                        f"are kept: free space and run `linkspider export {self.output_dir}`"
                    )
                else:
                    logger.exception(
                        "building exports failed; run `linkspider export %s`", self.output_dir
                    )
        stats = self.stats
        counts = folder_counts(self.output_dir, summary) if info["exports_built"] else {}
        session = {
            "budget_dropped": int(stats.get_value("linkspider/budget/dropped", 0) or 0),
            "rendered_pages": int(stats.get_value("linkspider/render/pages", 0) or 0),
            "render_failed": sum(
                int(v or 0)
                for k, v in stats.get_stats().items()
                if k.startswith("linkspider/render/failed/")
            ),
        }
        for name in _SESSION_COUNTERS:
            session[name] += int(self.earlier.get(name) or 0)
        elapsed = float(info["elapsed_seconds"])
        pages = int(counts.get("pages_crawled", 0))
        info.update(
            pages_per_second=round(pages / elapsed, 2) if elapsed > 0 and counts else None,
            **counts,
            **session,
            stats={k: _jsonable(v) for k, v in sorted(stats.get_stats().items())},
        )
        status = str(info["status"])
        stats.set_value(STATUS_STAT, status)
        stats.set_value(EXIT_CODE_STAT, exit_code(status))
        if not self._write(info, quiet=not info["exports_built"]) and not info["exports_built"]:
            self._write_small(info)
        if counts:
            sessions = len(info["sessions"])
            logger.info(
                f"linkspider: {pages} pages crawled, {info['links_found']} links seen, "
                f"{summary.backlinks} backlinks to {summary.targets_found} target(s) from "
                f"{summary.referring_domains} referring domain(s), {summary.errors} error(s), "
                f"{info['robots_blocked']} blocked by robots.txt{ssrf_note(info)}"
                + (f", over {sessions} sessions" if sessions > 1 else "")
                + f" -> {self.output_dir}"
            )
        else:
            logger.error(
                f"linkspider: run {status}: the exports are missing or incomplete "
                f"(exit code {exit_code(status)}); see {self.output_dir / 'run.json'}"
            )

    def _timing(self, reason: str) -> dict[str, Any]:
        """This session and the earlier ones: ``sessions``, total ``elapsed_seconds``."""
        now = utc_now()
        this = {
            "started_at": self.started_at,
            "finished_at": now,
            "elapsed_seconds": round(time.monotonic() - self.started_clock, 3),
            "finish_reason": reason,
        }
        sessions = [*self.earlier.get("sessions", []), this]
        return {
            "started_at": sessions[0]["started_at"],
            "finished_at": now,
            "finish_reason": reason,
            "elapsed_seconds": round(sum(float(s["elapsed_seconds"]) for s in sessions), 3),
            "sessions": sessions,
        }

    def _base(self, spider: Spider) -> dict[str, Any]:
        config = getattr(spider, "config", None)
        arguments = config.args.model_dump() if config is not None else {}
        sessions = self.earlier.get("sessions") or []
        return {
            "spider": spider.name,
            "arguments": arguments,
            "targets": self.settings.get("LINKSPIDER_TARGETS"),
            "settings": self.settings,
            "versions": versions(),
            "command": sys.argv,
            "output_dir": str(self.output_dir),
            "started_at": sessions[0]["started_at"] if sessions else self.started_at,
            "session_started_at": self.started_at,
            "sessions": sessions,  # the earlier ones, kept should this session be killed
            **{n: self.earlier[n] for n in _SESSION_COUNTERS if n in self.earlier},
            "pid": os.getpid(),
            "host": socket.gethostname(),
            **_discover_info(_discovered(spider)),
        }

    def _write(self, info: dict[str, Any], quiet: bool = False) -> bool:
        try:
            write_run_json(self.output_dir, info)
        except OSError as exc:
            if not quiet:
                logger.error(f"linkspider: run.json not written in {self.output_dir}: {exc}")
            return False
        return True

    def _write_small(self, info: dict[str, Any]) -> None:
        """The status in place of the full ``run.json``, which did not fit."""
        small = {k: info.get(k) for k in ("status", "error", "export_error", "finish_reason",
                                          "started_at", "finished_at", "output_dir")}  # fmt: skip
        # In place: truncating frees the old file's space first.
        path = self.output_dir / "run.json"
        try:
            with path.open("w", encoding="utf-8") as handle:
                handle.write(json.dumps(small, ensure_ascii=False) + "\n")
        except OSError as exc:  # the exit code still says how the run ended
            logger.error(f"linkspider: run.json not written in {self.output_dir}: {exc}")


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


def _discovered(spider: Spider) -> Discovered | None:
    config = getattr(spider, "config", None)
    found = getattr(config, "discovered", None)
    return found if isinstance(found, Discovered) else None


def _discover_info(discovered: Discovered | None) -> dict[str, Any]:
    """``run.json`` ``discover``: the release and what it gave (absolute folder: ``linkspider
    export`` finds it from anywhere)."""
    if discovered is None:
        return {}
    graph, name = release_arguments(discovered.source)
    return {
        "discover": {
            "release": discovered.release,
            "source": str(graph.resolve()) if graph is not None else name,
            "level": discovered.level,
            "candidates": discovered.total,
            "seeded": len(discovered.rows),
        }
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


def _settings_snapshot(settings: BaseSettings) -> dict[str, Any]:
    snapshot = {name: settings.get(name) for name in _RECORDED_SETTINGS}
    snapshot["LINKSPIDER_TARGETS"] = settings.get("LINKSPIDER_TARGETS")
    return snapshot


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
