"""Is a placed link where it should be? One status per expected link, with the evidence.

:func:`check_placement` takes an expected link
(:class:`~linkspider.config.placements.ExpectedLink`) and what fetching its source page
gave (:class:`PageOutcome`) and returns the status. Page-level statuses come first,
because without the page there is no link to judge; they are the outcome ladder's
(:mod:`linkspider.extract.outcome_ladder`, shared with the monitor's lost reasons), its
``not-fetched`` named ``not-checked`` here:

1. ``not-checked``: the page was never fetched (the crawl stopped before it), or the
   crawler's own guards refused it (SSRF guard, trap rules; ``note`` names the guard);
2. ``robots-blocked``: robots.txt disallows the page;
3. ``page-not-found``: HTTP 404 or 410 (after redirects);
4. ``page-error``: no usable answer: network failures (``timeout``, ``dns-error``,
   ``connection-refused``, ``tls-error``...), a robots.txt that never answered, HTTP
   statuses other than 2xx, 404 and 410, pages that are not HTML;
5. ``page-redirected``: the URL redirects to another page. Redirects that only change the
   scheme, a ``www.`` prefix or a trailing slash do not count (``note`` names them);
6. ``noindex``: the page asks search engines not to index it (meta robots or
   ``X-Robots-Tag``);
7. ``not-canonical``: its canonical URL is another page;
8. link checks, on the links of the page: a link to the expected target (exactly, or a
   scheme/``www.``/trailing-slash variant, named in ``note``) is looked at in turn for
   ``wrong-anchor`` (anchor differs, ignoring case and spacing; an image link's anchor is
   its alt text), ``wrong-rel`` (expected follow but the link has ``nofollow``/``ugc``/
   ``sponsored``, or expected nofollow and it passes value), ``nofollow-page`` (expected
   follow, the link is fine but the page's robots meta or header says nofollow), else
   ``ok``. When the target is linked several times the best link is reported. No link to
   the target but links to its site: ``wrong-target``; none at all: ``link-not-found``.

``link_check`` holds the result of step 8 whenever the page was parsed, so a
``page-redirected`` or ``noindex`` row still says whether the link is there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from linkspider.config.placements import ExpectedLink
from linkspider.core.domains import registrable_domain
from linkspider.core.urls import normalise_url, split_host
from linkspider.extract.anchors import collapse
from linkspider.extract.indexability import PageFacts, format_redirects
from linkspider.extract.outcome_ladder import (
    NOINDEX,
    NOT_CANONICAL,
    NOT_FETCHED,
    PAGE_OK,
    SourcePage,
    loose_url,
    page_verdict,
)
from linkspider.extract.page import LinkPage
from linkspider.extract.placement import PlacementRule, classify_placements

#: Every status, most fundamental first.
STATUSES = (
    "not-checked", "robots-blocked", "page-error", "page-not-found", "page-redirected",
    "noindex", "not-canonical", "link-not-found", "wrong-target", "wrong-anchor",
    "wrong-rel", "nofollow-page", "ok",
)  # fmt: skip
#: The page verdicts of the outcome ladder that placements name otherwise.
_STATUS_OF = {NOT_FETCHED: "not-checked"}
_NO_VALUE_RELS = ("nofollow", "ugc", "sponsored")


@dataclass(frozen=True)
class FoundLink:
    """A web link of the fetched page."""

    url: str  # resolved and normalised, like ``target_url`` in backlinks.csv
    href: str
    anchor: str  # visible text; for an image link, its alt text
    rel: str
    index: int = 0  # position among the page's link elements
    placement: str = ""


@dataclass(frozen=True)
class PageOutcome:
    """What fetching a source page gave. ``http_status`` 0: no HTTP answer."""

    requested_url: str
    final_url: str = ""
    http_status: int = 0
    error: str = ""  # failure kind: timeout, http-500, not-html, ...
    blocked: str = ""  # blocked_pages reason: robots-disallowed, ssrf-blocked, trap-...
    redirects: str = ""  # the chain, as in backlinks.csv source_redirects
    parsed: bool = False
    index_reason: str = ""
    canonical: str = ""
    page_nofollow: str = ""  # where a page-level nofollow came from, '' if none
    links: tuple[FoundLink, ...] = ()
    checked_at: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    status: str
    link_check: str = ""
    link: FoundLink | None = None
    links_to_target: int = 0
    note: str = ""


@dataclass
class PlacementStatus:
    """One row of ``placements_status.csv`` (see docs/schema.md)."""

    row: int
    line: int
    source_url: str
    target_url: str
    expected_anchor: str
    expected_follow: str
    status: str
    link_check: str
    http_status: str
    final_url: str
    redirects: str
    error: str
    found_url: str
    found_href: str
    found_anchor: str
    found_rel: str
    found_follow: str
    links_to_target: int
    placement: str
    index_reason: str
    canonical: str
    note: str
    checked_at: str


def rel_blocks_value(rel: str) -> bool:
    tokens = rel.lower().split()
    return any(token in tokens for token in _NO_VALUE_RELS)


def same_anchor(expected: str, found: str) -> bool:
    return collapse(expected).casefold() == collapse(found).casefold()


def check_placement(expected: ExpectedLink, outcome: PageOutcome | None) -> Verdict:
    """The status of one expected link (precedence in the module docstring)."""
    if outcome is None:
        return Verdict("not-checked", note="the page was not fetched (crawl stopped before it)")
    redirected = outcome.final_url and outcome.final_url != expected.source_url
    moved = redirected and loose_url(outcome.final_url) != loose_url(expected.source_url)
    page = page_verdict(
        SourcePage(
            url=outcome.final_url or outcome.requested_url,
            http_status=outcome.http_status,
            error=outcome.error,
            blocked=outcome.blocked,
            parsed=outcome.parsed,
            moved_to=outcome.final_url if moved else "",
            index_reason=outcome.index_reason,
            canonical=outcome.canonical,
        )
    )
    if not page.rule.page_read:
        return Verdict(_STATUS_OF.get(page.verdict, page.verdict), note=_page_note(outcome))
    links = link_verdict(expected, outcome)
    notes = [f"redirected to {outcome.final_url}"] if redirected else []
    if page.verdict == NOINDEX:
        notes.append(outcome.index_reason)
    elif page.verdict == NOT_CANONICAL:
        notes.append(f"canonical: {outcome.canonical}")
    page_status = links.status if page.verdict == PAGE_OK else page.verdict
    if links.note:
        notes.append(links.note)
    return Verdict(page_status, links.status, links.link, links.links_to_target, _join(*notes))


def _page_note(outcome: PageOutcome) -> str:
    """Why a page's links could not be judged."""
    if outcome.blocked:
        return _join(outcome.blocked, outcome.detail)
    if not outcome.http_status:
        return _join(outcome.error, outcome.detail)
    if not 200 <= outcome.http_status < 300:
        return f"HTTP {outcome.http_status}"
    return outcome.error or "not parsed"


