"""What a crawl's arguments and settings make of it, before the spider schedules anything.

:func:`set_up_crawl` is the spiders' configuration, apart from their scheduling: it checks a
Scrapyd job, parses the arguments (:mod:`linkspider.config.args`), prepares the run folder,
turns the arguments into settings (so that every component reads them once, like any
setting) and configures rendering. Any problem is one :class:`UsageError` line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings, get_settings_priority

from linkspider.config.args import CrawlConfig, follows_links
from linkspider.config.placements import ExpectedLink
from linkspider.config.sources import ConfigError
from linkspider.extensions.crawl_journal import resumed_output_dir
from linkspider.extract.placement import PlacementRule, parse_rules
from linkspider.output import prepare_output_dir
from linkspider.render.browser import RenderConfigError, configure_rendering
from linkspider.scrapyd_jobs import check_job, job_output_dir, scrapyd_job
from linkspider.settings_reference import default_of

_PROJECT_PRIORITY = get_settings_priority("project")


@dataclass(frozen=True)
class CrawlSetup:
    """What the spider schedules with."""

    config: CrawlConfig
    placement_rules: list[PlacementRule]
    follow_links: bool
    parse_max_bytes: int
    #: -a expect: source URL -> its expected links (empty: a normal crawl)
    expected: dict[str, list[ExpectedLink]]


def set_up_crawl(
    crawler: Crawler,
    spider: str,
    kwargs: dict[str, Any],
    load_config: Callable[[Crawler, dict[str, Any]], CrawlConfig],
) -> CrawlSetup:
    """Check and apply the arguments ``kwargs`` of ``spider``; ``load_config`` reads them
    (``backlinks_distributed`` reads the crawl's definition from Redis)."""
    settings = crawler.settings
    job = scrapyd_job(kwargs)  # under Scrapyd: locked safety settings, a folder per job
    try:
        check_job(settings, job)
        config = load_config(crawler, kwargs)
        output_dir = (
            config.args.output_dir
            or job_output_dir(settings, spider, job)
            or resumed_output_dir(settings)  # same JOBDIR: same run folder
        )
    except ConfigError as exc:
        raise UsageError(f"{spider}: {exc}") from None
    try:
        rules = parse_rules(settings.get("LINKSPIDER_PLACEMENT_RULES"))
    except ValueError as exc:
        raise UsageError(f"LINKSPIDER_PLACEMENT_RULES: {exc}") from None
    output = prepare_output_dir(output_dir, _text(settings, "LINKSPIDER_OUTPUT_ROOT"))
    # Per-run values become settings (priority "cmdline": the arguments are explicit).
    from_arguments = config.argument_settings(str(output))
    for name, value in from_arguments.explicit.items():
        settings.set(name, value, priority="cmdline")
    depth = _int(settings, "LINKSPIDER_DEPTH")
    follow_links = follows_links(config.args.scope, depth)
    if follow_links:
        settings.set("DEPTH_LIMIT", depth, priority="cmdline")
    try:  # render=auto|always: scrapy-playwright and the browser (never with render=off)
        explicit = (settings.getpriority("LINKSPIDER_RENDER") or 0) > _PROJECT_PRIORITY
        configure_rendering(crawler, explicit=explicit)
    except (RenderConfigError, ValueError) as exc:
        raise UsageError(f"{spider}: {exc}") from None
    for name, value in from_arguments.implied.items():
        settings.set(name, value, priority="spider")
    return CrawlSetup(
        config=config,
        placement_rules=rules,
        follow_links=follow_links,
        parse_max_bytes=_int(settings, "LINKSPIDER_PARSE_MAX_BYTES"),
        expected=config.placements.source_pages() if config.placements else {},
    )


def _int(settings: BaseSettings, name: str) -> int:
    return settings.getint(name, default_of(name, int))


def _text(settings: BaseSettings, name: str) -> str:
    return str(settings.get(name) or default_of(name, str))
