"""One fetched response in, its backlink rows and its ``pages`` row out.

The live crawl (``BacklinksSpider.parse``) and the archive job (``linkspider archive``,
which reads the same responses from WARC records) both call :func:`extract_fetched`, so
their rows cannot drift apart. Pure: no Scrapy import, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from linkspider.config.targets import TargetSet
from linkspider.core.domains import registrable_domain
from linkspider.core.items import BacklinkItem, PageItem
from linkspider.core.urls import split_host
from linkspider.extract.backlinks import FetchContext, backlink_rows, facts_for
from linkspider.extract.html import is_html, media_type
from linkspider.extract.indexability import PageFacts
from linkspider.extract.page import LinkPage
from linkspider.extract.placement import PlacementRule
from linkspider.extract.rendered import rendered_link_count, rendered_page_rows

#: The headers extraction reads (robots directives, canonical link, language).
EXTRACTION_HEADERS = ("x-robots-tag", "link", "content-language")
NOT_HTML = "not-html"
TRUNCATED = "truncated"
DEFAULT_PARSE_MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class FetchedResponse:
    """A response as fetched: final URL, status, headers, body and what led to it.

    ``headers`` maps lower-case header names to all their values (only
    :data:`EXTRACTION_HEADERS` are read). ``redirect_urls`` / ``redirect_statuses``: the
    redirect chain before ``url``, first request first (Scrapy's ``redirect_urls`` and
    ``redirect_reasons``).
    """

    url: str
    status: int
    body: bytes
    content_type: str | None = None
    headers: Mapping[str, Sequence[str]] = field(default_factory=dict)
    fetched_at: str = ""
    depth: int = 0
    redirect_urls: Sequence[str] = ()
    redirect_statuses: Sequence[int] = ()

    def context(self) -> FetchContext:
        return FetchContext(
            status=self.status,
            depth=self.depth,
            fetched_at=self.fetched_at,
            headers=self.headers,
            redirect_urls=self.redirect_urls,
            redirect_statuses=self.redirect_statuses,
        )


@dataclass
class FetchedPage:
    """What one response gives: rows first, then the page row that says they are all out.

    ``page`` is None for a response that is not HTML (then ``rows`` is empty).
    """

    rows: list[BacklinkItem]
    record: PageItem
    page: LinkPage | None = None
    facts: PageFacts | None = None
    dom: LinkPage | None = None


def extract_fetched(
    response: FetchedResponse,
    targets: TargetSet,
    rules: Sequence[PlacementRule] = (),
    max_bytes: int = DEFAULT_PARSE_MAX_BYTES,
    dom: tuple[bytes, str, str] | None = None,
    rendered: bool = False,
    render_reason: str = "",
) -> FetchedPage:
    """Backlink rows and the ``pages`` row of ``response`` (parsed only if it is HTML).

    ``dom``: ``(body, url, content_type)`` of the DOM a browser built from the page
    (``render=auto|always``); its rows are merged with the raw HTML's.
    """
    if not is_html(response.content_type, response.body):
        return FetchedPage(
            [], page_record(response, note=NOT_HTML, rendered=rendered, render_reason=render_reason)
        )
    page = LinkPage(response.body, response.url, response.content_type, max_bytes)
    ctx = response.context()
    dom_page = None
    if dom is None:
        # Every link is resolved once, first: the ``links`` count and the links to follow
        # need them all, and matching then picks from them instead of testing hrefs.
        links = len(page.links)
        facts = facts_for(page, ctx)
        rows = backlink_rows(page, targets, ctx, facts, rules)
    else:
        dom_page = LinkPage(*dom, max_bytes=max_bytes)
        rows, facts = rendered_page_rows(page, dom_page, targets, ctx, rules)
        links = rendered_link_count(dom_page, rows)
    record = page_record(
        response, page=page, backlinks=len(rows), facts=facts, links=links,
        note=TRUNCATED if page.truncated else "", rendered=rendered,
        render_reason=render_reason,
    )  # fmt: skip
    return FetchedPage(rows, record, page, facts, dom_page)


def page_record(
    response: FetchedResponse,
    *,
    page: LinkPage | None = None,
    backlinks: int = 0,
    note: str = "",
    facts: PageFacts | None = None,
    links: int | None = None,
    rendered: bool = False,
    render_reason: str = "",
) -> PageItem:
    """The ``pages`` row of a fetched URL (HTML page, other document or HTTP error)."""
    host = split_host(response.url)
    redirects = response.redirect_urls
    return PageItem(
        url=response.url,
        requested_url=redirects[0] if redirects else response.url,
        status=response.status,
        host=host,
        domain=registrable_domain(host),
        content_type=media_type(response.content_type),
        title=page.title if page is not None else "",
        depth=response.depth,
        parsed=page is not None,
        links=links if links is not None else len(page.links) if page is not None else 0,
        backlinks=backlinks,
        encoding=page.encoding if page is not None else "",
        fetched_at=response.fetched_at,
        note=note,
        indexable=facts.indexable if facts is not None else False,
        index_reason=facts.index_reason if facts is not None else (note or "not-parsed"),
        canonical=facts.canonical if facts is not None else "",
        lang=facts.lang if facts is not None else "",
        rendered=rendered,
        render_reason=render_reason,
    )
