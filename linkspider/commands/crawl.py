"""``scrapy crawl`` that checks spider arguments before anything starts.

Scrapy builds the spider inside the running crawl, where an exception becomes a traceback
in the log. A spider class with a ``check_arguments(kwargs)`` classmethod gets its
arguments checked here first, so a wrong argument ends with a one-line usage error
(exit code 2) instead. Settings that would only fail deep inside the crawl
(``LINKSPIDER_ALLOW_PRIVATE_NETWORKS``) are checked here too.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from linkspider.distributed.jobs import check_job_at_start
from linkspider.middlewares.ssrf import allow_setting


class Command(ScrapyCrawlCommand):
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
            except ValueError as exc:
                raise UsageError(str(exc), print_help=False) from None
        super().run(args, opts)
