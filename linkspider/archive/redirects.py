"""Redirect chains rebuilt from an archive's redirect records (WARCs of other crawlers).

Scrapy follows a redirect as a new request: the page it reaches knows the chain
(``redirect_urls``, ``redirect_reasons``), which linkspider's recorder writes in a
``metadata`` record. Other crawlers' WARCs hold only the hops, each a ``response``
record (301/302/303/307/308 with a ``Location``). :func:`rebuild_chain` walks them back
from a page: the hop that led to the page is the earliest one (by ``WARC-Date``, not
after the page's capture) whose resolved ``Location`` is the page's URL, then the hop
that led to that one, and so on, at most :data:`MAX_HOPS` (Scrapy's
``REDIRECT_MAX_TIMES``), never visiting a URL twice. The earliest hop is the one whose
request was scheduled first: a later redirect to an already requested URL is dropped by
the crawler's duplicate filter. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

MAX_HOPS = 10


@dataclass(frozen=True)
class Hop:
    url: str
    location: str
    status: int | str  # 301... or Scrapy's "meta refresh"
    fetched_at: str
    depth: int = 0
    #: the redirects before this one, ``(url, reason)``, when the WARC says (else None)
    chain: tuple[tuple[str, int | str], ...] | None = None


class RedirectIndex:
    """The hops of an archive, by the URL they lead to."""

    def __init__(self, hops: Iterable[Hop]) -> None:
        self._into: dict[str, list[Hop]] = defaultdict(list)
        for hop in hops:
            self._into[hop.location].append(hop)
        for found in self._into.values():
            found.sort(key=lambda hop: hop.fetched_at)

    def __bool__(self) -> bool:
        return bool(self._into)

    def rebuild_chain(self, url: str, fetched_at: str) -> tuple[list[str], list[int | str]]:
        """``(redirect_urls, redirect_statuses)`` of the page at ``url``, first hop first."""
        urls: list[str] = []
        statuses: list[int | str] = []
        seen = {url}
        target, before = url, fetched_at
        while len(urls) < MAX_HOPS:
            hop = next(
                (h for h in self._into.get(target, ()) if h.fetched_at <= before or not before),
                None,
            )
            if hop is None or hop.url in seen:
                break
            seen.add(hop.url)
            urls.append(hop.url)
            statuses.append(hop.status)
            target, before = hop.url, hop.fetched_at
        urls.reverse()
        statuses.reverse()
        return urls, statuses
