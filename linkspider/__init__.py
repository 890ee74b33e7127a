"""linkspider: an open-source backlink crawler built on Scrapy."""

__version__ = "0.1.0"
