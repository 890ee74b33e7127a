"""Scrapy's feed exports (``-o`` / ``-O`` / ``FEEDS``), with backlink rows only by default.

A crawl yields three kinds of items: backlink rows, fetched pages and failed URLs. Scrapy
writes every item to every feed, so ``-O links.csv`` would mix the three (page and error
rows in a CSV whose header comes from the first item: blank or shifted cells). A feed that
names no ``item_classes`` and no ``item_filter`` gets ``item_classes =
[linkspider.core.items.BacklinkItem]``; a feed that names either keeps its own choice
(``item_filter = "scrapy.extensions.feedexport.ItemFilter"`` takes every item again).

CSV feeds quote text that a spreadsheet would run as a formula, like every CSV export of
the run folder (:mod:`linkspider.engines.spreadsheet`; ``FEED_EXPORTERS["csv"]``).
"""

from __future__ import annotations

from typing import Any

from scrapy.exporters import CsvItemExporter
from scrapy.extensions.feedexport import FeedExporter, ItemFilter

from linkspider.engines.cells import safe_cell

#: What a feed holds when it does not say (the rows of ``backlinks.csv``).
DEFAULT_ITEM_CLASSES = ["linkspider.core.items.BacklinkItem"]


class BacklinkFeedExporter(FeedExporter):
    """Replaces ``scrapy.extensions.feedexport.FeedExporter`` (``EXTENSIONS``); every
    ``FEEDS`` option works as in Scrapy, only the default of ``item_classes`` differs."""

    def _load_filter(self, feed_options: dict[str, Any]) -> ItemFilter:
        if not feed_options.get("item_classes") and "item_filter" not in feed_options:
            feed_options = {**feed_options, "item_classes": DEFAULT_ITEM_CLASSES}
        return super()._load_filter(feed_options)


class SpreadsheetCsvItemExporter(CsvItemExporter):
    """Scrapy's CSV feed exporter; a text cell starting with ``= + - @``, a tab or a CR
    gets a leading ``'`` (OWASP's advice against CSV injection)."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        return safe_cell(super().serialize_field(field, name, value))
