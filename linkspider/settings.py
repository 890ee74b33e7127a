"""Project settings: polite, safe defaults for crawling third-party sites.

Every value here can be overridden with ``-s NAME=VALUE`` on the command line, as Scrapy
users expect (command-line settings have a higher priority than this module).
The linkspider-specific settings are documented in the README's settings table.
"""

from __future__ import annotations

from linkspider import __version__

BOT_NAME = "linkspider"
SPIDER_MODULES = ["linkspider.spiders"]
NEWSPIDER_MODULE = "linkspider.spiders"
COMMANDS_MODULE = "linkspider.commands"

# An honest user agent: robots.txt groups for "linkspider" apply to us.
USER_AGENT = (
    f"linkspider/{__version__} (backlink crawler; +https://github.com/linkspider/linkspider)"
)
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "linkspider"

# Politeness: few parallel requests per host, adaptive delays, many hosts at once. Our
# RobotsPolicyMiddleware (RFC 9309) replaces Scrapy's; ROBOTSTXT_OBEY still switches it.
CONCURRENT_REQUESTS = 64
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy 2.19 starts this many asyncio tasks (and a queue) for each response's output,
# however few items it holds. linkspider's pipelines and item handlers are synchronous, so
# items gain nothing from running side by side: 1 task. 100 -> 16 cut CPU per page by about
# 40% on the benchmark web, 16 -> 1 by about 7% more (benchmarks/RESULTS.md). A user's
# asynchronous pipeline (a database write) may want more: -s CONCURRENT_ITEMS=16.
CONCURRENT_ITEMS = 1
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
DOWNLOAD_WARNSIZE = 8 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Breadth-first: when a page budget stops a site, the pages seen are the shallow ones.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Safety: only http(s), no private addresses (SSRF guard), no remote consoles.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
URLLENGTH_LIMIT = 0  # long URLs are refused (and listed) by TrapGuardMiddleware instead

# Order: SSRF guard, traps, robots.txt, then the budget, so that refused URLs never use it.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "linkspider.middlewares.render.RenderMiddleware": 40,  # last to see responses (render=)
    "linkspider.middlewares.ssrf.SsrfGuardMiddleware": 50,
    "linkspider.middlewares.traps.TrapGuardMiddleware": 80,
    "linkspider.middlewares.robots.RobotsPolicyMiddleware": 100,
    "linkspider.middlewares.site_budget.SiteBudgetMiddleware": 120,
    "linkspider.middlewares.redirect_loops.RedirectLoopMiddleware": 610,  # before Redirect (600)
    "linkspider.middlewares.body_size.BodySizeMiddleware": 950,  # names cut bodies too-large
}
# Before DepthMiddleware (900) in the output chain: target checks are not depth-limited.
SPIDER_MIDDLEWARES = {
    "linkspider.middlewares.target_check.TargetCheckMiddleware": 850,  # -a check_targets=true
}
ITEM_PIPELINES = {
    "linkspider.pipelines.jsonl_stream.JsonlStreamPipeline": 800,
}
EXTENSIONS = {
    # -O/-o/FEEDS: backlink rows only unless a feed names item_classes (README, Exports).
    "scrapy.extensions.feedexport.FeedExporter": None,
    "linkspider.extensions.feeds.BacklinkFeedExporter": 0,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "linkspider.extensions.progress.ProgressExtension": 100,  # its last line before the summary
    "linkspider.extensions.blocked_pages.BlockedPagesExtension": 400,  # closes before the report
    "linkspider.extensions.placement_status.PlacementStatusExtension": 420,  # with -a expect
    "linkspider.extensions.crawl_journal.CrawlJournalExtension": 450,  # with JOBDIR only
    "linkspider.extensions.run_report.RunReportExtension": 500,
    "linkspider.extensions.warc_recorder.WarcRecorderExtension": 300,  # LINKSPIDER_WARC_DIR
}

# linkspider settings (see README). The spider fills the per-run ones from its arguments.
LINKSPIDER_OUTPUT_ROOT = "output"
LINKSPIDER_MAX_PAGES_PER_SITE = 500
LINKSPIDER_DEPTH = 5
LINKSPIDER_SITEWIDE_MIN_PAGES = 3
LINKSPIDER_SITEWIDE_MIN_SHARE = 0.5
LINKSPIDER_PLACEMENT_RULES: list[dict[str, str]] = []
LINKSPIDER_CHECK_TARGETS = False  # -a check_targets=true: HEAD each linked target URL
LINKSPIDER_PROGRESS = "auto"  # live line on a terminal, log lines otherwise; live, log, off
LINKSPIDER_PROGRESS_INTERVAL = 60.0  # seconds between progress log lines
# Crawl policy and safety (README, "Crawling responsibly and safely").
LINKSPIDER_SSRF_GUARD = True
LINKSPIDER_ALLOW_PRIVATE_NETWORKS = False  # true, or networks: "127.0.0.0/8,10.0.0.0/8"
LINKSPIDER_ROBOTS_MAX_BYTES = 500 * 1024
LINKSPIDER_ROBOTS_RETRIES = 2
LINKSPIDER_ROBOTS_RETRY_DELAY = 30.0
LINKSPIDER_ROBOTS_CACHE_SECONDS = 24 * 3600
LINKSPIDER_CRAWL_DELAY_MAX = 30.0
LINKSPIDER_PARSE_MAX_BYTES = 4 * 1024 * 1024
LINKSPIDER_MAX_URL_LENGTH = 2048
LINKSPIDER_TRAP_SEGMENT_REPEATS = 3
LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN = 50
# JavaScript rendering (README, "Rendering JavaScript pages"; linkspider.render.browser).
LINKSPIDER_RENDER = "auto"  # off, auto or always; -a render=... sets it per run
LINKSPIDER_CHROMIUM_PATH = ""  # "": /usr/bin/chromium, else chromium/google-chrome on PATH
LINKSPIDER_BROWSER_ARGS: list[str] = []
LINKSPIDER_RENDER_TIMEOUT = 20.0
LINKSPIDER_RENDER_MAX_PAGES = 4
LINKSPIDER_RENDER_SETTLE = 2.0
LINKSPIDER_RENDER_BLOCK_RESOURCES = ["image", "media", "font"]
# WARC recording (docs/warc-recording.md): a folder turns it on; -a warc=DIR per run.
LINKSPIDER_WARC_DIR = ""
LINKSPIDER_WARC_MAX_BYTES = 1_000_000_000  # rotate files at this size, like Heritrix

# Scrapyd jobs may not override robots obedience, the SSRF guard and the other safety
# settings with setting=...; list here the ones a server lets jobs change
# (see linkspider/distributed/jobs.py and the README, "Running on servers").
LINKSPIDER_JOB_OVERRIDABLE_SETTINGS: list[str] = []

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
# CSV feeds (-O links.csv) quote formula-like text, as the run folder's CSV files do.
FEED_EXPORTERS = {"csv": "linkspider.extensions.feeds.SpreadsheetCsvItemExporter"}
