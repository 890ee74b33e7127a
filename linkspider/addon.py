"""linkspider's Scrapy add-on: its components and default settings, for any Scrapy project.

Enable it in a project's settings (linkspider's own ``settings.py`` does exactly this)::

    ADDONS = {"linkspider.addon.Addon": 0}
    SPIDER_MODULES = ["linkspider.spiders"]  # or a spider of yours subclassing them

The add-on installs linkspider's middlewares, pipeline, extensions and feed exporter into
the component dictionaries, switches off the components it replaces (Scrapy's robots.txt
middleware, feed exporter, telnet console, remote control) and the download handlers it
does not allow (``file``, ``data``, ``ftp``, ``s3``), and sets its Scrapy and
``LINKSPIDER_*`` defaults at the ``addon`` priority: a project's own settings and ``-s`` win.
A component the project names itself (even with ``None``, to switch it off) is left as the
project says. Safety is not weakened by the add-on's priority: the safety settings are
switched on by default and stay locked for Scrapyd jobs (:mod:`linkspider.scrapyd_jobs`).

The defaults are applied twice, the same way: before the crawler exists
(``update_pre_crawler_settings``, so that ``scrapy crawl``'s logging and the spider's
``from_crawler`` see them, as they saw ``settings.py``), and in ``update_settings`` (for
crawlers built without a crawler process). See docs/addon.md.
"""

from __future__ import annotations

from typing import Any, Final

from scrapy.settings import BaseSettings

from linkspider import __version__
from linkspider.settings_reference import INTERNAL_SECTIONS, SETTINGS

ADDON_PRIORITY: Final = "addon"

#: Scrapy settings linkspider changes (why: ``SCRAPY_SETTINGS_WHY`` in settings_reference).
SCRAPY_SETTINGS: Final[dict[str, Any]] = {
    # An honest user agent: robots.txt groups for "linkspider" apply to us.
    "USER_AGENT": (
        f"linkspider/{__version__} (backlink crawler; +https://github.com/linkspider/linkspider)"
    ),
    "ROBOTSTXT_OBEY": True,
    "ROBOTSTXT_USER_AGENT": "linkspider",
    # Politeness: few parallel requests per host, adaptive delays, many hosts at once. Our
    # RobotsPolicyMiddleware (RFC 9309) replaces Scrapy's; ROBOTSTXT_OBEY still switches it.
    "CONCURRENT_REQUESTS": 64,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    # Scrapy 2.19 starts this many asyncio tasks (and a queue) for each response's output,
    # however few items it holds. linkspider's pipelines and item handlers are synchronous,
    # so items gain nothing from running side by side: 1 task. 100 -> 16 cut CPU per page by
    # about 40% on the benchmark web, 16 -> 1 by about 7% more (benchmarks/RESULTS.md). A
    # user's asynchronous pipeline (a database write) may want more: -s CONCURRENT_ITEMS=16.
    "CONCURRENT_ITEMS": 1,
    "DOWNLOAD_DELAY": 0.5,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_MAXSIZE": 32 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 8 * 1024 * 1024,
    "RETRY_TIMES": 2,
    "REDIRECT_MAX_TIMES": 10,
    "COOKIES_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
    # Breadth-first: when a page budget stops a site, the pages seen are the shallow ones.
    "DEPTH_PRIORITY": 1,
    "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    # FIFO too, each waiting request pickled: ~0.5 KB instead of ~2.5 KB (queues/compact.py).
    "SCHEDULER_MEMORY_QUEUE": "linkspider.queues.compact.CompactFifoMemoryQueue",
    # Safety: only http(s), no private addresses (SSRF guard), no remote consoles.
    "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
    "URLLENGTH_LIMIT": 0,  # long URLs are refused (and listed) by TrapGuardMiddleware instead
    # Order: SSRF guard, traps, robots.txt, then the budget, so that refused URLs never use it.
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        # Scrapy's, without decoding every page to look for a meta refresh it has not.
        "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
        "linkspider.middlewares.meta_refresh.MetaRefreshMiddleware": 580,
        "linkspider.middlewares.render.RenderMiddleware": 40,  # last to see responses
        "linkspider.middlewares.ssrf.SsrfGuardMiddleware": 50,
        "linkspider.middlewares.traps.TrapGuardMiddleware": 80,
        "linkspider.middlewares.robots.RobotsPolicyMiddleware": 100,
        "linkspider.middlewares.site_budget.SiteBudgetMiddleware": 120,
        "linkspider.middlewares.redirect_loops.RedirectLoopMiddleware": 610,  # before Redirect
        "linkspider.middlewares.body_size.BodySizeMiddleware": 950,  # names cut bodies
    },
    # Before DepthMiddleware (900) in the output chain: target checks are not depth-limited.
    "SPIDER_MIDDLEWARES": {
        "linkspider.middlewares.target_check.TargetCheckMiddleware": 850,
        # Last to see the spider's output: links robots.txt disallows are never scheduled.
        "linkspider.middlewares.robots_prefilter.RobotsPrefilterMiddleware": 10,
    },
    "ITEM_PIPELINES": {
        "linkspider.pipelines.jsonl_stream.JsonlStreamPipeline": 800,
    },
    "EXTENSIONS": {
        # -O/-o/FEEDS: backlink rows only unless a feed names item_classes (Exports).
        "scrapy.extensions.feedexport.FeedExporter": None,
        "linkspider.extensions.feeds.BacklinkFeedExporter": 0,
        "scrapy.extensions.telnet.TelnetConsole": None,
        "scrapy.extensions.remote_control.RemoteControl": None,
        "linkspider.extensions.progress.ProgressExtension": 100,  # last line before summary
        "linkspider.extensions.blocked_pages.BlockedPagesExtension": 400,  # before the report
        "linkspider.extensions.placement_status.PlacementStatusExtension": 420,  # -a expect
        "linkspider.extensions.crawl_journal.CrawlJournalExtension": 450,  # with JOBDIR only
        "linkspider.extensions.run_report.RunReportExtension": 500,
        "linkspider.extensions.warc_recorder.WarcRecorderExtension": 300,  # LINKSPIDER_WARC_DIR
        "linkspider.extensions.gc_freeze.GcFreezeExtension": 900,  # LINKSPIDER_GC_FREEZE
    },
    "LOG_LEVEL": "INFO",
    # No "Crawled"/"Scraped from" DEBUG records built only to be dropped (logformatter.py).
    "LOG_FORMATTER": "linkspider.logformatter.QuietLogFormatter",
    # Scrapy's in-memory stats without a Python __getattribute__ on every access.
    "STATS_CLASS": "linkspider.statscollector.LeanStatsCollector",
    "FEED_EXPORT_ENCODING": "utf-8",
    # CSV feeds (-O links.csv) quote formula-like text, as the run folder's CSV files do.
    "FEED_EXPORTERS": {"csv": "linkspider.extensions.feeds.SpreadsheetCsvItemExporter"},
}