def link_verdict(expected: ExpectedLink, outcome: PageOutcome) -> Verdict:
    """Step 8 of the module docstring: the links of a parsed page against the expectation."""
    target = expected.target_url
    exact = [link for link in outcome.links if link.url == target]
    loose = loose_url(target)
    matches = exact or [link for link in outcome.links if loose_url(link.url) == loose]
    if matches:
        best = min(matches, key=lambda link: _problems(expected, outcome, link))
        status = _link_status(expected, outcome, best)
        note = "" if exact else f"links to {best.url}, a variant of the target URL"
        if status == "wrong-anchor" and not _rel_ok(expected, outcome, best):
            note = _join(note, "rel wrong too")
        return Verdict(status, status, best, len(matches), note)
    site = registrable_domain(split_host(target))
    same_site = [link for link in outcome.links if registrable_domain(split_host(link.url)) == site]
    if same_site:
        best = min(same_site, key=lambda link: (not _anchor_ok(expected, link), link.index))
        note = f"{len(same_site)} link(s) to {site}, none to the target URL"
        return Verdict("wrong-target", "wrong-target", best, 0, note)
    return Verdict("link-not-found", "link-not-found", None, 0, f"{len(outcome.links)} links")


def _anchor_ok(expected: ExpectedLink, link: FoundLink) -> bool:
    return expected.anchor is None or same_anchor(expected.anchor, link.anchor)


def _rel_ok(expected: ExpectedLink, outcome: PageOutcome, link: FoundLink) -> bool:
    if expected.follow is None:
        return True
    blocked = rel_blocks_value(link.rel)
    if expected.follow:
        return not blocked
    return blocked or bool(outcome.page_nofollow)


