"""Scrapyd jobs: an export folder per job, and safety settings a job may not switch off.

Scrapyd runs each job as ``scrapy crawl SPIDER -a _job=JOBID -s NAME=VALUE ...`` (the
``setting=`` parameters of ``schedule.json`` become ``-s`` options, priority ``cmdline``)
with ``SCRAPY_JOB`` and ``SCRAPY_PROJECT`` in the environment.

* **Exports**: without an explicit ``output_dir`` argument, a job writes into
  ``<LINKSPIDER_OUTPUT_ROOT>/<project>/<spider>/<job id>/`` (Scrapyd's own layout for logs
  and items), so concurrent jobs never share files.
* **Locked settings**: a job's ``setting=`` override of a safety setting
  (:data:`LOCKED_SETTINGS`: robots.txt obedience and Crawl-delay, the SSRF guard, the
  download handlers and middlewares that enforce them, the DNS resolver, add-ons, remote
  consoles) fails the
  job at start with an error naming it, unless the server operator lists the setting in
  ``LINKSPIDER_JOB_OVERRIDABLE_SETTINGS`` in the deployed settings. Failing loudly beats
  reverting silently: the user learns at once that the job did not run as asked.
  ``scrapy crawl`` checks this before the crawl starts (:func:`check_job_at_start`), so the
  job's log has one ``UsageError`` line; Scrapy 2.19 builds the spider in an asyncio task,
  where the spider's own check would end in "Task exception was never retrieved" and a
  traceback.

Settings: ``LINKSPIDER_OUTPUT_ROOT``, ``LINKSPIDER_JOB_OVERRIDABLE_SETTINGS`` (list of
setting names, default empty).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings, get_settings_priority

from linkspider.config.sources import ConfigError
from linkspider.core.setting_values import text_setting

#: Settings a Scrapyd job may not override unless the operator allows it.
LOCKED_SETTINGS = (
    "ROBOTSTXT_OBEY",
    "ROBOTSTXT_USER_AGENT",
    "ROBOTSTXT_PARSER",
    "LINKSPIDER_ROBOTS_MAX_BYTES",  # a tiny limit would parse no rules at all
    "LINKSPIDER_CRAWL_DELAY_MAX",  # 0 would ignore the sites' Crawl-delay
    "LINKSPIDER_SSRF_GUARD",
    "LINKSPIDER_ALLOW_PRIVATE_NETWORKS",
    "DOWNLOAD_HANDLERS",
    "DOWNLOAD_HANDLERS_BASE",
    "DOWNLOADER_MIDDLEWARES",
    "DOWNLOADER_MIDDLEWARES_BASE",
    "TWISTED_DNS_RESOLVER",
    "ADDONS",
    "TELNETCONSOLE_ENABLED",
    "REMOTE_CONTROL_ENABLED",
    "LINKSPIDER_JOB_OVERRIDABLE_SETTINGS",
    # The browser: which executable runs, with which switches, and what it may request.
    "LINKSPIDER_CHROMIUM_PATH",
    "LINKSPIDER_BROWSER_ARGS",
    "LINKSPIDER_RENDER_BLOCK_RESOURCES",
    "PLAYWRIGHT_LAUNCH_OPTIONS",
    "PLAYWRIGHT_ABORT_REQUEST",
    "PLAYWRIGHT_BROWSER_PROVIDER",
    "PLAYWRIGHT_CDP_URL",
    "PLAYWRIGHT_CONNECT_URL",
    "PLAYWRIGHT_PROCESS_REQUEST_HEADERS",
)
logger = logging.getLogger(__name__)

_CMDLINE = get_settings_priority("cmdline")
_SAFE_PATH_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class JobSettingsError(ConfigError):
    """A Scrapyd job tried to change a locked setting."""


def scrapyd_job(spider_kwargs: Mapping[str, Any]) -> str | None:
    """The Scrapyd job id (``-a _job=`` or ``SCRAPY_JOB``), or None outside Scrapyd."""
    job = spider_kwargs.get("_job") or os.environ.get("SCRAPY_JOB")
    return str(job) if job else None


def job_output_dir(settings: BaseSettings, spider: str, job: str | None) -> str | None:
    """``<LINKSPIDER_OUTPUT_ROOT>/<project>/<spider>/<job>`` for a Scrapyd job, else None."""
    if job is None:
        return None
    project = os.environ.get("SCRAPY_PROJECT") or settings.get("BOT_NAME") or "default"
    for what, value in (("project", project), ("spider", spider), ("job id", job)):
        if not _SAFE_PATH_PART.match(value):
            raise ConfigError(
                f"Scrapyd {what} {value!r} cannot name a folder: use letters, digits, "
                "'.', '_' and '-' only"
            )
    root = Path(text_setting(settings, "LINKSPIDER_OUTPUT_ROOT") or "output").expanduser()
    return str(root / project / spider / job)


def check_job(settings: BaseSettings, job: str | None) -> None:
    """Checks at the start of a Scrapyd job (nothing outside Scrapyd)."""
    if job is None:
        return
    refuse_locked_overrides(settings, job)
    if os.environ.get("SCRAPY_PROJECT") and ".egg" not in str(Path(__file__).parents[1]):
        logger.warning(
            f"linkspider runs from {Path(__file__).parents[1]}, not from a deployed egg: "
            "uninstall linkspider from Scrapyd's environment (keep its dependencies) so that "
            "jobs run the code and settings you deploy"
        )


def check_job_at_start(
    settings: BaseSettings, spider: str, spider_kwargs: Mapping[str, Any]
) -> None:
    """For ``scrapy crawl``, before the crawl starts: a Scrapyd job that overrides a locked
    setting, or whose folder cannot be named, ends with a :class:`UsageError`, whose line
    also goes to the job's log file (Scrapyd keeps ``LOG_FILE``, not stderr)."""
    job = scrapyd_job(spider_kwargs)
    if job is None:
        return
    try:
        refuse_locked_overrides(settings, job)
        if not spider_kwargs.get("output_dir"):
            job_output_dir(settings, spider, job)
    except ConfigError as exc:
        message = f"{spider}: {exc}"
        if settings.get("LOG_FILE"):
            logger.error(f"UsageError: {message}")
        raise UsageError(message, print_help=False) from None


def refuse_locked_overrides(settings: BaseSettings, job: str) -> None:
    """Raise :class:`JobSettingsError` when a job overrides a locked setting it may not."""
    allowed = set(settings.getlist("LINKSPIDER_JOB_OVERRIDABLE_SETTINGS"))
    if _set_on_command_line(settings, "LINKSPIDER_JOB_OVERRIDABLE_SETTINGS"):
        allowed = set()  # a job cannot unlock settings for itself
    refused = [
        name
        for name in LOCKED_SETTINGS
        if name not in allowed and _set_on_command_line(settings, name)
    ]
    if refused:
        raise JobSettingsError(
            f"Scrapyd job {job}: the server does not let jobs change "
            + ", ".join(refused)
            + " (safety settings). Drop the setting= override, or ask the operator to "
            "add the name to LINKSPIDER_JOB_OVERRIDABLE_SETTINGS in the deployed settings."
        )


def _set_on_command_line(settings: BaseSettings, name: str) -> bool:
    priority = settings.getpriority(name)
    return priority is not None and priority >= _CMDLINE
