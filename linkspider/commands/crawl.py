"""``scrapy crawl`` that checks spider arguments before anything starts.

Scrapy builds the spider inside the running crawl, where an exception becomes a traceback
in the log. A spider class with a ``check_arguments(kwargs)`` classmethod gets its
arguments checked here first, so a wrong argument ends with a one-line usage error
(exit code 2) instead. Settings that would only fail deep inside the crawl (the SSRF
guard's allow list, the components' options: robots, traps, page budget, rendering,
progress, WARC recording, exports) are checked here too, and so is the output folder:
one that cannot be written (read-only, no permission) is a one-line error (exit code 2).

The exit code then says whether the exports are complete (see :mod:`linkspider.output`):
the run report leaves it in the crawl's stats (3: missing or incomplete).

Once Scrapy has stopped, the command replaces its process with the exports' own
(:mod:`linkspider.reports.handoff`; ``LINKSPIDER_EXPORTS_NEW_PROCESS``): the crawl's
memory is given back before the exports take theirs. Where a process cannot be replaced
(Windows) the run report builds them in the crawl's process, as for a crawl run from a
program of yours.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from scrapy import Spider
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError

from linkspider.core.setting_values import bool_setting
from linkspider.extensions.crawl_journal import resumed_output_dir
from linkspider.extensions.progress import ProgressOptions
from linkspider.extensions.warc_recorder import WarcOptions
from linkspider.middlewares.robots import RobotsOptions
from linkspider.middlewares.site_budget import BudgetOptions
from linkspider.middlewares.ssrf import SsrfOptions, allow_setting
from linkspider.middlewares.traps import TrapOptions
from linkspider.offload.pool import extract_processes
from linkspider.output import EXIT_CODE_STAT, HANDOFF_ATTR, check_writable, exit_code
from linkspider.render.browser import RenderOptions
from linkspider.reports.handoff import Handoff, RunEnd, exec_exports, log_targets
from linkspider.reports.options import ExportOptions
from linkspider.scrapyd_jobs import check_job_at_start

logger = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    crawler: Crawler | None = None
    #: Where the run report leaves the run's end when the exports are to be built in the
    #: process that replaces this one (:data:`linkspider.output.HANDOFF_ATTR`).
    ends: list[RunEnd]

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spidercls = None
            check = getattr(spidercls, "check_arguments", None)
            if check is not None:
                try:
                    check(opts.spargs)
                except ValueError as exc:
                    raise UsageError(f"{args[0]}: {exc}", print_help=False) from None
            if self.settings is not None:  # a Scrapyd job's locked settings and folder
                check_job_at_start(self.settings, args[0], opts.spargs)
        if self.settings is not None:
            try:
                allow_setting(self.settings)  # the SSRF guard's allow list, read at start
                WarcOptions.from_settings(self.settings)  # LINKSPIDER_WARC_MAX_BYTES
                ExportOptions.from_settings(self.settings)  # export settings: now, not at the end
                for options in (
                    SsrfOptions,
                    BudgetOptions,
                    TrapOptions,
                    RobotsOptions,
                    RenderOptions,
                ):
                    options.from_settings(self.settings)  # what the components read at start
                ProgressOptions.from_settings(self.settings, isatty=False)
                extract_processes(self.settings)  # LINKSPIDER_EXTRACT_PROCESSES
                bool_setting(self.settings, "LINKSPIDER_GC_FREEZE")
                bool_setting(self.settings, "LINKSPIDER_EXPORTS_NEW_PROCESS")
            except ValueError as exc:
                raise UsageError(str(exc), print_help=False) from None
            folder = self._output_folder(opts.spargs)
            if folder is not None:
                try:
                    check_writable(folder)
                except OSError as exc:
                    reason = exc.strerror or str(exc)
                    raise UsageError(
                        f"output folder {folder} cannot be written: {reason}", print_help=False
                    ) from None
        self.ends = []
        super().run(args, opts)
        if self.ends:
            self._build_exports(self.ends.pop())
        if self.exitcode == 0 and self.crawler is not None and self.crawler.stats is not None:
            self.exitcode = int(self.crawler.stats.get_value(EXIT_CODE_STAT, 0) or 0)

    def _create_crawler(self, spidercls: type[Spider] | str) -> Crawler:
        self.crawler = super()._create_crawler(spidercls)
        if sys.platform != "win32":  # os.exec* there starts another process and exits
            setattr(self.crawler, HANDOFF_ATTR, self.ends)
        return self.crawler

    def _build_exports(self, end: RunEnd) -> None:
        """In a new process that replaces this one; here if that cannot start."""
        root = logging.getLogger()
        try:
            exec_exports(Handoff(end, log_targets(), root.level))
        except OSError as exc:
            logger.warning(f"linkspider: the exports are built in the crawl's process ({exc})")
        from linkspider.reports.finish import finish_run

        end.info["exports_process"] = "crawl"
        status = finish_run(end)
        if self.exitcode == 0:
            self.exitcode = exit_code(status)

    def _output_folder(self, spargs: dict[str, str]) -> Path | None:
        """Where the run folder will be, as far as it is known before the crawl starts."""
        assert self.settings is not None
        chosen = spargs.get("output_dir") or resumed_output_dir(self.settings)
        if chosen:
            return Path(chosen)
        if spargs.get("_job"):  # Scrapyd: the spider picks a folder per job
            return None
        root = self.settings.get("LINKSPIDER_OUTPUT_ROOT")
        return Path(root) if root else None
