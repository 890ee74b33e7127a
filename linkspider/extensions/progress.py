"""Live progress of a crawl: pages crawled and queued, links, backlinks, pages/s, elapsed.

On an interactive terminal (stderr is a TTY) one status line is redrawn in place about once
a second (``\\r`` and "erase line"); log records printed to the same terminal clear it
first, so a log line never runs into it, and it is drawn again at the next tick. At the
end it is drawn once more and ended with a newline. Elsewhere (Scrapyd logs, CI, a pipe)
one ``INFO`` log line is written every ``LINKSPIDER_PROGRESS_INTERVAL`` seconds, nothing
more, and none at the end: the run report's summary line says it all.

``linkspider: 1,204 pages crawled, 310 queued, 48,112 links, 95 backlinks, 3.1 pages/s,
0:06:25 elapsed``

pages/s is measured over the last 10 seconds on a terminal (the final line: over the whole
crawl), over the last interval in the log. "pages crawled" counts rows of ``pages.csv``, as
the run summary does (robots.txt fetches are not pages). "queued" counts every request not
answered yet: in the scheduler and in the downloader (waiting for a slot or downloading).
While pages wait for an unreachable robots.txt, the line says so after "queued":
``5 held for robots.txt (2 hosts)`` (stats ``linkspider/robots/held_pages``, ``held_hosts``).

Settings: ``LINKSPIDER_PROGRESS`` (``auto``: live on a terminal, log lines otherwise;
``live``; ``log``; ``off``; ``true``/``false`` mean ``auto``/``off``),
``LINKSPIDER_PROGRESS_INTERVAL`` (seconds between log lines, default 60, at least 1).
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)

MODES = ("auto", "live", "log", "off")
_ALIASES = {"true": "auto", "on": "auto", "1": "auto", "false": "off", "0": "off", "": "auto"}
LIVE_REFRESH = 1.0  # seconds between redraws of the live line
LIVE_RATE_WINDOW = 10.0  # seconds the live pages/s is measured over
CLEAR_LINE = "\r\x1b[K"


def progress_mode(value: object, isatty: bool) -> str:
    """``live``, ``log`` or ``off`` from the setting's value; ValueError if unknown."""
    mode = str(value).strip().lower()
    mode = _ALIASES.get(mode, mode)
    if mode not in MODES:
        raise ValueError(f"LINKSPIDER_PROGRESS must be auto, live, log or off, got {value!r}")
    if mode == "auto":
        return "live" if isatty else "log"
    return mode


@dataclass(frozen=True)
class Snapshot:
    pages: int
    queued: int | None
    links: int
    backlinks: int
    elapsed: float
    held_pages: int = 0  # waiting for robots.txt
    held_hosts: int = 0


def format_progress(now: Snapshot, rate: float) -> str:
    """The one-line progress text."""
    queued = f", {now.queued:,} queued" if now.queued is not None else ""
    if now.held_pages:
        hosts = f"{now.held_hosts:,} host{'s' if now.held_hosts != 1 else ''}"
        queued += f", {now.held_pages:,} held for robots.txt ({hosts})"
    seconds = int(now.elapsed)
    elapsed = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    return (
        f"linkspider: {now.pages:,} pages crawled{queued}, {now.links:,} links, "
        f"{now.backlinks:,} backlinks, {rate:.1f} pages/s, {elapsed} elapsed"
    )


class _ClearLiveLine(logging.Filter):
    """Installed on log handlers writing to the terminal: erase the live line first."""

    def __init__(self, progress: ProgressExtension) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.clear()
        return True


class ProgressExtension:
    """Live progress line or periodic log lines (see the module).

    Settings: ``LINKSPIDER_PROGRESS``, ``LINKSPIDER_PROGRESS_INTERVAL``.
    """

    def __init__(
        self,
        crawler: Crawler,
        mode: str,
        interval: float,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.crawler = crawler
        self.mode = mode
        self.interval = interval
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.samples: deque[tuple[float, int]] = deque()
        self.drawn = False
        self.task: Any = None
        self.filters: list[tuple[logging.Handler, _ClearLiveLine]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        settings = crawler.settings
        stream = sys.stderr
        mode = progress_mode(settings.get("LINKSPIDER_PROGRESS", "auto"), _isatty(stream))
        if mode == "off":
            raise NotConfigured("LINKSPIDER_PROGRESS is off")
        interval = settings.getfloat("LINKSPIDER_PROGRESS_INTERVAL", 60.0)
        if interval < 1:
            raise ValueError(f"LINKSPIDER_PROGRESS_INTERVAL must be at least 1 s, got {interval}")
        ext = cls(crawler, mode, interval, stream)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.started = self.clock()
        self.samples.append((self.started, 0))
        if self.mode == "live":
            for handler in logging.getLogger().handlers:
                if getattr(handler, "stream", None) is self.stream:
                    line_filter = _ClearLiveLine(self)
                    handler.addFilter(line_filter)
                    self.filters.append((handler, line_filter))
        self.task = create_looping_call(self.tick)
        self.task.start(LIVE_REFRESH if self.mode == "live" else self.interval, now=False)

    def snapshot(self) -> Snapshot:
        stats = self.crawler.stats
        assert stats is not None

        def stat(name: str) -> int:
            return int(stats.get_value(name, 0) or 0)

        return Snapshot(
            pages=stat("linkspider/items/pages"),  # rows of pages.csv, as in the summary
            queued=self._queued(),
            links=stat("linkspider/links_seen"),
            backlinks=stat("linkspider/items/backlinks"),
            elapsed=self.clock() - self.started,
            held_pages=stat("linkspider/robots/held_pages"),
            held_hosts=stat("linkspider/robots/held_hosts"),
        )

    def _queued(self) -> int | None:
        """Requests not answered yet: the scheduler's and the downloader's."""
        engine = self.crawler.engine
        if engine is None:
            return None
        try:
            scheduled = len(engine.scheduler)  # type: ignore[arg-type]
        except Exception:  # a scheduler without a length (or whose store is away)
            return None
        return scheduled + len(engine.downloader.active)

    def rate(self, now: float, pages: int) -> float:
        """Pages per second over the window (10 s live, the interval in the log)."""
        window = LIVE_RATE_WINDOW if self.mode == "live" else self.interval
        self.samples.append((now, pages))
        while len(self.samples) > 2 and self.samples[1][0] <= now - window:
            self.samples.popleft()
        then, pages_then = self.samples[0]
        return (pages - pages_then) / (now - then) if now > then else 0.0

    def tick(self) -> None:
        now = self.snapshot()
        line = format_progress(now, self.rate(self.clock(), now.pages))
        if self.mode == "live":
            self.stream.write(CLEAR_LINE + line)
            self.stream.flush()
            self.drawn = True
        else:
            logger.info(line)

    def clear(self) -> None:
        if self.drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self.drawn = False

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        for handler, line_filter in self.filters:
            handler.removeFilter(line_filter)
        if self.mode == "live":
            now = self.snapshot()
            rate = now.pages / now.elapsed if now.elapsed > 0 else 0.0
            self.stream.write(CLEAR_LINE + format_progress(now, rate) + "\n")
            self.stream.flush()
            self.drawn = False


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
