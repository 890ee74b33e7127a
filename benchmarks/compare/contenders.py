"""The five contenders: their commands (same Scrapy settings for all) and their page counts.

Every contender runs in a fresh folder with no ``scrapy.cfg``: the reference spiders and
advertools get plain Scrapy defaults plus ``COMMON_SETTINGS``; linkspider gets its project
settings (``SCRAPY_SETTINGS_MODULE=linkspider.settings``, as in production) plus the same
``COMMON_SETTINGS`` and the two settings the local web needs (the SSRF guard's loopback
allowance, no robots.txt retries).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.compare.measure import Command, RunFailed
from benchmarks.compare.web import WebFiles

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

#: Identical for every contender.
COMMON_SETTINGS = {
    "CONCURRENT_REQUESTS": "64",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "ROBOTSTXT_OBEY": "True",
    "COOKIES_ENABLED": "False",
    "TELNETCONSOLE_ENABLED": "False",
    "RETRY_TIMES": "0",
    "DOWNLOAD_TIMEOUT": "30",
    "DEPTH_LIMIT": "0",
    "DEPTH_PRIORITY": "1",
    "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    "LOG_LEVEL": "INFO",
    "LOGSTATS_INTERVAL": "5",
    "TWISTED_DNS_RESOLVER": "linkspider.testweb.resolver.TestWebResolver",
}
#: The reference spiders' breadth-first queue (Scrapy's own FIFO); linkspider keeps its
#: project's FIFO, which holds waiting requests pickled (linkspider/queues/compact.py).
REFERENCE_SETTINGS = {"SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue"}
LINKSPIDER_SETTINGS = {
    "LINKSPIDER_ALLOW_PRIVATE_NETWORKS": "127.0.0.0/8",
    "LINKSPIDER_ROBOTS_RETRIES": "0",
}
#: Link depth given to linkspider (its default is 5); the web is at most ~5 deep anyway.
LINKSPIDER_DEPTH = "50"
#: Page budget per site given to linkspider: more than any host of the web has (no limit).
PAGE_BUDGET = "1000000"


@dataclass
class Context:
    web: WebFiles
    resolver_state: Path
    work: Path  # this run's folder
    redis_url: str = ""
    #: ``--set NAME=VALUE`` of the command line: linkspider's runs only (A/B trials)
    extra: dict[str, str] = field(default_factory=dict)

    def settings(self) -> dict[str, str]:
        """The reference spiders' settings."""
        return {**self._common(), **REFERENCE_SETTINGS}

    def linkspider_settings(self) -> dict[str, str]:
        return {**self._common(), **LINKSPIDER_SETTINGS, **self.extra}

    def _common(self) -> dict[str, str]:
        return {**COMMON_SETTINGS, "LINKSPIDER_TESTWEB": str(self.resolver_state)}


@dataclass
class Contender:
    key: str
    title: str
    steps: Callable[[Context], list[list[Command]]]
    pages: Callable[[Context], int]


def _flags(settings: dict[str, str]) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def plain_env() -> dict[str, str]:
    """No project settings; this checkout importable (the resolver)."""
    env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def project_env() -> dict[str, str]:
    return dict(plain_env(), SCRAPY_SETTINGS_MODULE="linkspider.settings")


def _scrapy(ctx: Context, name: str, args: list[str], env: dict[str, str]) -> Command:
    return Command([sys.executable, "-m", "scrapy", *args], ctx.work, env, ctx.work / f"{name}.log")


def _stats_pages(ctx: Context) -> int:
    stats = json.loads((ctx.work / "stats.json").read_text("utf-8"))
    return int(stats.get("bench/pages", 0))


def _runspider(ctx: Context, name: str, **arguments: str) -> list[list[Command]]:
    """``scrapy runspider spiders/<name>_spider.py -a k=v ...`` with plain Scrapy settings."""
    args = ["runspider", str(HERE / "spiders" / f"{name}_spider.py")]
    for key, value in {**arguments, "stats": str(ctx.work / "stats.json")}.items():
        args += ["-a", f"{key}={value}"]
    return [[_scrapy(ctx, name, [*args, *_flags(ctx.settings())], plain_env())]]


