"""The low layer every other package may use, and which imports no other linkspider package.

* :mod:`~linkspider.core.urls`, :mod:`~linkspider.core.domains`: URLs (WHATWG) and domains
  (the Public Suffix List);
* :mod:`~linkspider.core.items`: the rows the crawl produces;
* :mod:`~linkspider.core.meta`: every request meta key;
* :mod:`~linkspider.core.signals`: linkspider's signals, the blocked-page record and reasons;
* :mod:`~linkspider.core.failures`: failure kinds, the seed fallback's kinds;
* :mod:`~linkspider.core.jsonl`: the JSON Lines writer and reader;
* :mod:`~linkspider.core.resolver`: the filtering name resolver;
* :mod:`~linkspider.core.setting_values`: typed reads of linkspider's settings.

``failures`` and ``resolver`` import Scrapy and Twisted; the pure layers do not use them
(docs/how-it-works.md, "The layer rule").
"""
