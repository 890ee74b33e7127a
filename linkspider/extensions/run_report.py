"""Write ``run.json`` and build the final exports when a backlinks crawl ends.

At start ``run.json`` records the arguments, settings that shape the crawl and versions,
with ``"status": "running"``; at the end the exports are built from the streamed JSON
Lines files (:func:`linkspider.reports.exports.build_exports`), ``run.json`` gets the
counts, and a one-line summary is logged. A failure while building exports is logged and
recorded in ``run.json``; the JSON Lines files are kept, so ``linkspider export DIR`` can
retry.

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider); ``LINKSPIDER_SITEWIDE_MIN_PAGES``
(default 3) and ``LINKSPIDER_SITEWIDE_MIN_SHARE`` (default 0.5), the sitewide thresholds.
"""

from __future__ import annotations

import json
import logging
import platform
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
from linkspider.extensions.blocked_pages import blocked_summary
from linkspider.output import utc_now
from linkspider.reports.exports import ExportSummary, build_exports
from linkspider.reports.options import ExportOptions

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
        self._write(self._base(spider) | {"status": "running"})

    def spider_closed(self, spider: Spider, reason: str) -> None:
        info = self._base(spider)
        summary = ExportSummary()
        try:
            summary = build_exports(self.output_dir, self.options)
            info["status"] = "finished" if reason == "finished" else "stopped"
        except Exception as exc:  # keep the JSONL files and say what failed
            logger.exception("building exports failed; run `linkspider export %s`", self.output_dir)
            info["status"] = "export-failed"
            info["export_error"] = f"{type(exc).__name__}: {exc}"
        stats = self.stats
        elapsed = time.monotonic() - self.started_clock
        pages = summary.pages
        info.update(
            finished_at=utc_now(),
            finish_reason=reason,
            elapsed_seconds=round(elapsed, 3),
            pages_crawled=pages,
            pages_per_second=round(pages / elapsed, 2) if elapsed > 0 else None,
            links_found=int(stats.get_value("linkspider/links_seen", 0) or 0),
            backlinks=summary.backlinks,
            referring_domains=summary.referring_domains,
            targets_found=summary.targets_found,
            sitewide_links=summary.sitewide_links,
            errors=summary.errors,
            **blocked_summary(self.output_dir),  # robots_blocked, ssrf_blocked, per host...
            budget_dropped=int(stats.get_value("linkspider/budget/dropped", 0) or 0),
            rendered_pages=int(stats.get_value("linkspider/render/pages", 0) or 0),
            render_failed=sum(
                int(v or 0)
                for k, v in stats.get_stats().items()
                if k.startswith("linkspider/render/failed/")
            ),
            placements=dict(summary.verification.placements),  # -a expect: rows per status
            broken_backlinks=summary.verification.broken_backlinks,  # None: targets not checked
            bad_jsonl_lines=summary.bad_lines,
            files=summary.files,
            stats={k: _jsonable(v) for k, v in sorted(stats.get_stats().items())},
        )
        self._write(info)
        logger.info(
            f"linkspider: {pages} pages crawled, {info['links_found']} links seen, "
            f"{summary.backlinks} backlinks to {summary.targets_found} target(s) from "
            f"{summary.referring_domains} referring domain(s), {summary.errors} error(s), "
            f"{info['robots_blocked']} blocked by robots.txt -> {self.output_dir}"
        )

    def _base(self, spider: Spider) -> dict[str, Any]:
        config = getattr(spider, "config", None)
        arguments = config.args.model_dump() if config is not None else {}
        return {
            "spider": spider.name,
            "arguments": arguments,
            "targets": self.settings.get("LINKSPIDER_TARGETS"),
            "settings": self.settings,
            "versions": versions(),
            "command": sys.argv,
            "output_dir": str(self.output_dir),
            "started_at": self.started_at,
        }

    def _write(self, info: dict[str, Any]) -> None:
        path = self.output_dir / "run.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
        tmp.replace(path)


def _settings_snapshot(settings: BaseSettings) -> dict[str, Any]:
    snapshot = {name: settings.get(name) for name in _RECORDED_SETTINGS}
    snapshot["LINKSPIDER_TARGETS"] = settings.get("LINKSPIDER_TARGETS")
    return snapshot


def _jsonable(value: Any) -> Any:
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)