def null_steps(ctx: Context) -> list[list[Command]]:
    return _runspider(ctx, "null", pages=str(ctx.web.pages))


def follow_steps(ctx: Context) -> list[list[Command]]:
    hosts = ctx.work / "hosts.txt"
    hosts.write_text("".join(f"{h}\n" for h in ctx.web.hosts), "utf-8")
    return _runspider(ctx, "follow", seeds=str(ctx.web.seeds), hosts=str(hosts))


def advertools_steps(ctx: Context) -> list[list[Command]]:
    argv = [
        sys.executable,
        str(HERE / "spiders" / "advertools_run.py"),
        str(ctx.web.seeds),
        str(ctx.work / "crawl.jsonl"),
        json.dumps(ctx.settings()),
    ]
    return [[Command(argv, ctx.work, plain_env(), ctx.work / "advertools.log")]]


def advertools_pages(ctx: Context) -> int:
    pages = 0
    with (ctx.work / "crawl.jsonl").open(encoding="utf-8") as rows:
        for line in rows:
            row = json.loads(line)
            pages += row.get("status") == 200 and "errors" not in row
    return pages


def linkspider_steps(ctx: Context) -> list[list[Command]]:
    args = [
        "crawl",
        "backlinks",
        "-a",
        f"targets={ctx.web.targets}",
        "-a",
        f"seeds={ctx.web.seeds}",
        "-a",
        f"output_dir={ctx.work / 'out'}",
        "-a",
        f"depth={LINKSPIDER_DEPTH}",
        "-a",
        f"max_pages_per_site={PAGE_BUDGET}",
        *_flags(ctx.linkspider_settings()),
    ]
    return [[_scrapy(ctx, "linkspider", args, project_env())]]


def linkspider_pages(ctx: Context) -> int:
    run = json.loads((ctx.work / "out" / "run.json").read_text("utf-8"))
    if run.get("status") != "finished":
        raise RunFailed(f"linkspider's run.json says status={run.get('status')!r}: see {ctx.work}")
    return int(run["pages_crawled"])


def distributed_steps(ctx: Context, workers: int = 2) -> list[list[Command]]:
    crawl = f"bench-{ctx.work.name}"
    out = ctx.work / "out"
    enqueue = [
        sys.executable,
        "-m",
        "linkspider.cli",
        "enqueue",
        str(ctx.web.targets),
        str(ctx.web.seeds),
        "--redis",
        ctx.redis_url,
        "--crawl",
        crawl,
        "--depth",
        LINKSPIDER_DEPTH,
        "--max-pages-per-site",
        PAGE_BUDGET,
        "--reset",
    ]
    settings = {**ctx.linkspider_settings(), "LINKSPIDER_REDIS_URL": ctx.redis_url}
    worker_steps = [
        _scrapy(
            ctx,
            f"worker{n}",
            [
                "crawl",
                "backlinks_distributed",
                "-a",
                f"crawl={crawl}",
                "-a",
                f"worker=w{n}",
                "-a",
                f"output_dir={out}",
                *_flags(settings),
            ],
            project_env(),
        )
        for n in range(workers)
    ]
    merge = [sys.executable, "-m", "linkspider.cli", "merge", str(out)]
    return [
        [Command(enqueue, ctx.work, project_env(), ctx.work / "enqueue.log")],
        worker_steps,
        [Command(merge, ctx.work, project_env(), ctx.work / "merge.log")],
    ]


CONTENDERS = {
    "null": Contender("null", "Scrapy null spider (no parsing)", null_steps, _stats_pages),
    "follow": Contender("follow", "Scrapy CrawlSpider + LinkExtractor", follow_steps, _stats_pages),
    "advertools": Contender(
        "advertools", "advertools.crawl(follow_links=True)", advertools_steps, advertools_pages
    ),
    "linkspider": Contender(
        "linkspider", "linkspider `scrapy crawl backlinks`", linkspider_steps, linkspider_pages
    ),
    "distributed": Contender(
        "distributed",
        "linkspider, 2 distributed workers + merge",
        distributed_steps,
        linkspider_pages,
    ),
}
