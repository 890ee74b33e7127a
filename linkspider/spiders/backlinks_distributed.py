"""``backlinks_distributed``: the backlinks crawl, shared by many workers over Redis.

The crawl is queued once, with its targets, seeds and limits::

    linkspider enqueue --redis redis://HOST:6379/0 --crawl NAME TARGETS SEEDS

then any number of workers, on one machine or many, joining and leaving at any time::

    scrapy crawl backlinks_distributed -s LINKSPIDER_REDIS_URL=redis://HOST:6379/0 \\
        -a crawl=NAME [-a output_dir=DIR] [-a worker=ID]

share the frontier and the duplicate filter (scrapy-redis) and the per-site page budgets
(:mod:`linkspider.distributed.budget`). Each worker fetches and obeys robots.txt itself:
robots decisions are a pure function of the file, so every worker decides alike.

Arguments: ``crawl`` (default ``backlinks``); ``worker`` (default ``<host>-<pid>``, or the
job id under Scrapyd); ``render`` (``off``/``auto``/``always``, as for ``backlinks``);
``output_dir`` (default ``<LINKSPIDER_OUTPUT_ROOT>/<crawl>``). A worker streams its rows
into ``<output_dir>/parts/<worker>/``; ``linkspider merge <output_dir>`` builds the exports
of the whole crawl from all parts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from linkspider.config.args import CrawlArgs, CrawlConfig
from linkspider.config.seeds import SeedList
from linkspider.config.sources import ConfigError
from linkspider.distributed.frontier import (
    DEFAULT_CRAWL,
    check_name,
    default_worker_id,
    frontier_for,
)
from linkspider.extensions.run_report import RunReportExtension
from linkspider.scrapyd_jobs import scrapyd_job
from linkspider.spiders.backlinks import BacklinksSpider

#: Arguments a worker takes; the crawl's own arguments come from ``linkspider enqueue``.
WORKER_ARGUMENTS = ("crawl", "worker", "output_dir", "render")


class BacklinksDistributedSpider(BacklinksSpider):
    name = "backlinks_distributed"

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        from linkspider.distributed.worker import WorkerExtension

        settings.set("SCHEDULER", "linkspider.distributed.scheduler.SharedScheduler", "spider")
        # A distributed crawl scales by its workers (one per core): an extraction process
        # per worker would only make the workers compete for the same cores.
        settings.set("LINKSPIDER_EXTRACT_PROCESSES", 0, "spider")
        settings.set(
            "LINKSPIDER_BUDGET_COUNTER",
            "linkspider.distributed.budget.RedisBudgetCounter",
            "spider",
        )
        # One run report for the whole crawl, built by `linkspider merge`, not one per worker.
        # (Set at "spider" priority: `scrapy crawl` re-applies the project's settings over
        # equal priorities after this method.)
        extensions = settings.getdict("EXTENSIONS")
        for key in list(extensions):
            if key == RunReportExtension or key == _path(RunReportExtension):
                del extensions[key]
        extensions.update({_path(RunReportExtension): None, _path(WorkerExtension): 500})
        settings.set("EXTENSIONS", extensions, "spider")

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any]) -> None:
        unknown = sorted(k for k in kwargs if not k.startswith("_") and k not in WORKER_ARGUMENTS)
        if unknown:
            raise ConfigError(
                f"unknown argument(s) {', '.join(unknown)}: a worker takes only "
                f"{', '.join(WORKER_ARGUMENTS)}; targets, seeds, scope, depth and "
                "max_pages_per_site are set once for all workers by `linkspider enqueue`"
            )
        for name in ("crawl", "worker"):
            if kwargs.get(name):
                check_name(kwargs[name], f"{name} name" if name == "crawl" else "worker id")

    @classmethod
    def load_config(cls, crawler: Crawler, kwargs: dict[str, Any]) -> CrawlConfig:
        cls.check_arguments(kwargs)
        settings = crawler.settings
        crawl = kwargs.get("crawl") or settings.get("LINKSPIDER_REDIS_CRAWL") or DEFAULT_CRAWL
        worker = (
            kwargs.get("worker")
            or settings.get("LINKSPIDER_REDIS_WORKER")
            or scrapyd_job(kwargs)
            or default_worker_id()
        )
        settings.set("LINKSPIDER_REDIS_CRAWL", check_name(crawl, "crawl name"), "cmdline")
        settings.set("LINKSPIDER_REDIS_WORKER", check_name(worker, "worker id"), "cmdline")
        definition = frontier_for(crawler).load_definition()
        # The crawl's limits, whatever this worker's settings say: all workers crawl alike.
        settings.set("LINKSPIDER_MAX_PAGES_PER_SITE", definition.max_pages_per_site, "cmdline")
        settings.set("LINKSPIDER_DEPTH", definition.depth, "cmdline")
        base = kwargs.get("output_dir") or Path(settings.get("LINKSPIDER_OUTPUT_ROOT")) / crawl
        args = CrawlArgs(
            targets=definition.targets.describe(),
            seeds=definition.seeds_spec or "(queued in Redis)",
            scope=definition.scope,  # type: ignore[arg-type]  # checked at enqueue
            output_dir=str(Path(base) / "parts" / worker),
            render=kwargs.get("render"),  # per worker: a worker without Chromium can say off
        )
        return CrawlConfig(args, definition.targets, SeedList(seeds=()))

    async def start(self) -> AsyncIterator[Request]:
        """Nothing: the seeds are in the shared frontier (``linkspider enqueue``)."""
        nothing: tuple[Request, ...] = ()
        for request in nothing:
            yield request

    async def seed_requests(self) -> AsyncIterator[Request]:
        """The seed requests of ``self.config`` (what ``linkspider enqueue`` queues)."""
        async for request in super().start():
            yield request


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"
