"""Every ``LINKSPIDER_*`` setting, with its default and what it does: the one place they are
described.

``python -m linkspider.docs_gen`` turns this registry (and the Scrapy settings the project
sets in ``linkspider/settings.py``) into ``docs/settings.md``. The tests check that every
``LINKSPIDER_*`` name used anywhere in ``linkspider/`` is listed here, that each default
equals the value in ``linkspider/settings.py`` and the fallback the code reads it with, and
that the committed page is current. A new setting is added here, with its default and one
or two sentences, then the page is regenerated.

Pure code: no Scrapy import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeVar

_T = TypeVar("_T")

#: Sections of the settings page, in order.
SECTIONS: Final = (
    "Crawl",
    "Politeness, robots.txt and safety",
    "JavaScript rendering",
    "Link intelligence",
    "Monitoring and history",
    "Exports and spreadsheets",
    "Report and disavow candidates",
    "WARC recording",
    "Discovery and open authority",
    "Servers: Scrapyd and scrapy-redis",
    "Set by linkspider during a run",
    "Environment variables",
    "Testing",
)

#: Sections whose settings have no project default: set during a run, environment variables,
#: test hooks (the add-on, :mod:`linkspider.addon`, sets the defaults of all the others).
INTERNAL_SECTIONS: Final = ("Set by linkspider during a run", "Environment variables", "Testing")

#: What a default of None means on the page, unless the entry says otherwise.
UNSET: Final = "unset"


@dataclass(frozen=True)
class SettingDoc:
    """One setting: ``default`` is the value in force when the setting is not given (None:
    unset); ``default_note`` says what that value means when the value alone does not (a
    computed default, a unit); ``page`` is the docs page that explains it in context."""

    name: str
    section: str
    default: object
    description: str
    default_note: str = ""
    page: str = ""


# fmt: off
SETTINGS: Final[tuple[SettingDoc, ...]] = (
    # --- Crawl ---------------------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_OUTPUT_ROOT", "Crawl", "output",
        "Where default run folders are created (`<root>/<timestamp>-backlinks/`, with "
        "`<root>/latest` pointing at the newest); also the root of Scrapyd job folders "
        "(`<root>/<project>/<spider>/<job>/`).",
        page="exports.md",
    ),
    SettingDoc(
        "LINKSPIDER_MAX_PAGES_PER_SITE", "Crawl", 500,
        "Page budget per seed site; 0: no budget. `-a max_pages_per_site` sets it per run.",
        page="crawling.md",
    ),
    SettingDoc(
        "LINKSPIDER_DEPTH", "Crawl", 5,
        "Link depth from the seed; 0: the seeds only. `-a depth` sets it per run.",
        page="crawling.md",
    ),
    SettingDoc(
        "LINKSPIDER_CHECK_TARGETS", "Crawl", False,
        "Request each distinct linked target URL once and list broken backlinks in "
        "`broken_backlinks.csv`; what `-a check_targets=true` sets.",
        page="verifying.md",
    ),
    SettingDoc(
        "LINKSPIDER_PARSE_MAX_BYTES", "Crawl", 4 * 1024 * 1024,
        "HTML bytes parsed per page; a longer page is parsed up to here (`note=truncated`).",
        default_note="4 MiB",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_EXTRACT_PROCESSES", "Crawl", "auto",
        "Processes that parse pages and extract links beside the crawl's own (`auto`: 1 "
        "on a machine with two cores or more, 0 on one core; 0: the crawl parses every "
        "page itself). `backlinks_distributed` workers use 0: run one worker per core.",
        page="how-it-works.md",
    ),
    SettingDoc(
        "LINKSPIDER_GC_FREEZE", "Crawl", True,
        "Move the objects alive when the crawl starts (modules, settings, components) out of "
        "Python's garbage collector's reach (`gc.freeze`), in the crawl's process and in "
        "the extraction processes: full collections then walk only what the crawl made "
        "since (-7% CPU a page on the 20,000-page benchmark web). `False`: Python's "
        "collector as it comes.",
        page="how-it-works.md",
    ),
    SettingDoc(
        "LINKSPIDER_PROGRESS", "Crawl", "auto",
        "The progress display: `auto` (a live line on a terminal, log lines otherwise), "
        "`live`, `log` or `off`.",
        page="verifying.md",
    ),
    SettingDoc(
        "LINKSPIDER_PROGRESS_INTERVAL", "Crawl", 60.0,
        "Seconds between progress log lines (at least 1).",
        page="verifying.md",
    ),
    # --- Politeness, robots.txt and safety ------------------------------------------------
    SettingDoc(
        "LINKSPIDER_SSRF_GUARD", "Politeness, robots.txt and safety", True,
        "Refuse loopback, private, link-local and other non-public addresses, in any "
        "spelling and after DNS resolution, on every redirect hop.",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_ALLOW_PRIVATE_NETWORKS", "Politeness, robots.txt and safety", False,
        "`true` (every address), or the networks the SSRF guard allows after all: "
        '`127.0.0.0/8,10.0.0.0/8` or `["10.0.0.0/8"]`.',
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_ROBOTS_MAX_BYTES", "Politeness, robots.txt and safety", 500 * 1024,
        "robots.txt bytes parsed; a bigger file is read that far and cut at a line end.",
        default_note="500 KiB",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_ROBOTS_RETRIES", "Politeness, robots.txt and safety", 2,
        "Fetches of an unreachable robots.txt after the first (0: give up at once); its "
        "origin's pages wait meanwhile.",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_ROBOTS_RETRY_DELAY", "Politeness, robots.txt and safety", 30.0,
        "Seconds before the first robots.txt retry; doubled for each next one.",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_ROBOTS_CACHE_SECONDS", "Politeness, robots.txt and safety", 24 * 3600,
        "How long a robots.txt answer is kept before it is fetched again.",
        default_note="24 h",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_CRAWL_DELAY_MAX", "Politeness, robots.txt and safety", 30.0,
        "The longest robots.txt `Crawl-delay` honoured, in seconds.",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_MAX_URL_LENGTH", "Politeness, robots.txt and safety", 2048,
        "Longer URLs are not requested (`trap-long-url`); 0: no limit.",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_TRAP_SEGMENT_REPEATS", "Politeness, robots.txt and safety", 3,
        "A path segment repeated this often marks a loop (`/a/b/a/b/a/`); 0: off.",
        page="crawling-responsibly.md",
    ),
    SettingDoc(
        "LINKSPIDER_TRAP_MAX_PAGES_PER_PATTERN", "Politeness, robots.txt and safety", 50,
        "URLs per calendar or pagination pattern and site (`/events/{date}/`, "
        "`?page={n}`); 0: no limit.",
        page="crawling-responsibly.md",
    ),
    # --- JavaScript rendering -------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_RENDER", "JavaScript rendering", "auto",
        "`off`, `auto` (pages that look client-rendered) or `always`; `-a render` sets it "
        "per run. Without a browser the default `auto` falls back to `off` with a warning; "
        "a mode asked for explicitly stops the crawl with an error.",
        page="rendering.md",
    ),
    SettingDoc(
        "LINKSPIDER_CHROMIUM_PATH", "JavaScript rendering", "",
        "The browser executable.",
        default_note="`/usr/bin/chromium`, else `chromium`, `chromium-browser` or "
        "`google-chrome` on `PATH`",
        page="rendering.md",
    ),
    SettingDoc(
        "LINKSPIDER_BROWSER_ARGS", "JavaScript rendering", [],
        "Extra Chromium switches (a list or a JSON list), added after the project's own.",
        page="rendering.md",
    ),
    SettingDoc(
        "LINKSPIDER_RENDER_TIMEOUT", "JavaScript rendering", 20.0,
        "Page load timeout in seconds (`PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT`, if that is "
        "not set).",
        page="rendering.md",
    ),
    SettingDoc(
        "LINKSPIDER_RENDER_MAX_PAGES", "JavaScript rendering", 4,
        "Pages rendered at once (`PLAYWRIGHT_MAX_PAGES_PER_CONTEXT`, if that is not set).",
        page="rendering.md",
    ),
    SettingDoc(
        "LINKSPIDER_RENDER_SETTLE", "JavaScript rendering", 2.0,
        "Longest wait, in seconds, after the `load` event for lazy content (the network "
        "quiet for 0.3 s ends it sooner).",
        page="rendering.md",
    ),
    SettingDoc(
        "LINKSPIDER_RENDER_BLOCK_RESOURCES", "JavaScript rendering", ["image", "media", "font"],
        "Resource types the browser does not load.",
        page="rendering.md",
    ),
    # --- Link intelligence ----------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_PLACEMENT_RULES", "Link intelligence", [],
        "Your placement rules, in order, winning over the built-in ones (a list or JSON "
        'text): `[{"region": "sidebar", "contains": "partner-box", "host": "example.com"}]`; '
        "keys `region`, and `selector` (CSS) or `contains` (class/id substring), optional "
        "`host`.",
        page="link-intelligence.md",
    ),
    SettingDoc(
        "LINKSPIDER_SITEWIDE_MIN_PAGES", "Link intelligence", 3,
        "A sitewide link appears on at least this many crawled pages of its host...",
        page="link-intelligence.md",
    ),
    SettingDoc(
        "LINKSPIDER_SITEWIDE_MIN_SHARE", "Link intelligence", 0.5,
        "... and on at least this share of the host's crawled HTML pages.",
        page="link-intelligence.md",
    ),
    # --- Exports and spreadsheets ----------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_EXPORTS_NEW_PROCESS", "Exports and spreadsheets", True,
        "Build the exports in a new process that replaces the crawl's once Scrapy has stopped "
        "(same pid, log and exit code; `run.json` `exports_process`: `new`), so the crawl's "
        "memory is given back first: a 50,000-page run peaks at the larger of the two, not "
        "their sum. `False`: in the crawl's process (`crawl`), as on Windows and when the "
        "crawl runs inside your own program (`CrawlerProcess`).",
        page="how-it-works.md",
    ),
    SettingDoc(
        "LINKSPIDER_XLSX", "Exports and spreadsheets", True,
        "Write `backlinks.xlsx`: backlinks, referring domains, anchors, target pages, new and "
        "lost links in one workbook (typed cells, frozen header, filters, hyperlinks); "
        "`False`: no workbook (about 3 CPU-minutes per million backlinks saved).",
        page="exports-spreadsheets.md",
    ),
    SettingDoc(
        "LINKSPIDER_CSV_BOM", "Exports and spreadsheets", True,
        "Start the spreadsheet-facing CSV files (the link tables; not `pages.csv`, "
        "`errors.csv`, `blocked_pages.csv`) with a UTF-8 byte order mark, so that Excel "
        "reads non-ASCII text right; `False`: plain UTF-8.",
        page="exports-spreadsheets.md",
    ),
    SettingDoc(
        "LINKSPIDER_EXPORT_HEADERS", "Exports and spreadsheets", "linkspider",
        "Header names of the spreadsheet-facing CSV files and `backlinks.xlsx`: `linkspider` "
        "(the column names) or `ahrefs` (`Referring page URL`, `Anchor`, `Nofollow`, "
        "`First seen`, `Lost reason`...).",
        page="exports-spreadsheets.md",
    ),
    # --- Monitoring and history -----------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_HISTORY", "Monitoring and history", True,
        "Record every run in the history of its target set and write `new_links.csv`, "
        "`lost_links.csv` and `changed_links.csv`; `False`: none of it.",
        page="monitoring.md",
    ),
    SettingDoc(
        "LINKSPIDER_HISTORY_DIR", "Monitoring and history", None,
        "Where the history stores (one SQLite file per target set) are kept.",
        default_note="`history/` next to the run folder (`output/history/`)",
        page="monitoring.md",
    ),
    SettingDoc(
        "LINKSPIDER_HISTORY_LOCK_TIMEOUT", "Monitoring and history", 60.0,
        "Seconds a run waits for another one recording into the same store.",
        page="monitoring.md",
    ),
    # --- Report and disavow candidates ----------------------------------------------------
    SettingDoc(
        "LINKSPIDER_REPORT_EXACT_SHARE", "Report and disavow candidates", 0.10,
        "Warn when more than this share of a target's referring domains use money anchors.",
        page="report-and-disavow.md",
    ),
    SettingDoc(
        "LINKSPIDER_REPORT_DOMAIN_SHARE", "Report and disavow candidates", 0.25,
        "Warn when one referring domain gives at least this share of all backlinks.",
        page="report-and-disavow.md",
    ),
    SettingDoc(
        "LINKSPIDER_REPORT_NONINDEXABLE_SHARE", "Report and disavow candidates", 0.20,
        "Warn when at least this share of the backlinks is on non-indexable pages.",
        page="report-and-disavow.md",
    ),
    SettingDoc(
        "LINKSPIDER_REPORT_MONEY_ANCHORS", "Report and disavow candidates", "exact,compound",
        "Anchor categories counted as money anchors, for the warnings and the disavow "
        "rules (a comma-separated text or a list).",
        page="report-and-disavow.md",
    ),
    SettingDoc(
        "LINKSPIDER_REPORT_TOP_N", "Report and disavow candidates", 25,
        "Rows per table in `report.html`.",
        page="report-and-disavow.md",
    ),
    SettingDoc(
        "LINKSPIDER_DISAVOW_MIN_LINKS", "Report and disavow candidates", 3,
        "Followed links a disavow candidate has at least.",
        page="report-and-disavow.md",
    ),
    SettingDoc(
        "LINKSPIDER_DISAVOW_MIN_SHARE", "Report and disavow candidates", 1.0,
        "Share of those links that must be sitewide template links with money anchors.",
        page="report-and-disavow.md",
    ),
    # --- WARC recording -----------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_WARC_DIR", "WARC recording", "",
        "A folder turns WARC recording on: the crawl's requests and responses are written "
        "there as WARC/1.1 files; `-a warc=DIR` sets it per run. Empty: off.",
    ),
    SettingDoc(
        "LINKSPIDER_WARC_MAX_BYTES", "WARC recording", 1_000_000_000,
        "A WARC file is closed and the next one started at this size.",
        default_note="1 GB",
    ),
    # --- Discovery and open authority -----------------------------------------------------
    SettingDoc(
        "LINKSPIDER_AUTHORITY_RELEASE", "Discovery and open authority", None,
        "The Common Crawl web-graph release (a release name, or a folder holding one) whose "
        "harmonic-centrality and PageRank ranks the exports give referring domains.",
        default_note="the release of the crawl's `-a discover`, else none",
    ),
    SettingDoc(
        "LINKSPIDER_DISAVOW_KEEP_RANK", "Discovery and open authority", 10_000,
        "A referring domain ranked this high or better in the web graph is never a disavow "
        "candidate; 0: no such rule.",
        page="report-and-disavow.md",
    ),
    # --- Servers --------------------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_JOB_OVERRIDABLE_SETTINGS", "Servers: Scrapyd and scrapy-redis", [],
        "Locked safety settings a Scrapyd job may override with `setting=NAME=VALUE` "
        "(set by the server's operator in the deployed settings; a job cannot unlock "
        "settings for itself).",
        page="scrapyd.md",
    ),
    SettingDoc(
        "LINKSPIDER_REDIS_URL", "Servers: Scrapyd and scrapy-redis", "redis://localhost:6379/0",
        "The Redis of a distributed crawl (workers; `linkspider enqueue --redis` or the "
        "environment variable `$LINKSPIDER_REDIS_URL`).",
        page="distributed.md",
    ),
    SettingDoc(
        "LINKSPIDER_REDIS_POLL_INTERVAL", "Servers: Scrapyd and scrapy-redis", 0.5,
        "Seconds between an idle worker's looks for new requests.",
        page="distributed.md",
    ),
    SettingDoc(
        "LINKSPIDER_REDIS_WORKER_TIMEOUT", "Servers: Scrapyd and scrapy-redis", 60.0,
        "Seconds after which a silent busy worker counts as gone.",
        page="distributed.md",
    ),
    SettingDoc(
        "LINKSPIDER_REDIS_PREFETCH", "Servers: Scrapyd and scrapy-redis", 4,
        "A worker takes a request from Redis only while fewer than this many of its "
        "requests wait in its downloader (at least 1): lower spreads small crawls more "
        "evenly, higher suits a few very fast sites.",
        page="distributed.md",
    ),
    SettingDoc(
        "LINKSPIDER_BUDGET_COUNTER", "Servers: Scrapyd and scrapy-redis",
        "linkspider.middlewares.site_budget.MemoryBudgetCounter",
        "Import path of the page budget counter class (the default counts in memory); "
        "`backlinks_distributed` uses `linkspider.distributed.budget.RedisBudgetCounter`.",
        page="distributed.md",
    ),
    # --- Set by linkspider during a run ---------------------------------------------------
    SettingDoc(
        "LINKSPIDER_OUTPUT_DIR", "Set by linkspider during a run", None,
        "The run folder, set by the spider from `-a output_dir` (or a new folder under "
        "`LINKSPIDER_OUTPUT_ROOT`); the components that write files are off without it.",
    ),
    SettingDoc(
        "LINKSPIDER_SCOPE", "Set by linkspider during a run", None,
        "The run's `-a scope` (`site` or `page`), recorded in `run.json`.",
    ),
    SettingDoc(
        "LINKSPIDER_TARGETS", "Set by linkspider during a run", None,
        "The run's targets as text, recorded in `run.json`.",
    ),
    SettingDoc(
        "LINKSPIDER_REDIS_CRAWL", "Set by linkspider during a run", None,
        "A distributed worker's crawl name (`-a crawl`, default `backlinks`).",
    ),
    SettingDoc(
        "LINKSPIDER_REDIS_WORKER", "Set by linkspider during a run", None,
        "A distributed worker's id (`-a worker`, default `<host>-<pid>`; under Scrapyd the "
        "job id).",
    ),
    # --- Environment variables ------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_CACHE_DIR", "Environment variables", None,
        "Environment variable: the cache folder of downloaded web-graph releases "
        "(`$LINKSPIDER_CACHE_DIR/cc-webgraph`).",
        default_note="`~/.cache/linkspider`",
    ),
    SettingDoc(
        "LINKSPIDER_CC_DATA_URL", "Environment variables", "https://data.commoncrawl.org/",
        "Environment variable: where `linkspider discover` downloads releases from.",
    ),
    SettingDoc(
        "LINKSPIDER_CC_GRAPHINFO_URL", "Environment variables",
        "https://index.commoncrawl.org/graphinfo.json",
        "Environment variable: the list of web-graph releases.",
    ),
    SettingDoc(
        "LINKSPIDER_DISCOVER_WORKERS", "Environment variables", None,
        "Environment variable: processes scanning web-graph edge files at once (one file "
        "each; only for 64 MB of edge files or more).",
        default_note="the CPU count",
    ),
    SettingDoc(
        "LINKSPIDER_GZIP", "Environment variables", None,
        "Environment variable: `zlib` decompresses in-process instead of with `pigz` or "
        "`gzip`.",
        default_note="`pigz`, else `gzip`, when installed",
    ),
    # --- Testing --------------------------------------------------------------------------
    SettingDoc(
        "LINKSPIDER_TESTWEB", "Testing", None,
        "State file of the local test web, read by "
        "`linkspider.testweb.resolver.TestWebResolver`.",
        page="testweb.md",
    ),
    SettingDoc(
        "LINKSPIDER_SLOT_PROBE_FILE", "Testing", None,
        "With the test web's probe extension: a JSON Lines file recording the downloader's "
        "slots (used by tests of the politeness limits).",
    ),
)
# fmt: on

#: Why linkspider sets each Scrapy setting, in ``linkspider/settings.py`` (the project's own)
#: or in its add-on (``linkspider/addon.py``); the values are read from there when the page is
#: generated.
SCRAPY_SETTINGS_WHY: Final[dict[str, str]] = {
    "BOT_NAME": "the project's name",
    "ADDONS": "linkspider's add-on: its components and the defaults below (docs/addon.md)",
    "SPIDER_MODULES": "where Scrapy finds `backlinks` and `backlinks_distributed`",
    "NEWSPIDER_MODULE": "Scrapy's `genspider` target",
    "COMMANDS_MODULE": "linkspider's own `scrapy` subcommands",
    "USER_AGENT": "an honest name site owners can address",
    "ROBOTSTXT_OBEY": "the robots.txt policy (`False` switches it off)",
    "ROBOTSTXT_USER_AGENT": "the product token robots.txt groups are matched against",
    "CONCURRENT_REQUESTS": "many sites in parallel",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "few requests per site",
    "CONCURRENT_ITEMS": "Scrapy starts this many asyncio tasks per response's output; "
    "linkspider's pipelines are synchronous, so 1 (100 -> 16 -> 1: about -40%, then -7% CPU "
    "per page); raise it for an asynchronous pipeline of your own",
    "DOWNLOAD_DELAY": "seconds between requests to one host",
    "AUTOTHROTTLE_ENABLED": "back off when a site slows down",
    "AUTOTHROTTLE_START_DELAY": "AutoThrottle's first delay (seconds)",
    "AUTOTHROTTLE_MAX_DELAY": "AutoThrottle's longest delay (seconds)",
    "AUTOTHROTTLE_TARGET_CONCURRENCY": "one request at a time per site on average",
    "DOWNLOAD_TIMEOUT": "seconds",
    "DOWNLOAD_MAXSIZE": "larger bodies are not downloaded (`too-large`)",
    "DOWNLOAD_WARNSIZE": "bodies this large are logged",
    "RETRY_TIMES": "retries of a failed request",
    "REDIRECT_MAX_TIMES": "longer chains are errors (`too-many-redirects`)",
    "COOKIES_ENABLED": "no sessions",
    "TELNETCONSOLE_ENABLED": "no remote console",
    "DEPTH_PRIORITY": "breadth first: a budget-limited crawl sees the shallow pages",
    "SCHEDULER_DISK_QUEUE": "FIFO (breadth first) with `JOBDIR`",
    "SCHEDULER_MEMORY_QUEUE": "FIFO (breadth first), each waiting request kept pickled (~0.5 KB)",
    "DOWNLOAD_HANDLERS": "only http(s): the `file`, `data`, `ftp` and `s3` handlers are off",
    "URLLENGTH_LIMIT": "off: long URLs are refused, and listed, by the trap guard instead",
    "DOWNLOADER_MIDDLEWARES": "rendering (last to see responses), then the SSRF guard, traps, "
    "robots.txt (replacing Scrapy's) and the page budget, so that refused URLs never use the "
    "budget; redirect loops before Scrapy's redirects; Scrapy's meta refresh, without "
    'decoding pages that have no "refresh" in their first 16 KB; bodies cut at the size '
    "limit named",
    "SPIDER_MIDDLEWARES": "target checks (`-a check_targets=true`); links robots.txt "
    "disallows dropped before they are scheduled, once their site's robots.txt is known",
    "ITEM_PIPELINES": "rows streamed to the run folder's JSON Lines files",
    "EXTENSIONS": "feeds hold backlink rows; progress, blocked pages, WARC recording "
    "(`LINKSPIDER_WARC_DIR`), placement checks, the crawl journal, the run report and the "
    "garbage collector's freeze (`LINKSPIDER_GC_FREEZE`); the telnet console and remote "
    "control off",
    "LOG_LEVEL": "the progress and summary lines are INFO",
    "LOG_FORMATTER": "Scrapy's, without the per-response and per-item DEBUG lines when "
    "`LOG_LEVEL` hides DEBUG (they cost ~1% CPU to build and drop)",
    "STATS_CLASS": "Scrapy's in-memory stats collector without its per-access "
    "deprecation shim (1.4 -> 0.08 µs a stats update)",
    "FEED_EXPORT_ENCODING": "UTF-8 feeds",
    "FEED_EXPORTERS": "CSV feeds (`-O links.csv`) quote formula-like text as the run "
    "folder's CSV files do",
}


def by_name() -> dict[str, SettingDoc]:
    """The registry as a mapping (names are unique: checked by the tests)."""
    return _BY_NAME


_BY_NAME: Final[dict[str, SettingDoc]] = {setting.name: setting for setting in SETTINGS}


def default_of(name: str, kind: type[_T]) -> _T:
    """The default of setting ``name``, typed: what components fall back to when a setting
    is not given (the registry is the one place a default is written)."""
    value = _BY_NAME[name].default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind):
        raise TypeError(f"{name}: the registry's default {value!r} is not a {kind.__name__}")
    return value
