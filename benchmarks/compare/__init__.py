"""linkspider against the crawlers a user would otherwise use, in one run on one machine.

Run from the repository root (installs nginx, its echo module, wrk and redis-server with
apt if missing; needs ``pip install -e '.[bench]'``)::

    python -m benchmarks.compare                 # 20,000 pages, 200 hosts, 3 reps, both modes
    python -m benchmarks.compare --quick         # 2,000 pages, 1 rep, no latency: minutes

1. ``web``: generate (once, cached in ``benchmarks/.cache/``) a web of real page skins with
   a known set of backlinks; ``server``: serve it with nginx on loopback, with or without
   per-host latency, and check with ``wrk`` that the server is far faster than any crawler.
2. ``contenders``: run the Scrapy null spider, a LinkExtractor CrawlSpider, advertools,
   linkspider and linkspider with 2 distributed workers under the same settings, several
   repetitions in rotated order; ``measure``: wall time, CPU seconds and peak RSS of each.
3. ``correctness``: linkspider's backlinks against the answer key, in the same runs.
4. ``rss``: linkspider's memory through a 50,000-page crawl; ``profile``: py-spy profile.
5. ``report``: write ``benchmarks/RESULTS.md``.
"""
