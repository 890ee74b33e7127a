"""Crawl policy as pure functions: no Scrapy or Twisted import, unit-tested as tables.

* :mod:`~linkspider.policy.addresses` - which IP addresses a crawl may connect to (SSRF);
* :mod:`~linkspider.policy.robots` - RFC 9309: what a robots.txt fetch outcome means, and
  the per-origin cache with retries;
* :mod:`~linkspider.policy.traps` - crawler traps: repeated path segments, very long URLs,
  calendars and pagination.

The Scrapy components that apply them live in :mod:`linkspider.middlewares`.
"""
