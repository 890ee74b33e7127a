"""Live progress of a crawl: pages crawled and queued, links, backlinks, pages/s, elapsed.

On an interactive terminal (stderr is a TTY) one status line is redrawn in place about once
a second by `rich <https://rich.readthedocs.io>`_ (``rich.live``): log records printed to
the same terminal go above it, so a log line never runs into it; the line is cut to the
terminal's width, never wrapped. At the end it is printed once more, whole, and ended with
a newline. Elsewhere (Scrapyd logs, CI, a pipe) one ``INFO`` log line is written every
``LINKSPIDER_PROGRESS_INTERVAL`` seconds, nothing more (no escape codes), and none at the
end: the run report's summary line says it all.

``linkspider: 1,204 pages crawled (1,310 responses), 310 queued, 48,112 links, 95 backlinks,
3.1 pages/s, 0:06:25 elapsed``

pages/s is measured over the last 10 seconds on a terminal (the final line: over the whole
crawl), over the last interval in the log. "pages crawled" counts rows of ``pages.csv``, as
the run summary does. "responses" is the number Scrapy's own "Crawled N pages" log line
shows (stat ``response_received_count``): every response, robots.txt files, redirects and
error pages included, so it is at least "pages crawled"; both are shown so that the two
lines never seem to contradict. "queued" counts every request not answered yet: in the
scheduler and in the downloader (waiting for a slot or downloading).
While pages wait for an unreachable robots.txt, the line says so after "queued":
``5 held for robots.txt (2 hosts)`` (stats ``linkspider/robots/held_pages``, ``held_hosts``).

Why rich rather than tqdm: a crawl has no known total, so tqdm's bar and ETA have nothing to
show, and tqdm keeps log lines off its line only when they are written through
``tqdm.write``, which Scrapy's log handlers do not call; ``rich.live`` draws any renderable,
prints whatever goes through its console above the live line (the handlers' stream is
pointed at it while the line is shown) and cuts the line to the terminal's width.

Settings: ``LINKSPIDER_PROGRESS`` (``auto``: live on a terminal, log lines otherwise;
``live``; ``log``; ``off``; ``true``/``false`` mean ``auto``/``off``),
``LINKSPIDER_PROGRESS_INTERVAL`` (seconds between log lines, default 60, at least 1).
"""

from __future__ import annotations

import io
import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call

from linkspider.core.setting_values import float_setting, text_setting

logger = logging.getLogger(__name__)

MODES = ("auto", "live", "log", "off")
_ALIASES = {"true": "auto", "on": "auto", "1": "auto", "false": "off", "0": "off", "": "auto"}
LIVE_REFRESH = 1.0  # seconds between redraws of the live line
LIVE_RATE_WINDOW = 10.0  # seconds the live pages/s is measured over


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
class ProgressOptions:
    """The progress settings, read once (defaults: the settings registry)."""

    mode: str  # live, log or off (auto resolved for the stream)
    interval: float  # seconds between log lines

    @classmethod
    def from_settings(cls, settings: BaseSettings, isatty: bool) -> ProgressOptions:
        mode = progress_mode(text_setting(settings, "LINKSPIDER_PROGRESS"), isatty)
        interval = float_setting(settings, "LINKSPIDER_PROGRESS_INTERVAL")
        if interval < 1:
            raise ValueError(f"LINKSPIDER_PROGRESS_INTERVAL must be at least 1 s, got {interval}")
        return cls(mode, interval)


@dataclass(frozen=True)
class Snapshot:
    pages: int
    queued: int | None
    links: int
    backlinks: int
    elapsed: float
    held_pages: int = 0  # waiting for robots.txt
    held_hosts: int = 0
    responses: int | None = None  # Scrapy's "Crawled N pages" (response_received_count)


def format_progress(now: Snapshot, rate: float) -> str:
    """The one-line progress text."""
    queued = f", {now.queued:,} queued" if now.queued is not None else ""
    if now.held_pages:
        hosts = f"{now.held_hosts:,} host{'s' if now.held_hosts != 1 else ''}"
        queued += f", {now.held_pages:,} held for robots.txt ({hosts})"
    seconds = int(now.elapsed)
    elapsed = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    responses = ""
    if now.responses is not None:
        responses = f" ({now.responses:,} response{'s' if now.responses != 1 else ''})"
    return (
        f"linkspider: {now.pages:,} pages crawled{responses}{queued}, {now.links:,} links, "
        f"{now.backlinks:,} backlinks, {rate:.1f} pages/s, {elapsed} elapsed"
    )


class _AboveLiveLine(io.TextIOBase):
    """The stream of the log handlers that wrote to the terminal, while the live line is
    shown: each complete log line is printed above the live line, as it is (not wrapped)."""

    def __init__(self, console: Console, stream: TextIO) -> None:
        super().__init__()
        self.console = console
        self.stream = stream
        self.pending = ""

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.console.print(Text(line), soft_wrap=True, highlight=False)
        return len(text)

    def flush(self) -> None:
        if self.pending:
            self.write("\n")

    def isatty(self) -> bool:
        return _isatty(self.stream)


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
        self.task: Any = None
        self.live: Live | None = None
        self.redirected: list[logging.StreamHandler[Any]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressExtension:
        settings = crawler.settings
        stream = sys.stderr
        options = ProgressOptions.from_settings(settings, _isatty(stream))
        if options.mode == "off":
            raise NotConfigured("LINKSPIDER_PROGRESS is off")
        ext = cls(crawler, options.mode, options.interval, stream)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        self.started = self.clock()
        self.samples.append((self.started, 0))
        if self.mode == "live":
            self._start_live()
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
            responses=stat("response_received_count"),
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
        if self.live is not None:
            self.live.update(_one_line(line), refresh=True)
        else:
            logger.info(line)

    def _start_live(self) -> None:
        """Show the live line; log handlers writing to the terminal print above it."""
        # A terminal, or LINKSPIDER_PROGRESS=live asked for the live line elsewhere.
        console = Console(
            file=self.stream, force_terminal=True, highlight=False, markup=False, emoji=False
        )
        self.live = Live(
            _one_line(""),
            console=console,
            auto_refresh=False,  # redrawn by tick(), on the reactor's thread
            transient=True,  # the final line is printed whole by spider_closed
            redirect_stdout=False,
            redirect_stderr=False,
        )
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is self.stream:
                handler.setStream(_AboveLiveLine(console, self.stream))
                self.redirected.append(handler)
        self.live.start()

    def _stop_live(self, final: str) -> None:
        live, self.live = self.live, None
        if live is None:
            return
        live.stop()
        for handler in self.redirected:
            handler.setStream(self.stream)
        self.redirected.clear()
        live.console.print(Text(final), soft_wrap=True, highlight=False)

    def spider_closed(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.live is not None:
            now = self.snapshot()
            rate = now.pages / now.elapsed if now.elapsed > 0 else 0.0
            self._stop_live(format_progress(now, rate))


def _one_line(line: str) -> Text:
    """The live line, cut with an ellipsis at the terminal's width instead of wrapped."""
    return Text(line, no_wrap=True, overflow="ellipsis")


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
