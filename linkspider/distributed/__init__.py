"""Running linkspider on servers: Scrapyd jobs and distributed crawls over Redis.

* ``jobs`` - Scrapyd support: an export folder per job, safety settings a job may not change;
* ``frontier`` - the shared crawl in Redis: key names, the crawl definition, worker states;
* ``scheduler`` - scrapy-redis' scheduler and queue, adapted to Scrapy 2.13+ and to
  knowing when a crawl shared by many workers is finished;
* ``dupefilter`` - the Bloom-filter duplicate filter for very large crawls;
* ``budget`` - per-site page budgets counted in Redis;
* ``worker`` - the worker extension: registration, wake-ups, end of crawl, ``worker.json``;
* ``enqueue`` / ``merge`` - ``linkspider enqueue`` and ``linkspider merge``.

Nothing here imports ``redis`` or ``scrapy_redis`` at import time of this package: a
project without the ``distributed`` extra still lists and runs its spiders.
See the README ("Running on servers") and ``docs/scale.md``.
"""