#: The component dictionaries: merged key by key into the project's, never replacing them.
COMPONENT_SETTINGS: Final = frozenset(
    name for name, value in SCRAPY_SETTINGS.items() if isinstance(value, dict)
)

#: ``LINKSPIDER_*`` defaults the add-on sets (from the settings registry, the one place they
#: are written): every setting with a default, except those set during a run, environment
#: variables and test settings.
OWN_DEFAULTS: Final[dict[str, object]] = {
    setting.name: setting.default
    for setting in SETTINGS
    if setting.default is not None and setting.section not in INTERNAL_SECTIONS
}


class Addon:
    """Scrapy add-on (``ADDONS = {"linkspider.addon.Addon": 0}``): linkspider's components
    and defaults at the ``addon`` priority, below a project's settings."""

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        """Before any crawler: ``scrapy crawl``'s log level and the spider's arguments
        (read before the add-ons' ``update_settings``) see linkspider's defaults."""
        install_defaults(settings)

    def update_settings(self, settings: BaseSettings) -> None:
        install_defaults(settings)


def install_defaults(settings: BaseSettings) -> None:
    """Set linkspider's defaults where ``settings`` has nothing of higher priority, and add
    its components to the component dictionaries where the project names none of them
    (idempotent: applying it twice changes nothing)."""
    for name, value in SCRAPY_SETTINGS.items():
        if name in COMPONENT_SETTINGS:
            for component, order in value.items():
                setdefault_component(settings, name, component, order)
        else:
            settings.set(name, value, priority=ADDON_PRIORITY)
    for name, default in OWN_DEFAULTS.items():
        settings.set(name, _copy(default), priority=ADDON_PRIORITY)


def setdefault_component(settings: BaseSettings, name: str, path: str, order: Any) -> None:
    """Add ``path: order`` to the ``name`` dictionary unless the project already has the
    component (as an import path or a class, enabled or ``None``), keeping the setting's
    priority. Unlike Scrapy's ``setdefault_in_component_priority_dict``, nothing is imported."""
    components = settings.getdict(name)
    if any(_component_path(key) == path for key in components):
        return
    components[path] = order
    settings.set(name, components, priority=settings.getpriority(name) or 0)


def _component_path(key: object) -> object:
    if isinstance(key, type):
        return f"{key.__module__}.{key.__qualname__}"
    return key


def _copy(value: object) -> object:
    """Lists and dicts are copied: settings must not share the registry's objects."""
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value
