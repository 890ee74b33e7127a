"""A Scrapy extension for tests: which heavy libraries a crawl has imported, and when.

``-s MODULE_PROBE_FILE=path`` (and the extension in ``EXTENSIONS`` before linkspider's
blocked-pages extension, 400, whose ``spider_closed`` starts the exports) writes
``{"first_response": [...], "closing": [...], "stopped": [...]}`` to ``path``: the
libraries of :data:`HEAVY` loaded when the first response arrived, when the spider closed
and when the engine stopped (just before ``scrapy crawl`` hands the exports over to the
process that replaces the crawl's).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

#: Libraries only the exports need (with Jinja2 for report.html).
HEAVY = ("pandas", "pyarrow", "duckdb", "numpy", "jinja2", "xlsxwriter")


def loaded() -> list[str]:
    return [name for name in HEAVY if name in sys.modules]


class ModuleProbe:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.first_response: list[str] | None = None
        self.closing: list[str] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ModuleProbe:
        path = crawler.settings.get("MODULE_PROBE_FILE")
        if not path:
            raise NotConfigured("MODULE_PROBE_FILE is not set")
        probe = cls(Path(path))
        crawler.signals.connect(probe.response_received, signal=signals.response_received)
        crawler.signals.connect(probe.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(probe.engine_stopped, signal=signals.engine_stopped)
        return probe

    def response_received(self) -> None:
        if self.first_response is None:
            self.first_response = loaded()

    def spider_closed(self) -> None:
        self.closing = loaded()

    def engine_stopped(self) -> None:
        record = {"first_response": self.first_response, "closing": self.closing,
                  "stopped": loaded()}  # fmt: skip
        self.path.write_text(json.dumps(record), "utf-8")
