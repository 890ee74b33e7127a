"""Write ``run.json`` and have the final exports built when a backlinks crawl ends.

At start ``run.json`` records the arguments, settings that shape the crawl and versions,
with ``"status": "running"``; at the end it gets the final status (see
:mod:`linkspider.output`) before the exports are built (``report.html`` shows it), then
the counts, and a one-line summary is logged (:mod:`linkspider.reports.finish`). A failure
while building exports is logged in one line and recorded in ``run.json``; the JSON Lines
files are kept, so ``linkspider export DIR`` can retry, and no ``*.tmp`` file is left behind.

Where the exports are built (``run.json`` ``exports_process``): under linkspider's
``scrapy crawl``, in a new process that replaces the crawl's once Scrapy has stopped
(``new``; :mod:`linkspider.reports.handoff`), so the crawl's memory is given back first;
in the crawl's own process (``crawl``) with ``LINKSPIDER_EXPORTS_NEW_PROCESS = False``,
on Windows, and when the crawl runs inside a program of yours (``CrawlerProcess``).

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
(default 3) and ``LINKSPIDER_SITEWIDE_MIN_SHARE`` (default 0.5), the sitewide thresholds;
``LINKSPIDER_EXPORTS_NEW_PROCESS`` (default True).
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from linkspider import __version__
from linkspider.config.discover_seeds import Discovered, release_arguments, write_candidates
from linkspider.core.setting_values import bool_setting
from linkspider.core.signals import exports_starting
from linkspider.output import (
    EXIT_CODE_STAT,
    FAILED,
    HANDOFF_ATTR,
    RUNNING,
    STATUS_STAT,
    WRITE_FAILED,
    exit_code,
    run_status,
    utc_now,
)
from linkspider.pipelines.jsonl_stream import WRITE_FAILED_STAT
from linkspider.reports.handoff import RunEnd
from linkspider.reports.options import ExportOptions
from linkspider.reports.run_folder import earlier_sessions, save_run_json

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
        new_process: bool = True,
    ) -> None:
        self.output_dir = output_dir
        self.settings = settings
        self.crawler = crawler
        self.options = options or ExportOptions()
        self.new_process = new_process  # exports in the process that replaces the crawl's
        self.started_at = ""
        self.started_clock = 0.0
        self.earlier: dict[str, Any] = {}  # run.json of the folder's earlier sessions

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReportExtension:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not output_dir:
            raise NotConfigured("LINKSPIDER_OUTPUT_DIR is not set (not a backlinks crawl)")
        options = ExportOptions.from_settings(crawler.settings)
        new_process = bool_setting(crawler.settings, "LINKSPIDER_EXPORTS_NEW_PROCESS")
        ext = cls(
            Path(output_dir), _settings_snapshot(crawler.settings), crawler, options, new_process
        )
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
        save_run_json(self.output_dir, self._base(spider) | {"status": RUNNING})

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        # The extraction processes end before the exports start: the run's memory peak
        # is the exports', and a process waiting for pages holds 60 MB for nothing.
        await self.crawler.signals.send_catch_log_async(signal=exports_starting)
        info = self._base(spider)
        info.update(self._timing(reason))
        write_error = self.stats.get_value(WRITE_FAILED_STAT)  # set by the stream pipeline
        if write_error or reason == WRITE_FAILED:
            info.update(status=FAILED, error=f"writing {write_error}")
        else:
            info["status"] = run_status(reason)
        stats = self.stats
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
        tail = {**session, "stats": {k: _jsonable(v) for k, v in sorted(stats.get_stats().items())}}
        outbox = getattr(self.crawler, HANDOFF_ATTR, None)
        handoff = self.new_process and isinstance(outbox, list) and info["status"] != FAILED
        info["exports_process"] = "new" if handoff else "crawl"
        end = RunEnd(self.output_dir, info, self.options, tail)
        if handoff:  # built once Scrapy has stopped, in the process that replaces this one
            assert isinstance(outbox, list)
            # The final status now, should the exports' process never start.
            save_run_json(self.output_dir, info | {"exports_built": False})
            outbox.append(end)
            return
        from linkspider.reports.finish import finish_run

        status = finish_run(end)
        stats.set_value(STATUS_STAT, status)
        stats.set_value(EXIT_CODE_STAT, exit_code(status))

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


def _settings_snapshot(settings: BaseSettings) -> dict[str, Any]:
    snapshot = {name: settings.get(name) for name in _RECORDED_SETTINGS}
    snapshot["LINKSPIDER_TARGETS"] = settings.get("LINKSPIDER_TARGETS")
    return snapshot


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
