"""``linkspider enqueue``: queue a distributed crawl (its definition and seeds) in Redis.

The arguments are checked exactly as ``scrapy crawl backlinks`` checks them; the crawl's
definition (parsed targets, scope, depth, page budget, duplicate filter) is stored for
the workers, and the seed requests go through the shared duplicate filter into the
frontier. Queuing again with the same definition adds seeds (seen ones are skipped);
a different definition under the same crawl name is refused unless ``reset`` is given.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from scrapy import Request

from linkspider.config.args import CrawlConfig
from linkspider.distributed.frontier import (
    CrawlDefinition,
    DupefilterSpec,
    Frontier,
    FrontierError,
    connect,
)
from linkspider.distributed.scheduler import open_for_enqueue
from linkspider.output import utc_now
from linkspider.settings_reference import default_of
from linkspider.spiders.backlinks_distributed import BacklinksDistributedSpider


@dataclass
class EnqueueResult:
    crawl: str
    queued: int
    already_seen: int
    rejected: list[tuple[int, str, str]]
    created: bool
    definition: CrawlDefinition
    pending: int


def enqueue(
    redis_url: str,
    crawl: str,
    targets: str,
    seeds: str,
    *,
    scope: str = "site",
    depth: int | None = None,
    max_pages_per_site: int | None = None,
    dupefilter: DupefilterSpec | None = None,
    reset: bool = False,
) -> EnqueueResult:
    """Store the crawl definition (if new) and queue its seeds; see the module docstring."""
    kwargs: dict[str, object] = {"targets": targets, "seeds": seeds, "scope": scope}
    if depth is not None:
        kwargs["depth"] = depth
    if max_pages_per_site is not None:
        kwargs["max_pages_per_site"] = max_pages_per_site
    config = CrawlConfig.from_kwargs(kwargs)
    args = config.args
    spec = dupefilter or DupefilterSpec()
    if spec.kind == "bloom":
        from linkspider.distributed.dupefilter import bloom_size

        bloom_size(spec.capacity, spec.error_rate)  # fail now, not in every worker
    elif spec.kind != "set":
        raise FrontierError(f"unknown duplicate filter {spec.kind!r} (set or bloom)")
    definition = CrawlDefinition(
        crawl=crawl,
        scope=args.scope,
        depth=args.depth if args.depth is not None else default_of("LINKSPIDER_DEPTH", int),
        max_pages_per_site=(
            args.max_pages_per_site
            if args.max_pages_per_site is not None
            else default_of("LINKSPIDER_MAX_PAGES_PER_SITE", int)
        ),
        targets=config.targets,
        targets_spec=targets,
        seeds_spec=seeds,
        dupefilter=spec,
        created_at=utc_now(),
    )
    frontier = Frontier(connect(redis_url), crawl, url=redis_url)
    if reset:
        frontier.reset()
    created = True
    if frontier.server.exists(frontier.keys.definition):
        existing = frontier.load_definition()
        if not existing.same_crawl(definition):
            raise FrontierError(
                f"crawl {crawl!r} already exists with other targets or limits "
                f"({existing.targets.describe()}, scope={existing.scope}, depth={existing.depth}, "
                f"max_pages_per_site={existing.max_pages_per_site}, "
                f"dupefilter={existing.dupefilter.kind}): use --reset to start it over, "
                "or another --crawl name"
            )
        created = False
    else:
        frontier.store_definition(definition)
    frontier.server.delete(frontier.keys.done)  # new seeds: the crawl is not finished

    spider = BacklinksDistributedSpider()
    spider.config = config
    scheduler = open_for_enqueue(frontier, spider)
    queued = seen = 0
    for request in asyncio.run(_collect(spider)):
        if scheduler.enqueue_request(request):
            queued += 1
        else:
            seen += 1
    return EnqueueResult(
        crawl=crawl,
        queued=queued,
        already_seen=seen,
        rejected=list(config.seeds.rejected),
        created=created,
        definition=definition if created else frontier.load_definition(),
        pending=frontier.queued(),
    )


async def _collect(spider: BacklinksDistributedSpider) -> list[Request]:
    return [request async for request in spider.seed_requests()]
