"""Bodies over ``DOWNLOAD_MAXSIZE`` that did not announce their size become ``too-large``.

Scrapy refuses a body whose Content-Length is over ``DOWNLOAD_MAXSIZE`` with a message
saying so, but one without Content-Length is cut off while it arrives, as a bare
cancellation: ``errors.csv`` would say ``cancelled`` with no message. This middleware
counts the bytes received per request (the ``bytes_received`` signal) and turns that
cancellation into :class:`~linkspider.core.failures.BodyTooLargeError` (``too-large``, with the
limit in the message). It sits next to the download handler (950), so the middlewares
before it see the named error.

Settings: ``DOWNLOAD_MAXSIZE`` (Scrapy's; 0 switches this off). Request meta:
``download_maxsize`` (Scrapy's, per request).
"""

from __future__ import annotations

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, NotConfigured

from linkspider.core.failures import BodyTooLargeError
from linkspider.core.meta import META_BYTES_RECEIVED


class BodySizeMiddleware:
    """Names cancellations of bodies over ``DOWNLOAD_MAXSIZE`` (see the module).

    Settings: ``DOWNLOAD_MAXSIZE``. Meta: ``download_maxsize``.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BodySizeMiddleware:
        max_size = crawler.settings.getint("DOWNLOAD_MAXSIZE")
        if max_size <= 0:
            raise NotConfigured("DOWNLOAD_MAXSIZE is 0: bodies are never cut")
        mw = cls(max_size)
        crawler.signals.connect(mw.bytes_received, signal=signals.bytes_received)
        return mw

    def process_request(self, request: Request) -> None:
        request.meta[META_BYTES_RECEIVED] = 0  # a retried request counts afresh

    def bytes_received(self, data: bytes, request: Request) -> None:
        meta = request.meta
        meta[META_BYTES_RECEIVED] = meta.get(META_BYTES_RECEIVED, 0) + len(data)

    def process_exception(self, request: Request, exception: Exception) -> None:
        if not isinstance(exception, DownloadCancelledError):
            return
        limit = int(request.meta.get("download_maxsize", self.max_size) or 0)
        received = int(request.meta.get(META_BYTES_RECEIVED, 0))
        if limit and received > limit:
            raise BodyTooLargeError(
                f"body without Content-Length cut after {received} bytes: over "
                f"DOWNLOAD_MAXSIZE ({limit} bytes)"
            )
