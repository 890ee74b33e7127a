"""linkspider's own signals, and the blocked-page record one of them carries.

Components talk to each other through these (and through stats), as Scrapy's own do:
a middleware that refuses a page sends :data:`page_blocked`, it does not call the
extension that lists blocked pages; the crawl journal sends :data:`budget_used`, it
does not reach into the page budget middleware. Send them with
``crawler.signals.send_catch_log(signal=..., **arguments)``.

Blocked-page reasons: ``robots-disallowed``, ``robots-unavailable`` (robots.txt answered
429/5xx or not at all, even after retries), ``ssrf-blocked``, and the trap rules'
``trap-*`` reasons (:mod:`linkspider.policy.traps`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from linkspider.core.urls import split_host

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

#: A page request is refused on purpose; argument ``page`` (a :class:`BlockedPage`).
page_blocked = object()

#: A component could not write to the run folder (disk full, read-only): arguments
#: ``path`` (the file) and ``error`` (the ``OSError``). The run report stops the crawl;
#: the sender writes nothing more to that file.
write_failed = object()

#: A resumed crawl's journal gives back the pages each site already took of its budget:
#: argument ``used`` (a mapping of site to page count). Sent before any page is scheduled.
budget_used = object()

#: robots.txt of an origin was parsed: arguments ``origin`` (``scheme://host:port``),
#: ``entry`` (a :class:`linkspider.policy.robots.Entry` with rules) and ``user_agent``
#: (the product token its rules are read for). Sent by the robots.txt middleware; the
#: robots prefilter keeps it to drop disallowed links before they are scheduled.
robots_rules = object()

#: The crawl is over and the run report is about to build the exports (the heaviest step
#: of a run for memory): components that hold processes or caches release them now, not
#: at ``spider_closed``, which Scrapy sends to the report at the same time. No arguments.
#: Sent with ``send_catch_log_async``: the report waits for the receivers.
exports_starting = object()

ROBOTS_DISALLOWED = "robots-disallowed"
ROBOTS_UNAVAILABLE = "robots-unavailable"
SSRF_BLOCKED = "ssrf-blocked"


@dataclass
class BlockedPage:
    """A URL that was not fetched on purpose (columns of ``blocked_pages.csv``)."""

    url: str
    host: str
    reason: str
    detail: str
    requested_url: str  # the page first requested, when ``url`` is a redirect target


def report_blocked(crawler: Crawler, request: Request, reason: str, detail: str = "") -> None:
    """Tell the crawl that ``request`` is not made, and why (sends :data:`page_blocked`)."""
    url = request.url
    try:
        host = split_host(url)
    except ValueError:
        host = ""
    redirects = request.meta.get("redirect_urls") or [url]
    page = BlockedPage(url, host, reason, detail, requested_url=str(redirects[0]))
    crawler.signals.send_catch_log(signal=page_blocked, page=page)