def _link_status(expected: ExpectedLink, outcome: PageOutcome, link: FoundLink) -> str:
    if not _anchor_ok(expected, link):
        return "wrong-anchor"
    if not _rel_ok(expected, outcome, link):
        return "wrong-rel"
    if expected.follow and outcome.page_nofollow:
        return "nofollow-page"
    return "ok"


def _problems(expected: ExpectedLink, outcome: PageOutcome, link: FoundLink) -> tuple[int, int]:
    """Sort key: the link closest to ``ok`` first, then the first on the page."""
    return STATUSES.index("ok") - STATUSES.index(_link_status(expected, outcome, link)), link.index


def link_follows(link: FoundLink, outcome: PageOutcome) -> bool:
    return not rel_blocks_value(link.rel) and not outcome.page_nofollow


def page_links(page: LinkPage) -> tuple[FoundLink, ...]:
    """The web links of ``page`` as :class:`FoundLink` (placement not filled: see
    :func:`with_placement`)."""
    found = []
    for link in page.links:
        anchor = page.anchor(link)
        found.append(
            FoundLink(
                url=normalise_url(link.url),
                href=link.href,
                anchor=anchor.text or anchor.image_alt,
                rel=link.node.attributes.get("rel") or "",
                index=link.index,
            )
        )
    return tuple(found)


def with_placement(
    page: LinkPage, link: FoundLink, rules: Sequence[PlacementRule] = ()
) -> FoundLink:
    """``link`` with its placement (``content``, ``footer``...) on ``page``."""
    nodes = [raw.node for raw in page.links if raw.index == link.index]
    if not nodes:
        return link
    (placement,) = classify_placements(page.tree, nodes, host=split_host(page.url), rules=rules)
    return FoundLink(link.url, link.href, link.anchor, link.rel, link.index, placement.placement)


def page_outcome(
    requested_url: str,
    final_url: str,
    status: int,
    page: LinkPage | None,
    facts: PageFacts | None,
    *,
    redirect_urls: Sequence[str] = (),
    redirect_statuses: Sequence[int] = (),
    error: str = "",
    detail: str = "",
    checked_at: str = "",
) -> PageOutcome:
    """A :class:`PageOutcome` from a fetch: the parsed page and its facts, if any."""
    return PageOutcome(
        requested_url=requested_url,
        final_url=final_url,
        http_status=status,
        error=error,
        redirects=format_redirects(redirect_urls, redirect_statuses, final_url),
        parsed=page is not None,
        index_reason=facts.index_reason if facts else "",
        canonical=facts.canonical if facts else "",
        page_nofollow=facts.nofollow_source if facts else "",
        links=page_links(page) if page is not None else (),
        checked_at=checked_at,
        detail=detail,
    )


def outcome_rows(
    expected: Sequence[ExpectedLink],
    outcome: PageOutcome | None,
    page: LinkPage | None = None,
    rules: Sequence[PlacementRule] = (),
) -> list[PlacementStatus]:
    """The status rows of every expected link of one source page."""
    rows = []
    for link in expected:
        verdict = check_placement(link, outcome)
        if verdict.link is not None and page is not None:
            verdict = replace(verdict, link=with_placement(page, verdict.link, rules))
        rows.append(status_row(link, outcome, verdict))
    return rows


def status_row(
    expected: ExpectedLink, outcome: PageOutcome | None, verdict: Verdict
) -> PlacementStatus:
    """The ``placements_status.csv`` row of ``expected``."""
    link = verdict.link
    outcome = outcome or PageOutcome(requested_url=expected.source_url)
    return PlacementStatus(
        row=expected.row,
        line=expected.line,
        source_url=expected.source_url,
        target_url=expected.target_url,
        expected_anchor=expected.anchor or "",
        expected_follow="" if expected.follow is None else str(expected.follow).lower(),
        status=verdict.status,
        link_check=verdict.link_check,
        http_status=str(outcome.http_status) if outcome.http_status else "",
        final_url=outcome.final_url,
        redirects=outcome.redirects,
        error=outcome.blocked or outcome.error,
        found_url=link.url if link else "",
        found_href=link.href if link else "",
        found_anchor=link.anchor if link else "",
        found_rel=link.rel if link else "",
        found_follow=str(link_follows(link, outcome)).lower() if link else "",
        links_to_target=verdict.links_to_target,
        placement=link.placement if link else "",
        index_reason=outcome.index_reason,
        canonical=outcome.canonical,
        note=verdict.note,
        checked_at=outcome.checked_at,
    )


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
