"""Record the crawl as WARC/1.1 files: ``-s LINKSPIDER_WARC_DIR=DIR`` or ``-a warc=DIR``.

Every HTTP response the downloader gets (pages, robots.txt, each redirect hop, error
statuses, retried answers, non-HTML bodies) is written the moment it is downloaded, before
any middleware decompresses, follows or retries it (the ``response_downloaded`` signal),
as a ``response`` record, the ``request`` record that asked for it and a ``metadata``
record with what the crawl's extraction also used (depth, the redirects before it). A page
rendered in the browser (``render=auto|always``) adds a ``conversion`` record holding the
DOM the spider read, pointing at the raw response (``WARC-Refers-To``). Records are built
in :mod:`linkspider.warc.record` and files written by :mod:`linkspider.warc.writer`.

A failed write (disk full, a folder that cannot be written) stops the crawl with one line
and exit code 3, like the run folder's writers (the :data:`~linkspider.core.signals.write_failed`
signal); the files written so far hold whole records only.

Settings: ``LINKSPIDER_WARC_DIR`` (unset: off), ``LINKSPIDER_WARC_MAX_BYTES`` (rotation
size: bytes, or ``500MB``, ``1GiB``...; default 1 GB). Request meta:
``linkspider_warc_record`` (the response record's id, set on the request of each recorded
response). Stats: ``linkspider/warc/responses``,
``linkspider/warc/conversions``, ``linkspider/warc/files``, ``linkspider/warc/bytes``,
``linkspider/warc/not_written``.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from linkspider import __version__
from linkspider.core.meta import (
    META_ROBOTS_FETCH,
    META_WARC_RECORD,
    META_WARC_STARTED,
    rendered_dom,
)
from linkspider.core.setting_values import text_setting
from linkspider.core.signals import write_failed
from linkspider.settings_reference import default_of
from linkspider.warc.record import (
    FIELD_DEPTH,
    FIELD_FETCH_TIME_MS,
    FIELD_REDIRECT_REASON,
    FIELD_REDIRECT_URL,
    FIELD_ROBOTS,
    FIELD_VIA,
    HttpExchange,
    conversion_record,
    exchange_records,
)
from linkspider.warc.writer import (
    EXTENSION,
    OPEN_SUFFIX,
    WarcFileWriter,
    parse_byte_size,
)

logger = logging.getLogger(__name__)


class WarcConfigError(ValueError):
    """A WARC setting is not valid."""


@dataclass(frozen=True)
class WarcOptions:
    """The recording settings, read once."""

    folder: Path | None = None
    max_bytes: int = default_of("LINKSPIDER_WARC_MAX_BYTES", int)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> WarcOptions:
        folder = text_setting(settings, "LINKSPIDER_WARC_DIR").strip()
        raw = settings.get("LINKSPIDER_WARC_MAX_BYTES")
        if raw is None:
            raw = default_of("LINKSPIDER_WARC_MAX_BYTES", int)
        try:
            max_bytes = parse_byte_size(raw)
        except ValueError as exc:
            raise WarcConfigError(f"LINKSPIDER_WARC_MAX_BYTES: {exc}") from None
        return cls(Path(folder).expanduser() if folder else None, max_bytes)


class WarcRecorderExtension:
    """Writes the crawl's HTTP exchanges to WARC files (see the module).

    Settings: ``LINKSPIDER_WARC_DIR``, ``LINKSPIDER_WARC_MAX_BYTES``. Meta:
    ``linkspider_warc_record``.
    """

    def __init__(
        self,
        writer: WarcFileWriter,
        stats: StatsCollector,
        crawler: Crawler | None = None,
    ) -> None:
        self.writer = writer
        self.stats = stats
        self.crawler = crawler
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderExtension:
        settings = crawler.settings
        options = WarcOptions.from_settings(settings)
        if options.folder is None:
            raise NotConfigured("LINKSPIDER_WARC_DIR is not set: no WARC files")
        assert crawler.stats is not None
        writer = WarcFileWriter(options.folder, options.max_bytes, warcinfo_fields(settings))
        ext = cls(writer, crawler.stats, crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.headers_received, signal=signals.headers_received)
        crawler.signals.connect(ext.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self) -> None:
        folder = self.writer.folder
        with contextlib.suppress(OSError):
            unfinished = sorted(folder.glob(f"*{EXTENSION}{OPEN_SUFFIX}"))
            if unfinished:
                logger.warning(
                    f"WARC: {len(unfinished)} unfinished file(s) in {folder} "
                    f"(*{OPEN_SUFFIX}: being written by another crawl, or left by a killed one; "
                    "their whole records are readable); new files are added beside them"
                )
        self._write(self.writer.open_first)  # an unwritable folder stops the crawl now

    def headers_received(self, request: Request, **_: Any) -> None:
        request.meta[META_WARC_STARTED] = datetime.now(timezone.utc)

    def response_downloaded(self, response: Response, request: Request) -> None:
        if self.failed or request.meta.get("playwright"):
            return  # the browser's answer is recorded as a conversion, if the spider uses it
        exchange = http_exchange(request, response)
        records = exchange_records(exchange)
        if self._write(lambda: self.writer.write(records)):
            request.meta[META_WARC_RECORD] = records[0].record_id
            self.stats.inc_value("linkspider/warc/responses")

    def response_received(self, response: Response, request: Request) -> None:
        dom = rendered_dom(response.meta)
        refers_to = response.meta.get(META_WARC_RECORD)
        if self.failed or dom is None or not refers_to:
            return
        body, url, content_type = dom
        record = conversion_record(
            url, body, content_type, str(refers_to), response.url, datetime.now(timezone.utc)
        )
        if self._write(lambda: self.writer.write([record])):
            self.stats.inc_value("linkspider/warc/conversions")

    def spider_closed(self) -> None:
        if not self.failed:
            self._write(self.writer.close)
        files = self.writer.closed_files
        self.stats.set_value("linkspider/warc/files", len(files))
        self.stats.set_value("linkspider/warc/bytes", sum(_size(p) for p in files))
        if files:
            state = "incomplete: the crawl stopped on a failed write" if self.failed else "closed"
            logger.info(f"WARC: {len(files)} file(s) in {self.writer.folder} ({state})")

    def _write(self, action: Any) -> bool:
        """Run a writer call; a failed write stops recording and, through the signal, the
        crawl."""
        if self.failed:
            self.stats.inc_value("linkspider/warc/not_written")
            return False
        try:
            action()
        except OSError as exc:
            self.failed = True
            self.stats.inc_value("linkspider/warc/not_written")
            path = self.writer.current or self.writer.folder
            if self.crawler is not None:
                self.crawler.signals.send_catch_log(signal=write_failed, path=path, error=exc)
            else:
                raise
            return False
        return True


def http_exchange(request: Request, response: Response) -> HttpExchange:
    """The exchange as Scrapy has it when the response was just downloaded."""
    meta = request.meta
    started = meta.get(META_WARC_STARTED)
    now = datetime.now(timezone.utc)
    fetched_at = started if isinstance(started, datetime) else now
    fields = [(FIELD_DEPTH, str(int(meta.get("depth", 0))))]
    fields += [(FIELD_REDIRECT_URL, str(url)) for url in meta.get("redirect_urls") or ()]
    fields += [(FIELD_REDIRECT_REASON, str(why)) for why in meta.get("redirect_reasons") or ()]
    referer = request.headers.get(b"Referer")
    if referer:
        fields.append((FIELD_VIA, referer.decode("latin-1")))
    if meta.get(META_ROBOTS_FETCH):
        fields.append((FIELD_ROBOTS, "true"))
    fields.append((FIELD_FETCH_TIME_MS, str(int((now - fetched_at).total_seconds() * 1000))))
    ip = getattr(response, "ip_address", None)
    return HttpExchange(
        url=response.url,
        method=request.method,
        request_headers=_header_pairs(request.headers),
        request_body=request.body,
        status=response.status,
        response_headers=_header_pairs(response.headers),
        body=response.body,
        fetched_at=fetched_at,
        protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        ip_address=str(ip) if ip is not None else None,
        truncated="disconnect" if "dataloss" in response.flags else None,
        fields=tuple(fields),
    )


def warcinfo_fields(settings: BaseSettings) -> list[tuple[str, str]]:
    """What every file's ``warcinfo`` record says about the crawl."""
    return [
        ("software", f"linkspider/{__version__} (Scrapy {scrapy.__version__}; "
                     f"FastWARC {_version('fastwarc')})"),
        ("format", "WARC File Format 1.1"),
        ("conformsTo",
         "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
        ("hostname", socket.gethostname()),
        ("http-header-user-agent", str(settings.get("USER_AGENT") or "")),
        ("robots", "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore"),
        ("isPartOf", str(settings.get("LINKSPIDER_OUTPUT_DIR") or "")),
        ("description", f"linkspider crawl of {settings.get('LINKSPIDER_TARGETS') or '?'}"),
    ]  # fmt: skip


def _header_pairs(headers: Any) -> list[tuple[bytes, bytes]]:
    return [(bytes(name), bytes(value)) for name, values in headers.items() for value in values]


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
