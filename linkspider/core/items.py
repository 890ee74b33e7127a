"""Items the crawl produces. Plain dataclasses: no Scrapy import, cheap to serialise.

Every field of :class:`BacklinkItem` is a column of the backlink exports, in this order,
and is documented in ``docs/schema.md`` (a test keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

from linkspider.core.domains import registrable_domain
from linkspider.core.urls import split_host

#: ``note`` of a fetched URL that redirects to a URL the crawl had already requested.
REDIRECTED_TO_SEEN = "redirected-to-seen-url"


@dataclass
class BacklinkItem:
    """One link element on a crawled page whose target is a target site."""

    source_url: str
    source_host: str
    source_domain: str
    source_title: str
    source_status: int
    target_url: str
    href: str
    target_host: str
    target_domain: str
    target: str
    anchor_text: str
    link_type: str
    image_alt: str
    rel: str
    nofollow: bool
    ugc: bool
    sponsored: bool
    link_index: int
    depth: int
    first_seen: str
    last_seen: str
    placement: str = ""
    in_content: bool = False
    position: str = ""  # content links: first-paragraph, upper-half, lower-half
    xpath: str = ""
    anchor_category: str = ""
    anchor_rule: str = ""
    follow: bool = True
    follow_reason: str = ""
    source_indexable: bool = True
    source_index_reason: str = ""
    source_canonical: str = ""
    source_lang: str = ""
    source_redirects: str = ""
    sitewide: bool = False
    links_in_group: int = 0
    context_before: str = ""
    context_after: str = ""
    origin: str = "raw"  # raw, rendered or both (linkspider.extract.rendered)
    rendered_changes: str = ""
    target_status: str = ""


@dataclass
class PageItem:
    """One fetched URL (HTML page, other document, or HTTP error page)."""

    url: str
    requested_url: str
    status: int
    host: str
    domain: str
    content_type: str
    title: str
    depth: int
    parsed: bool
    links: int
    backlinks: int
    encoding: str
    fetched_at: str
    note: str
    indexable: bool = False
    index_reason: str = ""
    canonical: str = ""
    lang: str = ""
    rendered: bool = False
    render_reason: str = ""


def redirected_page(
    url: str, redirect_urls: Sequence[str], reasons: Sequence[object], depth: int, at: str
) -> PageItem:
    """The ``pages`` row of a fetch whose redirect chain ends at ``url``, a URL the crawl
    had already requested (the duplicate filter drops the redirect; ``url`` has its own
    row). Like every redirected fetch, ``requested_url`` is the first URL of the chain;
    ``status`` is the redirect's own (3xx, or 200 for a meta refresh)."""
    last = reasons[-1] if reasons else None
    host = split_host(url)
    return PageItem(
        url=url,
        requested_url=redirect_urls[0] if redirect_urls else url,
        status=last if isinstance(last, int) else 200,
        host=host,
        domain=registrable_domain(host),
        content_type="",
        title="",
        depth=depth,
        parsed=False,
        links=0,
        backlinks=0,
        encoding="",
        fetched_at=at,
        note=REDIRECTED_TO_SEEN,
        index_reason=REDIRECTED_TO_SEEN,
    )


@dataclass
class ErrorItem:
    """A URL that could not be fetched or processed, and why."""

    url: str
    error: str
    message: str
    depth: int
    occurred_at: str


def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


BACKLINK_COLUMNS = field_names(BacklinkItem)
PAGE_COLUMNS = field_names(PageItem)
ERROR_COLUMNS = field_names(ErrorItem)
