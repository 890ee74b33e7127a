"""What a run learnt about a link's source page, as one verdict: the outcome ladder.

Both the placement check (``placements_status.csv`` ``status``,
:mod:`linkspider.extract.placement_check`) and the monitor (``lost_reason``,
:mod:`linkspider.monitor.reasons`) decide a page's outcome here, with one precedence.
:data:`RULES` is the ladder, first match wins:

==================  ===================================================================
verdict             when
==================  ===================================================================
``not-fetched``     nothing is known: no answer, no error, no refusal
``robots-blocked``  robots.txt disallows the page
``page-error``      robots.txt never answered (5xx, 429, network error): the site fails
``not-fetched``     refused by the crawler's own guards (SSRF, trap rules): not the
                    page's doing, so nothing is claimed about its links
``page-not-found``  HTTP 404 or 410 (an answer, or an ``http-404``/``http-410`` error)
``page-error``      no answer (network error, ``too-large``...)
``page-error``      an answer outside 2xx (5xx, 403, 429...)
``page-error``      a 2xx answer that was not parsed (not HTML)
``page-redirected`` the URL now leads to another page
``noindex``         the page asks not to be indexed (meta robots or ``X-Robots-Tag``)
``not-canonical``   its canonical URL is another page
``page-error``      a 2xx answer whose indexability was judged on another status
``page-ok``         a parsed, indexable page: its links decide
==================  ===================================================================

Each caller names ``not-fetched`` and ``page-ok`` in its own vocabulary (placements:
``not-checked`` and the link checks; monitor: ``not-crawled`` and ``link-removed``).
"Another page" ignores scheme, ``www.`` and a trailing slash (:func:`loose_url`) for the
canonical; for a redirect the caller says where the URL leads (``moved_to``): the
placement check reads the links where a scheme/``www.``/slash redirect lands, so such a
redirect does not move them; the monitor keys links by their source URL, so every redirect
does. No Scrapy, no pandas: the monitor applies :func:`page_verdict` per source URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NOT_FETCHED = "not-fetched"
ROBOTS_BLOCKED = "robots-blocked"
PAGE_ERROR = "page-error"
PAGE_NOT_FOUND = "page-not-found"
PAGE_REDIRECTED = "page-redirected"
NOINDEX = "noindex"
NOT_CANONICAL = "not-canonical"
PAGE_OK = "page-ok"

ROBOTS_DISALLOWED = "robots-disallowed"
ROBOTS_UNAVAILABLE = "robots-unavailable"
NOT_FOUND_STATUSES = frozenset({404, 410})


def loose_url(url: str) -> str:
    """``url`` without scheme, ``www.`` and trailing slash: redirects between these forms
    are routine and do not make another page."""
    rest = url.split("://", 1)[-1]
    if rest.startswith("www."):
        rest = rest[4:]
    path, sep, query = rest.partition("?")
    return path.rstrip("/") + sep + query


@dataclass(frozen=True)
class SourcePage:
    """The facts of one source page in one run (empty: unknown)."""

    url: str = ""  # where the answer came from
    http_status: int = 0  # 0: no HTTP answer
    error: str = ""  # failure kind: timeout, http-500, not-html...
    blocked: str = ""  # blocked_pages reason: robots-disallowed, ssrf-blocked, trap-...
    parsed: bool = False
    moved_to: str = ""  # the page the URL now leads to ('' if none, see the module)
    index_reason: str = ""  # indexable, noindex-meta, noindex-header, http-status...
    canonical: str = ""
    note: str = ""  # why it was not (fully) parsed: not-html, truncated...

    @property
    def status(self) -> int:
        """The HTTP status: the answer's, else the one an ``http-NNN`` error names."""
        if self.http_status:
            return self.http_status
        kind, _, code = self.error.partition("-")
        return int(code) if kind == "http" and code.isdigit() else 0


def _answered_2xx(page: SourcePage) -> bool:
    return 200 <= page.status < 300


def _canonical_elsewhere(page: SourcePage) -> bool:
    return bool(page.canonical) and loose_url(page.canonical) != loose_url(page.url)


def _status_text(page: SourcePage) -> str:
    return f"http-{page.status}"


@dataclass(frozen=True)
class Rule:
    verdict: str
    when: str  # the rule in words (docs and test ids)
    applies: Callable[[SourcePage], bool]
    detail: Callable[[SourcePage], str]  # the evidence, as ``lost_detail`` shows it
    page_read: bool = False  # the page was parsed: its links are known too


#: The ladder, first match wins (the table in the module docstring).
RULES: tuple[Rule, ...] = (
    Rule(NOT_FETCHED, "nothing known",
         lambda p: not (p.status or p.error or p.blocked or p.moved_to), lambda p: ""),
    Rule(ROBOTS_BLOCKED, "robots.txt disallows",
         lambda p: p.blocked == ROBOTS_DISALLOWED, lambda p: p.blocked),
    Rule(PAGE_ERROR, "robots.txt never answered",
         lambda p: p.blocked == ROBOTS_UNAVAILABLE, lambda p: p.error or p.blocked),
    Rule(NOT_FETCHED, "refused by the crawler's guards",
         lambda p: bool(p.blocked), lambda p: p.blocked),
    Rule(PAGE_NOT_FOUND, "HTTP 404 or 410",
         lambda p: p.status in NOT_FOUND_STATUSES, _status_text),
    Rule(PAGE_ERROR, "no answer",
         lambda p: not p.status and bool(p.error), lambda p: p.error),
    Rule(PAGE_ERROR, "an answer outside 2xx",
         lambda p: bool(p.status) and not _answered_2xx(p), _status_text),
    Rule(PAGE_ERROR, "a 2xx answer not parsed",
         lambda p: _answered_2xx(p) and not p.parsed, lambda p: p.note or p.error or "not-parsed"),
    Rule(PAGE_REDIRECTED, "redirects to another page",
         lambda p: bool(p.moved_to), lambda p: p.moved_to, True),
    Rule(NOINDEX, "noindex",
         lambda p: p.index_reason.startswith("noindex"), lambda p: p.index_reason, True),
    Rule(NOT_CANONICAL, "canonical elsewhere", _canonical_elsewhere, lambda p: p.canonical, True),
    Rule(PAGE_ERROR, "indexability judged on another status",
         lambda p: p.index_reason == "http-status", _status_text, True),
    Rule(PAGE_OK, "parsed and indexable", lambda p: True, lambda p: p.note, True),
)  # fmt: skip


@dataclass(frozen=True)
class PageVerdict:
    verdict: str
    detail: str
    rule: Rule


def page_verdict(page: SourcePage) -> PageVerdict:
    """The first rule of :data:`RULES` that ``page`` meets."""
    for rule in RULES:
        if rule.applies(page):
            return PageVerdict(rule.verdict, rule.detail(page), rule)
    raise AssertionError("the last rule applies to every page")  # pragma: no cover
