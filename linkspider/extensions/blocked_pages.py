"""``blocked_pages.jsonl`` / ``.csv``: the pages the crawl chose not to fetch, and why.

Components that refuse a page request (robots.txt, the SSRF guard, the trap rules) call
:func:`linkspider.core.signals.report_blocked`, which sends the
:data:`~linkspider.core.signals.page_blocked` signal. This extension writes
one JSON line per blocked URL as it happens, flushed at once (a killed crawl keeps them),
and turns the file into ``blocked_pages.csv`` when the crawl ends (last line per URL wins,
so a resumed crawl lists a URL once). ``run.json`` gets the counts per reason and per host
from :func:`blocked_summary`.

Reasons: :mod:`linkspider.core.signals`.

Settings: ``LINKSPIDER_OUTPUT_DIR`` (set by the spider).
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from linkspider.core.jsonl import JsonlWriter, read_jsonl
from linkspider.core.signals import (
    ROBOTS_DISALLOWED,
    ROBOTS_UNAVAILABLE,
    SSRF_BLOCKED,
    BlockedPage,
    page_blocked,
    write_failed,
)
from linkspider.output import WRITE_FAILED

logger = logging.getLogger(__name__)

JSONL_NAME = "blocked_pages.jsonl"
CSV_NAME = "blocked_pages.csv"


class BlockedPagesExtension:
    """Writes ``blocked_pages.jsonl`` and ``.csv``. Settings: ``LINKSPIDER_OUTPUT_DIR``."""

    def __init__(self, output_dir: Path, crawler: Crawler | None = None) -> None:
        self.output_dir = output_dir
        self.crawler = crawler
        self.handle: JsonlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockedPagesExtension:
        output_dir = crawler.settings.get("LINKSPIDER_OUTPUT_DIR")
        if not output_dir:
            raise NotConfigured("LINKSPIDER_OUTPUT_DIR is not set (not a backlinks crawl)")
        ext = cls(Path(output_dir), crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.page_blocked, signal=page_blocked)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        # Append: a resumed crawl (JOBDIR) keeps the lines of its earlier part.
        self.handle = JsonlWriter(self.output_dir / JSONL_NAME)

    def page_blocked(self, page: BlockedPage) -> None:
        if self.handle is None:
            return
        try:
            self.handle.write(asdict(page))
        except OSError as exc:  # disk full, read-only: the stream pipeline stops the crawl
            handle, self.handle = self.handle, None
            with contextlib.suppress(OSError):
                handle.close()
            if self.crawler is not None:
                path = self.output_dir / JSONL_NAME
                self.crawler.signals.send_catch_log(signal=write_failed, path=path, error=exc)

    def spider_closed(self, reason: str) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        if reason == WRITE_FAILED:
            return  # no exports from a crawl whose rows are incomplete
        try:
            write_blocked_csv(self.output_dir)
        except OSError as exc:  # disk full: the run report's exports fail too, and say so
            logger.error(f"linkspider: {CSV_NAME} not written: {exc}")


def write_blocked_csv(output_dir: Path) -> int:
    """Build ``blocked_pages.csv`` from ``blocked_pages.jsonl``; return its row count."""
    # Imported here: the table engines (pyarrow, DuckDB, pandas: ~110 MB) are for the
    # exports at the end, not for the crawl (benchmarks/results/scrapy_machinery.md).
    from linkspider.engines.tables import arrow_schema, export_jsonl

    result = export_jsonl(
        output_dir / JSONL_NAME, arrow_schema(BlockedPage), output_dir / CSV_NAME, key=("url",)
    )
    return result.rows


def ssrf_note(summary: dict[str, Any], shown: int = 5) -> str:
    """``, 3 refused by the SSRF guard (a.test, b.test, c.test)`` for the summary line."""
    hosts = list(summary.get("ssrf_blocked_hosts") or [])
    if not summary.get("ssrf_blocked"):
        return ""
    named = ", ".join(hosts[:shown]) + (
        f" and {len(hosts) - shown} more" if len(hosts) > shown else ""
    )
    allow = "; LINKSPIDER_ALLOW_PRIVATE_NETWORKS allows private networks"
    return f", {summary['ssrf_blocked']} refused by the SSRF guard ({named}{allow})"


def blocked_summary(output_dir: Path) -> dict[str, Any]:
    """Counts for ``run.json``: per reason, robots per host, SSRF and trap totals."""
    last: dict[str, tuple[str, str]] = {}
    for record in read_jsonl(output_dir / JSONL_NAME):
        if "url" in record and "host" in record and "reason" in record:
            last[str(record["url"])] = (str(record["host"]), str(record["reason"]))
    by_reason = Counter(reason for _, reason in last.values())
    ssrf_hosts = sorted({host for host, reason in last.values() if reason == SSRF_BLOCKED})
    robots_by_host: dict[str, dict[str, int]] = {}
    for host, reason in sorted(last.values()):
        if reason in (ROBOTS_DISALLOWED, ROBOTS_UNAVAILABLE):
            counts = robots_by_host.setdefault(host, {"disallowed": 0, "unavailable": 0})
            counts["disallowed" if reason == ROBOTS_DISALLOWED else "unavailable"] += 1
    return {
        "blocked_pages": len(last),
        "blocked_by_reason": dict(sorted(by_reason.items())),
        "robots_blocked": by_reason[ROBOTS_DISALLOWED],
        "robots_unavailable": by_reason[ROBOTS_UNAVAILABLE],
        "robots_blocked_by_host": robots_by_host,
        "ssrf_blocked": by_reason[SSRF_BLOCKED],
        "ssrf_blocked_hosts": ssrf_hosts,
        "traps_blocked": sum(n for reason, n in by_reason.items() if reason.startswith("trap-")),
    }
