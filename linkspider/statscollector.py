"""``STATS_CLASS``: Scrapy's in-memory stats collector, without its per-access shim.

Scrapy 2.19's :class:`~scrapy.statscollectors.StatsCollector` routes *every* attribute
access through a Python ``__getattribute__`` (it wraps the public methods once, to warn
about their deprecated ``spider`` argument, and looks the wrapped copy up on each access;
a plain attribute such as ``_stats`` costs a raised and caught ``AttributeError``). A crawl
updates its stats some 30 times a page: the shim made ``inc_value`` 1.4 µs instead of
0.08 µs, and was 2.4% of the crawl's samples in the profile (benchmarks/RESULTS.md).

:class:`LeanStatsCollector` is :class:`~scrapy.statscollectors.MemoryStatsCollector` with
Python's ordinary attribute lookup. The stats, their dump at the end and
``spider_stats`` are the same; a component that still passes the deprecated ``spider``
argument is not warned about it (the argument is ignored, as in Scrapy).
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class LeanStatsCollector(MemoryStatsCollector):
    """Scrapy's ``MemoryStatsCollector`` with ordinary attribute lookup (see the module)."""

    __getattribute__ = object.__getattribute__
